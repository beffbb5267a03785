package org.vmlab.workloads;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.workload.Workload;

/**
 * A web server serving static files through the guest page cache, like an Apache VM: {@code tasks}
 * server processes, each with {@code private} bytes of its own memory, take requests that arrive at
 * {@code rate} per second (open loop; 0 = each process serves as fast as it can). A request updates
 * {@code touch} pages of its process's memory and reads {@code file-size} consecutive disk blocks
 * of a file chosen by {@code popularity} from the data set {@code [0, files / 4096)}, which holds
 * {@code content} (written to the disk when the run starts, unless it is there already). With
 * {@code warm=true} the processes first read the whole data set once, sequentially, to fill the
 * page cache. It never writes the disk.
 *
 * <p>Units: {@code rate} is requests per second; sizes take binary prefixes. Samples: ops =
 * requests/s, bytes = bytes read/s (warm-up reads included), and the median and 99th percentile of
 * the response time (arrival to end) of the requests of each second.
 */
@Component(service = Workload.class, property = {
        "vmlab.family=workload",
        "vmlab.name=web",
        "vmlab.description=web server reading static files through the guest page cache (optional warm-up)"})
public final class WebWorkload extends AbstractWorkload {

    public static final String NAME = "web";

    static final List<Param> PARAMS = List.of(
            Param.size("files", "256M", 4096, 1L << 44,
                    "data set size: disk blocks [0, files/4096) hold the files (binary prefixes: 256M, 4G)").layout(),
            Param.decimal("rate", "0", 0, 1e9, "requests per second; 0 = as fast as possible"),
            Param.size("file-size", "64K", 4096, 1L << 30,
                    "bytes one request reads (consecutive blocks), rounded up to 4 KiB").layout(),
            Param.choice("popularity", "uniform", "which files are requested: uniform or zipf (see zipf-s)",
                    "uniform", "zipf"),
            Param.decimal("zipf-s", "0.99", 0.01, 10, "Zipf exponent for popularity=zipf"),
            Param.bool("warm", "false", "first read the whole data set once, sequentially, to warm the page cache"),
            Param.integer("seed", "42", Long.MIN_VALUE, Long.MAX_VALUE, "seed of the file choice"),
            Param.integer("tasks", "0", 0, GuestHeader.MAX_TASKS,
                    "server processes; 0 = one per vCPU (more than vCPUs let a vCPU serve while a process"
                            + " waits for a page, as with guest-cooperative postcopy)").layout(),
            Param.size("private", "0", 0, 1L << 36,
                    "memory of each server process (its heap), reserved from the guest; 0 = none").layout(),
            Param.integer("touch", "4", 0, 1024, "pages of its process's memory a request updates"),
            DataSet.param());

    public WebWorkload() {
        super(NAME, PARAMS, WebRun::new);
    }
}
