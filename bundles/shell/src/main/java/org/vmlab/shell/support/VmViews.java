package org.vmlab.shell.support;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.vm.VerificationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

/** The machine-readable views of VMs that the vm: commands print with --json. */
public final class VmViews {
    private VmViews() {
    }

    /**
     * The VM called {@code id}.
     *
     * @throws IllegalArgumentException naming the VMs there are, if none is called so
     */
    public static Vm find(VmDirectory directory, String id) {
        return directory.find(id).orElseThrow(() -> new IllegalArgumentException("no VM '" + id + "'"
                + (directory.vms().isEmpty() ? "; there are no VMs" : "; VMs: "
                        + directory.vms().stream().map(Vm::id).collect(Collectors.joining(", ")))));
    }

    public static Map<String, Object> summary(Vm vm) {
        VmSpec spec = vm.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", vm.id());
        m.put("backend", vm.backend());
        m.put("state", vm.state());
        m.put("memoryBytes", spec.memoryBytes());
        m.put("vcpus", spec.vcpus());
        m.put("workload", vm.workload().map(WorkloadRun::workload).orElse(null));
        return m;
    }

    public static Map<String, Object> detail(Vm vm) {
        Map<String, Object> m = summary(vm);
        VmSpec spec = vm.spec();
        m.put("disk", spec.diskImage() == null ? null : spec.diskImage().toString());
        m.put("diskBytes", vm.disk().map(d -> d.sizeBytes()).orElse(0L));
        m.put("devices", vm.devices());
        vm.details().forEach(m::putIfAbsent);
        vm.workload().ifPresent(run -> {
            m.put("workloadParameters", run.parameters());
            ThroughputSample s = run.latest();
            m.put("throughput", s.hasLatency()
                    ? Json.object("opsPerSecond", s.opsPerSecond(), "bytesPerSecond", s.bytesPerSecond(),
                            "latencyP50Micros", s.latencyP50Micros(), "latencyP99Micros", s.latencyP99Micros())
                    : Json.object("opsPerSecond", s.opsPerSecond(), "bytesPerSecond", s.bytesPerSecond()));
            m.put("invariant", run.invariant().isPresent());
        });
        vm.guestOs().ifPresent(os -> m.put("pageCache", pageCache(os)));
        return m;
    }

    public static Map<String, Object> pageCache(GuestOs os) {
        return Json.object("cachedPages", os.cachedPages(), "dirtyCachedPages", os.dirtyCachedPages(),
                "freePages", os.freePages());
    }

    public static Map<String, Object> verification(VerificationReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm", r.vmId());
        m.put("passed", r.passed());
        m.put("digest", String.format("%016x", r.digest()));
        m.put("pages", r.pages());
        m.put("zeroPages", r.zeroPages());
        m.put("pausedMs", r.pausedMs());
        m.put("invariant", r.invariant().map(i -> Json.object("holds", i.holds(), "pagesChecked", i.pagesChecked(),
                "steps", i.steps(), "firstBadPages", i.firstBadPages(), "detail", i.detail())).orElse(null));
        return m;
    }
}
