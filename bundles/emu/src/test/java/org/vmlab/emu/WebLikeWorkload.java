package org.vmlab.emu;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.Workload;
import org.vmlab.api.workload.WorkloadRun;

/**
 * A test workload like a web server: serves disk blocks through the page cache (warming it) and
 * keeps its request counter in a reserved guest frame (the header: magic, counter).
 */
final class WebLikeWorkload implements Workload {
    static final long MAGIC = 0x5745424C494B45L;

    @Override
    public List<Parameter> parameters() {
        return List.of(Parameter.integer("files", "64", 1, 1 << 20, "blocks served"));
    }

    @Override
    public WorkloadRun start(Vm vm, Map<String, String> parameters) {
        int files = Integer.parseInt(parameters.getOrDefault("files", "64"));
        FrameRange header = vm.guestOs().orElseThrow().reserve(1);
        vm.memory().putLong(header.first() * Pages.SIZE, MAGIC);
        return run(vm, header.first() * Pages.SIZE, Map.of("files", Integer.toString(files)));
    }

    @Override
    public WorkloadRun resume(Vm vm, Map<String, String> parameters) {
        List<FrameRange> r = ((EmuVm) vm).emuGuestOs().reservations();
        if (r.isEmpty() || vm.memory().getLong(r.get(0).first() * Pages.SIZE) != MAGIC) {
            throw new VmlabException("no web state in the memory of VM '" + vm.id() + "'");
        }
        return run(vm, r.get(0).first() * Pages.SIZE, parameters);
    }

    static long requests(Vm vm) {
        return vm.memory().getLong(((EmuVm) vm).emuGuestOs().reservations().get(0).first() * Pages.SIZE + 8);
    }

    private WorkloadRun run(Vm vm, long header, Map<String, String> params) {
        int files = Integer.parseInt(params.get("files"));
        GuestOs os = vm.guestOs().orElseThrow();
        ByteBuffer buf = ByteBuffer.allocate(Pages.SIZE);
        TaskHandle h = vm.vcpus().submit("web", () -> {
            long n = vm.memory().getLong(header + 8);
            buf.clear();
            os.read(n % files, buf);
            vm.memory().putLong(header + 8, n + 1);
            return true;
        });
        return new WorkloadRun() {
            @Override
            public String workload() {
                return "weblike";
            }

            @Override
            public Map<String, String> parameters() {
                return params;
            }

            @Override
            public List<ThroughputSample> samples() {
                return List.of();
            }

            @Override
            public ThroughputSample latest() {
                return new ThroughputSample(System.currentTimeMillis(), 0, 0);
            }

            @Override
            public Optional<MemoryInvariant> invariant() {
                return Optional.empty();
            }

            @Override
            public void stop() {
                h.cancel();
            }

            @Override
            public boolean isRunning() {
                return !h.isDone();
            }
        };
    }
}
