package org.vmlab.workloads;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.workload.Workload;

/**
 * A TPC-C-like database: transactions of random block reads and read-modify-writes over a table
 * region of the disk through the guest page cache, a periodic write-back (a checkpoint / fsync),
 * and a buffer pool in anonymous memory where every committed transaction updates one page (the
 * buffer keeps the {@link CounterPages} invariant; its steps count committed transactions).
 *
 * <p>Transactions arrive at {@code rate} per second (open loop; 0 = each of the {@code tasks} server
 * processes runs them back to back) and each also updates {@code touch} pages of its process's own
 * memory ({@code private} bytes each). The table holds {@code content}, written to the disk when
 * the run starts unless it is there already.
 *
 * <p>Units: {@code rate} is transactions per second (0 = as fast as possible); sizes take binary
 * prefixes; {@code writeback-interval} takes 500ms, 1s, 2.5s (0 = never). Samples: ops =
 * transactions/s, bytes = bytes read and written through the page cache per second, and the
 * median and 99th percentile of the transactions' response times (arrival to commit). Blocks the
 * database wrote carry a tag and a check word; reading one back with a wrong check word fails the
 * run (corruption, e.g. a wrongly migrated page-cache page).
 */
@Component(service = Workload.class, property = {
        "vmlab.family=workload",
        "vmlab.name=database",
        "vmlab.description=TPC-C-like read/write transactions through the page cache with periodic write-back"})
public final class DatabaseWorkload extends AbstractWorkload {

    public static final String NAME = "database";

    static final List<Param> PARAMS = List.of(
            Param.size("table-size", "256M", 4096, 1L << 44,
                    "table region: disk blocks [0, table-size/4096) (binary prefixes: 256M, 4G)").layout(),
            Param.decimal("rate", "1000", 0, 1e9, "transactions per second; 0 = as fast as possible"),
            Param.decimal("read-ratio", "0.7", 0, 1, "fraction of block accesses that are reads; the rest are read-modify-writes"),
            Param.integer("ops-per-tx", "8", 1, 1024, "block accesses per transaction"),
            Param.duration("writeback-interval", "1s", "how often the guest writes dirty pages back (sync); 0 = never"),
            Param.size("buffer", "16M", 2 * 4096L, 1L << 40,
                    "buffer pool in anonymous guest memory (one page updated per transaction); includes one header page").layout(),
            Param.choice("popularity", "uniform", "which blocks are accessed: uniform or zipf (see zipf-s)",
                    "uniform", "zipf"),
            Param.decimal("zipf-s", "0.99", 0.01, 10, "Zipf exponent for popularity=zipf"),
            Param.integer("seed", "42", Long.MIN_VALUE, Long.MAX_VALUE, "seed of the block choice"),
            Param.integer("tasks", "0", 0, GuestHeader.MAX_TASKS,
                    "server processes (connections); 0 = one per vCPU (more than vCPUs let a vCPU run"
                            + " another while one waits for a page, as with guest-cooperative postcopy)").layout(),
            Param.size("private", "0", 0, 1L << 36,
                    "memory of each server process (sessions, sort buffers), reserved from the guest; 0 = none").layout(),
            Param.integer("touch", "4", 0, 1024, "pages of its process's memory a transaction updates"),
            DataSet.param());

    public DatabaseWorkload() {
        super(NAME, PARAMS, DatabaseRun::new);
    }
}
