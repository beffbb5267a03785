package org.vmlab.backend.support.vm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;

/**
 * The VMs of one backend by id, and the ids and memory of VMs being built. A VM is built in three
 * steps: {@link #reserve} takes its id and memory under the guest memory cap (so two creations
 * cannot both take the last of it, even while one boots outside any lock),
 * {@link Reservation#register} publishes the finished VM, and {@link Reservation#close} gives back
 * what a failed build reserved. Lookups are lock-free.
 *
 * @param <V> the backend's VM class
 */
public final class VmRegistry<V extends Vm> {
    private static final Logger LOG = LoggerFactory.getLogger(VmRegistry.class);
    /** Names are cut to this length before a {@code -incoming}/{@code -restored} suffix. */
    private static final int MAX_BASE_NAME = 40;

    private final String backend;
    private final Map<String, V> vms = new ConcurrentHashMap<>();
    /** Memory of each id reserved and not yet registered; guarded by this. */
    private final Map<String, Long> reserved = new HashMap<>();

    /** @param backend the backend's name ({@code emu}, {@code qemu}), for messages */
    public VmRegistry(String backend) {
        this.backend = backend;
    }

    public String backend() {
        return backend;
    }

    /** The VMs, sorted by id. */
    public List<Vm> list() {
        List<Vm> out = new ArrayList<>(vms.values());
        out.sort(Comparator.comparing(Vm::id));
        return out;
    }

    /** The backend's own VM objects, unsorted. */
    public List<V> all() {
        return new ArrayList<>(vms.values());
    }

    public Optional<Vm> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(vms.get(id));
    }

    public int size() {
        return vms.size();
    }

    /** Guest memory of the registered VMs. */
    public long memoryInUse() {
        long sum = 0;
        for (V vm : vms.values()) {
            sum += vm.spec().memoryBytes();
        }
        return sum;
    }

    /**
     * Takes an id and the spec's memory for a VM about to be built.
     *
     * @param suffix    null for a new VM, whose id is the spec's name (refused if taken); else the
     *                  name, or while that is taken {@code <name>-<suffix>}, then
     *                  {@code <name>-<suffix>-2}, ... (migration destinations, restored VMs)
     * @param maxMemory the most guest memory all VMs of the backend together may have
     * @throws VmlabException if the name is taken or the memory is not there
     */
    public synchronized Reservation reserve(VmSpec spec, String suffix, long maxMemory) {
        String name = spec.name();
        if (suffix == null && taken(name)) {
            throw new VmlabException("a VM named '" + name + "' exists already");
        }
        String id = suffix == null ? name : freeId(name, suffix);
        long inUse = memoryInUse() + reserved.values().stream().mapToLong(Long::longValue).sum();
        if (spec.memoryBytes() > maxMemory - inUse) {
            throw new VmlabException("VM '" + name + "' asks for " + new ByteSize(spec.memoryBytes())
                    + " of memory but the " + backend + " backend allows " + approx(maxMemory) + " in all and "
                    + approx(inUse) + " are in use");
        }
        reserved.put(id, spec.memoryBytes());
        return new Reservation(id);
    }

    private boolean taken(String id) {
        return vms.containsKey(id) || reserved.containsKey(id);
    }

    private String freeId(String name, String suffix) {
        if (!taken(name)) {
            return name;
        }
        String base = name.length() > MAX_BASE_NAME ? name.substring(0, MAX_BASE_NAME) : name;
        for (int i = 1; ; i++) {
            String id = base + "-" + suffix + (i == 1 ? "" : "-" + i);
            if (!taken(id)) {
                return id;
            }
        }
    }

    /** A size for people to read (ByteSize prints exact values, which for limits look odd). */
    public static String approx(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /** Removes {@code vm} if it is still the one registered under its id. */
    public void remove(Vm vm) {
        vms.remove(vm.id(), vm);
    }

    /** Destroys every VM, logging any that fails; the backend stays usable. */
    public void destroyAll() {
        for (V vm : all()) {
            try {
                vm.destroy();
            } catch (RuntimeException e) {
                LOG.warn("destroying {} VM '{}' failed: {}", backend, vm.id(), e.toString());
            }
        }
    }

    /** An id and memory held for one VM being built. */
    public final class Reservation implements AutoCloseable {
        private final String id;

        private Reservation(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** Publishes the built VM under {@link #id()}; the reservation becomes the VM's own entry. */
        public V register(V vm) {
            if (!id.equals(vm.id())) {
                throw new IllegalArgumentException("VM '" + vm.id() + "' registered for id '" + id + "'");
            }
            synchronized (VmRegistry.this) {
                reserved.remove(id);
                vms.put(id, vm);
            }
            return vm;
        }

        /** Gives back the id and memory unless the VM was registered; idempotent. */
        @Override
        public void close() {
            synchronized (VmRegistry.this) {
                reserved.remove(id);
            }
        }
    }
}
