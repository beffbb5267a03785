package org.vmlab.workloads;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.workload.Workload;

/**
 * Memory-intensive guest: writes pages of a working set at a target rate with a uniform, Zipf or
 * sequential distribution, keeping the {@link CounterPages} invariant.
 *
 * <p>Units: {@code rate} is bytes of pages written per second with binary prefixes
 * ({@code 50M} = 50 MiB/s = 12800 page writes/s; every write rewrites and dirties one 4 KiB page);
 * 0 writes as fast as the vCPUs allow. The working set includes one header page.
 */
@Component(service = Workload.class, property = {
        "vmlab.family=workload",
        "vmlab.name=memory",
        "vmlab.description=writes a working set at a target rate (uniform, zipf or sequential) keeping a checkable invariant"})
public final class MemoryWorkload extends AbstractWorkload {

    public static final String NAME = "memory";

    static final List<Param> PARAMS = List.of(
            Param.size("working-set", "64M", 2 * 4096L, 1L << 44,
                    "memory written, reserved from the guest (binary prefixes: 64M, 2G); includes one header page").layout(),
            Param.byteRate("rate", "0",
                    "target write rate in bytes/s of dirtied 4 KiB pages, binary prefixes (50M = 50 MiB/s); 0 = as fast as possible"),
            Param.choice("distribution", "uniform",
                    "which pages are written: uniform, zipf (hot pages, see zipf-s) or sequential (sweeps)",
                    "uniform", "zipf", "sequential").layout(),
            Param.decimal("zipf-s", "0.99", 0.01, 10, "Zipf exponent s for distribution=zipf (P(rank k) ~ k^-s)"),
            Param.choice("fill", "page",
                    "page: every write rewrites the whole page with fresh pseudo-random data; words: only a counter and a check word change",
                    "page", "words").layout(),
            Param.integer("seed", "42", Long.MIN_VALUE, Long.MAX_VALUE, "seed of the page choice"),
            Param.integer("tasks", "0", 0, GuestHeader.MAX_TASKS,
                    "guest tasks (threads) writing, each its own slice, spread over the vCPUs; 0 = one per vCPU."
                            + " More tasks than vCPUs let a vCPU run another task while one waits (cooperative postcopy)").layout());

    public MemoryWorkload() {
        super(NAME, PARAMS, MemoryRun::new);
    }

    /**
     * The invariant of the memory workload whose newest state is in {@code memory}, found by
     * scanning it: what a migration destination checks without the source's run object.
     *
     * @throws org.vmlab.api.VmlabException if the memory holds no memory-workload state
     */
    public static CounterPages invariantIn(GuestMemory memory) {
        return new CounterPages(GuestHeader.find(memory, NAME, "this guest memory").pfn());
    }
}
