package org.vmlab.emu;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.Workload;
import org.vmlab.api.workload.WorkloadRun;

/** A test workload whose state lives in guest memory: a magic word and a step counter. */
final class CounterWorkload implements Workload {
    static final long MAGIC = 0xC0C0C0C0L;
    static final long COUNTER = 8;

    @Override
    public List<Parameter> parameters() {
        return List.of(Parameter.integer("limit", "-1", -1, Long.MAX_VALUE, "steps to run, -1 for ever"));
    }

    @Override
    public WorkloadRun start(Vm vm, Map<String, String> parameters) {
        long limit = Long.parseLong(parameters.getOrDefault("limit", "-1"));
        if (limit == 0) {
            throw new IllegalArgumentException("limit must not be 0");
        }
        vm.memory().putLong(0, MAGIC);
        return run(vm, Map.of("limit", Long.toString(limit)));
    }

    @Override
    public WorkloadRun resume(Vm vm, Map<String, String> parameters) {
        if (vm.memory().getLong(0) != MAGIC) {
            throw new VmlabException("no counter state in the memory of VM '" + vm.id() + "'");
        }
        return run(vm, parameters);
    }

    private WorkloadRun run(Vm vm, Map<String, String> params) {
        long limit = Long.parseLong(params.getOrDefault("limit", "-1"));
        TaskHandle h = vm.vcpus().submit("counter", () -> {
            long n = vm.memory().getLong(COUNTER) + 1;
            vm.memory().putLong(COUNTER, n);
            return limit < 0 || n < limit;
        });
        return new WorkloadRun() {
            @Override
            public String workload() {
                return "counter";
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
