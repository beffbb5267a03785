package org.vmlab.workloads;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Deactivate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.Workload;
import org.vmlab.api.workload.WorkloadRun;

/**
 * Parameter handling, start/resume and the runs a workload component owns: they are stopped
 * when the component goes away (its bundle is stopped or updated), so no task of an old class
 * loader keeps stepping on a vCPU.
 */
public abstract class AbstractWorkload implements Workload {

    /** Makes the run of one workload; {@code header} is null for a fresh start. */
    @FunctionalInterface
    protected interface RunFactory {
        AbstractRun create(Vm vm, ParameterValues values, Map<String, String> effective, GuestHeader header);
    }

    /**
     * Parameter a run reports (and a resume accepts) with the frame of its state header, so the
     * resume need not scan the guest's memory for it.
     */
    public static final String STATE_FRAME = "state-frame";

    private final String name;
    private final List<Param> params;
    private final RunFactory runs;
    private final Set<AbstractRun> active = ConcurrentHashMap.newKeySet();

    protected AbstractWorkload(String name, List<Param> params, RunFactory runs) {
        this.name = name;
        this.params = List.copyOf(params);
        this.runs = runs;
    }

    /** Every subclass is a DS component; bnd carries this over to them (-dsannotations-options: inherit). */
    @Deactivate
    void deactivate() {
        stopAll();
    }

    public final String name() {
        return name;
    }

    @Override
    public final List<Parameter> parameters() {
        return Param.set(name, params).parameters();
    }

    @Override
    public final WorkloadRun start(Vm vm, Map<String, String> parameters) {
        return launch(vm, Param.validate(name, params, parameters), null);
    }

    @Override
    public final WorkloadRun resume(Vm vm, Map<String, String> parameters) {
        if (!needsGuestState()) {
            return launch(vm, Param.validate(name, params, parameters), null);
        }
        Map<String, String> given = parameters == null ? Map.of() : new java.util.HashMap<>(parameters);
        String frame = given.remove(STATE_FRAME);
        GuestHeader header = GuestHeader.find(vm.memory(), name, "VM '" + vm.id() + "'", frame);
        return launch(vm, Param.merge(name, params, header.parameters(), given), header);
    }

    private AbstractRun launch(Vm vm, ParameterValues values, GuestHeader header) {
        if (vm.state().isFinal()) {
            throw new VmlabException("VM '" + vm.id() + "' is " + vm.state().name().toLowerCase()
                    + ", so workload '" + name + "' cannot run on it");
        }
        AbstractRun run = runs.create(vm, values, values.asMap(), header);
        active.add(run);
        run.launch(() -> active.remove(run));
        return run;
    }

    /** Whether runs keep state in guest memory that {@link #resume} must find. */
    protected boolean needsGuestState() {
        return true;
    }


    /** Stops every run this component started; DS calls it on deactivation. */
    protected final void stopAll() {
        for (AbstractRun r : List.copyOf(active)) {
            r.stop();
        }
    }

    /** The runs started by this component and not stopped yet. */
    public final Set<AbstractRun> activeRuns() {
        return Set.copyOf(active);
    }

    /** One task per vCPU, at most {@link GuestHeader#MAX_TASKS} and at most {@code limit}. */
    static int taskCount(Vm vm, long limit) {
        return (int) Math.max(1, Math.min(Math.min(vm.vcpus().count(), GuestHeader.MAX_TASKS), limit));
    }

    /**
     * Frames for a run's state: reserved from the guest OS where the VM has one (anonymous memory
     * of the guest process), else the first {@code pages} frames of memory.
     */
    static FrameRange allocate(String workload, Vm vm, long pages, String param) {
        long total = vm.memory().pageCount();
        if (pages > total) {
            throw new IllegalArgumentException("parameter '" + param + "' of workload '" + workload
                    + "' needs " + pages + " pages but VM '" + vm.id() + "' has only " + total
                    + " pages of memory; allowed: at most " + new org.vmlab.api.ByteSize(
                    Math.max(0, total - 1) * 4096L));
        }
        Optional<GuestOs> os = vm.guestOs();
        if (os.isEmpty()) {
            return new FrameRange(0, pages);
        }
        try {
            return os.get().reserve(pages);
        } catch (VmlabException e) {
            throw new IllegalArgumentException("parameter '" + param + "' of workload '" + workload
                    + "': the guest of VM '" + vm.id() + "' cannot reserve " + pages
                    + " contiguous pages (" + os.get().freePages() + " free): " + e.getMessage()
                    + "; allowed: a smaller size", e);
        }
    }

    static GuestOs requireGuestOs(String workload, Vm vm) {
        return vm.guestOs().orElseThrow(() -> new VmlabException("workload '" + workload
                + "' reads and writes files through the guest page cache, but VM '" + vm.id()
                + "' exposes no guest OS"));
    }
}
