package org.vmlab.hotplug;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

import org.vmlab.api.hotplug.JobPhase;

/** The phases of one job operation, timed from its start; tells a listener as each ends. */
final class Timeline {
    private final long origin = System.nanoTime();
    private final List<JobPhase> phases = new ArrayList<>();
    private final Consumer<JobPhase> progress;

    Timeline(Consumer<JobPhase> progress) {
        this.progress = progress == null ? p -> { } : progress;
    }

    long now() {
        return System.nanoTime();
    }

    long sinceStartMs(long nanos) {
        return (nanos - origin) / 1_000_000;
    }

    /** Records a phase that began at {@code startNanos} and ends now. */
    synchronized JobPhase record(String phase, String vmId, long startNanos, String detail) {
        JobPhase p = new JobPhase(phase, vmId, sinceStartMs(startNanos), (System.nanoTime() - startNanos) / 1_000_000, detail);
        phases.add(p);
        progress.accept(p);
        return p;
    }

    synchronized List<JobPhase> phases() {
        List<JobPhase> sorted = new ArrayList<>(phases);
        sorted.sort(Comparator.comparingLong(JobPhase::startMs).thenComparing(p -> JobPhase.JOB.equals(p.vmId()) ? 1 : 0));
        return sorted;
    }

    long totalMs() {
        return sinceStartMs(System.nanoTime());
    }
}
