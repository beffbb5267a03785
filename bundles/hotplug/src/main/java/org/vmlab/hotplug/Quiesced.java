package org.vmlab.hotplug;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.JobPhase;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;

/**
 * A job held at a barrier with its pass-through devices detached: what {@link #enter} leaves and
 * {@link #leave} (attach again, resume) undoes, around the VMM work in between.
 */
final class Quiesced {
    private final List<Vm> vms;
    private final JobAgents agents;
    private final JobDevices devices;
    private final Duration timeout;
    private final Timeline timeline;
    private final long barrier;
    private final long heldSince;
    private final Map<Vm, List<DeviceSpec>> detached;

    private Quiesced(List<Vm> vms, JobAgents agents, JobDevices devices, Duration timeout, Timeline timeline,
                     long barrier, long heldSince, Map<Vm, List<DeviceSpec>> detached) {
        this.vms = vms;
        this.agents = agents;
        this.devices = devices;
        this.timeout = timeout;
        this.timeline = timeline;
        this.barrier = barrier;
        this.heldSince = heldSince;
        this.detached = detached;
    }

    /**
     * Quiesces and detaches. On failure everything done is undone and the job goes on as it was.
     */
    static Quiesced enter(List<Vm> vms, JobAgents agents, JobDevices devices, Duration timeout, Timeline t) {
        long q0 = t.now();
        long barrier = agents.quiesce(vms, timeout);
        t.record("quiesce", JobPhase.JOB, q0, barrier >= 0 ? "every rank held at iteration " + barrier
                : "no guest agent: VMs not quiesced");
        long heldSince = t.now();
        Map<Vm, List<DeviceSpec>> detached = new LinkedHashMap<>();
        int count = 0;
        for (Vm vm : vms) {
            detached.put(vm, JobDevices.passthrough(vm));
            count += detached.get(vm).size();
        }
        long d0 = t.now();
        try {
            devices.detachAll(vms, timeout, t);
        } catch (RuntimeException e) {
            agents.resumeQuietly(vms);
            throw new VmlabException("cannot detach the job's devices: " + e.getMessage() + "; the job goes on as it was", e);
        }
        t.record("detach", JobPhase.JOB, d0, count + " pass-through device" + (count == 1 ? "" : "s"));
        return new Quiesced(vms, agents, devices, timeout, t, barrier, heldSince, detached);
    }

    /** The devices each VM had before {@link #enter}. */
    Map<Vm, List<DeviceSpec>> detached() {
        return detached;
    }

    /**
     * Attaches the devices to the VMs where they are now (a moved VM gets its device on the
     * destination) and resumes every rank; a failed attach leaves that rank on the fallback path.
     */
    JobReport leave(Map<Vm, List<DeviceSpec>> whereNow, String operation,
                    java.util.function.Supplier<List<MigrationReport>> migrations) {
        long a0 = timeline.now();
        String attachNote = "";
        try {
            devices.attachAll(whereNow, timeout, timeline);
        } catch (RuntimeException e) {
            attachNote = "not every device came back (" + e.getMessage() + "): those ranks run on the fallback path";
        }
        int count = whereNow.values().stream().mapToInt(List::size).sum();
        timeline.record("attach", JobPhase.JOB, a0, attachNote.isEmpty() ? count + " pass-through devices" : attachNote);
        List<Vm> now = new ArrayList<>(whereNow.keySet());
        long r0 = timeline.now();
        Map<String, Map<String, String>> ranks = agents.resume(now, timeout);
        timeline.record("resume", JobPhase.JOB, r0, ranks.size() + " agents resumed");
        long downtime = (timeline.now() - heldSince) / 1_000_000;
        List<MigrationReport> reports = migrations.get(); // postcopy may still be pulling pages: wait for the end
        return new JobReport(operation, now.stream().map(Vm::id).toList(), timeline.phases(), timeline.totalMs(),
                downtime, barrier, reports, ranks);
    }
}
