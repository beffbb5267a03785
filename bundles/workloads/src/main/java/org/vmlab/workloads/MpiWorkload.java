package org.vmlab.workloads;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.workload.Workload;

/**
 * An MPI-like rank: iterations of compute (a loop over anonymous guest memory for
 * {@code compute-ms}) followed by an exchange of one {@code message-size} message with every
 * peer over real TCP, with barrier semantics: iteration {@code i} ends only when this rank's
 * message {@code i} went to every peer and message {@code i} (or later) came from every peer.
 * All socket I/O is non-blocking inside guest steps; unreachable peers are retried every 50 ms,
 * and a broken connection is reopened and the current messages resent (receivers drop
 * duplicates), so a rank can be migrated and resumed. With no peers it just computes.
 *
 * <p>Samples: ops = iterations/s, bytes = message bytes sent and received per second.
 */
@Component(service = Workload.class, property = {
        "vmlab.family=workload",
        "vmlab.name=mpi",
        "vmlab.description=MPI-like rank: compute over guest memory, then exchange messages with peer VMs over TCP (barrier per iteration)"})
public final class MpiWorkload extends AbstractWorkload {

    public static final String NAME = "mpi";

    static final List<Param> PARAMS = List.of(
            Param.integer("rank", "0", 0, 1_000_000, "this rank's number, unique among the ranks"),
            Param.text("peers", "", "comma-separated host:port of the other ranks' listen ports; empty = a single rank"),
            Param.integer("listen", "0", 0, 65535,
                    "TCP port on 127.0.0.1 where the other ranks connect to this one; required with peers (0 = none)"),
            Param.decimal("compute-ms", "10", 0, 600_000, "compute time per iteration, in ms of vCPU time"),
            Param.size("message-size", "64K", 0, 64L << 20, "bytes sent to every peer per iteration (binary prefixes)"),
            Param.integer("iterations", "0", 0, Long.MAX_VALUE, "iterations to run, then keep serving peers idle; 0 = forever"),
            Param.size("memory", "16M", 2 * 4096L, 1L << 40,
                    "anonymous guest memory (the footprint), filled with data at start, that the compute loop walks; includes one header page").layout());

    public MpiWorkload() {
        super(NAME, PARAMS, MpiRun::new);
    }
}
