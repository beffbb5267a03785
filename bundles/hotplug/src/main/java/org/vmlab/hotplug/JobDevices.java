package org.vmlab.hotplug;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.DeviceHotplug;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;

/** Detaches and attaches the pass-through devices of a job's VMs, each VM on its own thread. */
final class JobDevices {
    private static final Logger LOG = LoggerFactory.getLogger(JobDevices.class);

    private final List<DeviceHotplug> providers;

    JobDevices(List<DeviceHotplug> providers) {
        this.providers = List.copyOf(providers);
    }

    static List<DeviceSpec> passthrough(Vm vm) {
        return vm.devices().stream().filter(DeviceSpec::passthrough).toList();
    }

    /** The provider that can hot-plug {@code vm}'s devices. */
    DeviceHotplug provider(Vm vm) {
        List<String> why = new ArrayList<>();
        for (DeviceHotplug p : providers) {
            var reason = p.unsupportedReason(vm);
            if (reason.isEmpty()) {
                return p;
            }
            why.add(reason.get());
        }
        throw new VmlabException("no hotplug provider can handle VM '" + vm.id() + "'"
                + (why.isEmpty() ? ": none is installed" : ": " + String.join("; ", why)));
    }

    /**
     * Detaches every pass-through device of every VM. If one fails, the ones already detached are
     * attached again before the failure is thrown.
     */
    void detachAll(List<Vm> vms, Duration timeout, Timeline timeline) {
        Map<Vm, Object> outcomes = Parallel.run(vms, vm -> {
            List<DeviceSpec> done = new ArrayList<>();
            for (DeviceSpec d : passthrough(vm)) {
                long start = timeline.now();
                try {
                    provider(vm).detach(vm, d.id(), timeout);
                } catch (RuntimeException e) {
                    attachQuietly(vm, done, timeout);
                    throw e;
                }
                done.add(d);
                timeline.record("detach", vm.id(), start, d.id());
            }
            return done;
        });
        RuntimeException first = null;
        for (Map.Entry<Vm, Object> e : outcomes.entrySet()) {
            if (e.getValue() instanceof Parallel.Failure f) {
                first = first != null ? first : asVmlab(e.getKey(), f.error());
            }
        }
        if (first != null) {
            for (Map.Entry<Vm, Object> e : outcomes.entrySet()) {
                if (e.getValue() instanceof List<?> done) {
                    @SuppressWarnings("unchecked")
                    List<DeviceSpec> specs = (List<DeviceSpec>) done;
                    attachQuietly(e.getKey(), specs, timeout);
                }
            }
            throw first;
        }
    }

    /** Attaches {@code devices.get(vm)} to each VM. */
    void attachAll(Map<Vm, List<DeviceSpec>> devices, Duration timeout, Timeline timeline) {
        Parallel.each(new ArrayList<>(devices.keySet()), Vm::id, vm -> {
            for (DeviceSpec d : devices.get(vm)) {
                long start = timeline.now();
                provider(vm).attach(vm, d, timeout);
                timeline.record("attach", vm.id(), start, d.id());
            }
            return null;
        });
    }

    private void attachQuietly(Vm vm, List<DeviceSpec> devices, Duration timeout) {
        for (DeviceSpec d : devices) {
            try {
                provider(vm).attach(vm, d, timeout);
            } catch (RuntimeException e) {
                LOG.warn("could not attach device '{}' of VM '{}' again: {}", d.id(), vm.id(), e.getMessage());
            }
        }
    }

    private static RuntimeException asVmlab(Vm vm, Throwable t) {
        return t instanceof RuntimeException r ? r : new VmlabException("VM '" + vm.id() + "': " + t.getMessage(), t);
    }
}
