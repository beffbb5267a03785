package org.vmlab.api.experiment;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.vm.Vm;

/** What an {@link ExperimentAction} sees of the run it is part of. Thread-safe. */
@ProviderType
public interface ActionContext {

    /** The id of the step being done; what it records is named after it ({@code <step>.<field>}). */
    String step();

    /**
     * The VM the spec calls {@code name}, wherever it runs now (after a local migration it is
     * the destination).
     *
     * @throws org.vmlab.api.VmlabException if the spec has no such VM or it no longer runs
     */
    Vm vm(String name);

    /** Seconds since the run's measurement started (after warm-up). */
    double seconds();

    /**
     * Records a migration report under a label (usually {@link #step()}): its numeric fields become the
     * metrics {@code label.field}, its timeline a time series, its switchover a marker.
     */
    void report(String label, MigrationReport report);

    /** Records one metric of this run, e.g. {@code fill.seconds}. */
    void metric(String name, double value);

    /** Marks a moment on the run's time series, e.g. {@code switchover}. */
    void mark(String label);

    /** Shows a line on the experiment's progress. */
    void note(String line);
}
