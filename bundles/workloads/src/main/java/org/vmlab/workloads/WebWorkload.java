package org.vmlab.workloads;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.workload.Workload;

/**
 * A web server serving static files through the guest page cache, like an Apache VM: a request
 * reads {@code file-size} consecutive disk blocks of a file chosen by {@code popularity} from the
 * data set {@code [0, files / 4096)}. With {@code warm=true} it first reads the whole data set
 * once, sequentially, to fill the page cache. It never writes the disk.
 *
 * <p>Units: {@code rate} is requests per second (0 = as fast as possible); sizes take binary
 * prefixes. Samples: ops = requests/s, bytes = bytes read/s (warm-up reads included).
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
            Param.integer("seed", "42", Long.MIN_VALUE, Long.MAX_VALUE, "seed of the file choice"));

    public WebWorkload() {
        super(NAME, PARAMS, WebRun::new);
    }
}
