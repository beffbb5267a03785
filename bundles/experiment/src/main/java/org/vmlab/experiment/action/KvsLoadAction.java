package org.vmlab.experiment.action;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsService;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/**
 * {@code kvs-load}: starts a key-value server (vmlab's tiered KVS in a mode, or Debian's memcached
 * as the baseline), drives it with a closed-loop get/set load over real sockets on 127.0.0.1, and
 * stops it. Records {@code <step>.opsPerSecond}, {@code p50Micros}, {@code p90Micros},
 * {@code p99Micros}, {@code p999Micros}, {@code meanMicros}, {@code peakMicros} (the fullest 5 µs
 * bucket, Fogcached's "peak of the latency distribution") and {@code misses}, and the series
 * {@code <step>.latency}: the latency at 1000 evenly spaced quantiles, for {@code cdf} and
 * {@code histogram} plots. Server options go under {@code options} (those of {@code kvs:start}).
 */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=kvs-load",
        "vmlab.description=Starts the tiered KVS (or memcached) and drives it with get/set load; records throughput, latency percentiles and a latency series"})
public final class KvsLoadAction extends DescribedAction {
    static final List<Parameter> PARAMETERS = List.of(
            Parameter.text("mode", "dual-lru", "a mode of the tiered KVS (flat, dram-only, nvm-only, dual-lru; its other"
                    + " options under 'options'), or memcached: Debian's memcached as the baseline"),
            Parameter.integer("connections", "8", 1, 256, "client connections, one thread each, closed loop"),
            Parameter.duration("warmup", "1s", "load before latencies are recorded"),
            Parameter.duration("duration", "5s", "how long latencies are recorded"),
            Parameter.integer("keys", "10000", 1, 10_000_000, "distinct keys, all stored before the load"),
            Parameter.size("value", "1k", 1, 1 << 20, "value size"),
            Parameter.decimal("get-ratio", "0.9", 0, 1, "share of requests that are gets; the rest are sets"),
            Parameter.choice("distribution", "zipf", "key popularity: zipf (s = 0.99) or uniform", "zipf", "uniform"),
            Parameter.size("memcached-memory", "64m", 1 << 20, 1L << 40, "memcached's item memory (-m) in mode memcached,"
                    + " where 'options' do not apply"));
    static final int QUANTILES = 1000;
    static final String MEMCACHED = "memcached";

    private final KvsService kvs;

    @Activate
    public KvsLoadAction(@Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                         KvsService kvs) {
        super(PARAMETERS);
        this.kvs = kvs;
    }

    @Override
    public void check(String name, Map<String, String> settings) {
        ParameterValues v = StepSettings.own(name, PARAMETERS, settings);
        if (MEMCACHED.equals(v.text("mode"))) {
            MemcachedProcess.binary().orElseThrow(() -> v.bad("mode", "memcached is not installed (apt-get install memcached)"));
            return;
        }
        if (kvs == null) {
            throw v.bad("mode", absent());
        }
        serverOptions(v, settings);
    }

    @Override
    public void run(ActionContext context, Map<String, String> settings) throws Exception {
        ParameterValues v = StepSettings.own("kvs-load", PARAMETERS, settings);
        KvsLoadDriver.Load load = new KvsLoadDriver.Load(v.intValue("connections"), v.duration("warmup").toNanos(),
                v.duration("duration").toNanos(), v.intValue("keys"), (int) v.bytes("value"), v.decimal("get-ratio"),
                "zipf".equals(v.choice("distribution")));
        KvsLoadDriver.Result r;
        if (MEMCACHED.equals(v.text("mode"))) {
            try (MemcachedProcess m = MemcachedProcess.start(v.bytes("memcached-memory") >> 20, 4)) {
                context.note(context.step() + ": memcached on " + m.address());
                r = drive(context, m.address(), load);
            }
        } else {
            if (kvs == null) {
                throw new VmlabException(absent());
            }
            try (KvsServer server = kvs.start(null, serverOptions(v, settings))) {
                context.note(context.step() + ": KVS " + server.id() + " on " + server.address() + " " + server.options().get("mode"));
                r = drive(context, server.address(), load);
            }
        }
        record(context, r);
        if (r.wrong() > 0) {
            throw new VmlabException(r.wrong() + " gets returned a wrong value");
        }
    }

    private static KvsLoadDriver.Result drive(ActionContext context, InetSocketAddress address, KvsLoadDriver.Load load)
            throws Exception {
        KvsLoadDriver driver = new KvsLoadDriver(address, load);
        driver.prefill();
        return driver.run(line -> context.note(context.step() + ": " + line));
    }

    private static void record(ActionContext context, KvsLoadDriver.Result r) {
        Histogram h = r.latencyMicros();
        if (h.getTotalCount() == 0) {
            throw new VmlabException("no request finished in the measured time");
        }
        String s = context.step() + ".";
        context.metric(s + "opsPerSecond", r.opsPerSecond());
        context.metric(s + "p50Micros", h.getValueAtPercentile(50));
        context.metric(s + "p90Micros", h.getValueAtPercentile(90));
        context.metric(s + "p99Micros", h.getValueAtPercentile(99));
        context.metric(s + "p999Micros", h.getValueAtPercentile(99.9));
        context.metric(s + "meanMicros", h.getMean());
        context.metric(s + "peakMicros", peak(h));
        context.metric(s + "misses", r.misses());
        if (context instanceof SeriesOutput out) {
            out.series(context.step() + ".latency", List.of("quantile", "latencyMicros"), quantiles(h));
        }
        context.note(String.format(Locale.ROOT, "%s: %.0f ops/s, p50 %d µs, p99 %d µs, peak %.1f µs", context.step(),
                r.opsPerSecond(), h.getValueAtPercentile(50), h.getValueAtPercentile(99), peak(h)));
    }

    /** The latency at {@link #QUANTILES} evenly spaced quantiles: a sample whose CDF is the histogram's. */
    static List<List<?>> quantiles(Histogram h) {
        List<List<?>> rows = new ArrayList<>(QUANTILES);
        for (int i = 0; i < QUANTILES; i++) {
            double q = (i + 0.5) / QUANTILES;
            rows.add(List.of(q, h.getValueAtPercentile(100 * q)));
        }
        return rows;
    }

    /** The middle of the fullest 5 µs bucket: where the distribution peaks. */
    static double peak(Histogram h) {
        long best = -1;
        double at = 0;
        for (HistogramIterationValue b : h.linearBucketValues(5)) {
            if (b.getCountAddedInThisIterationStep() > best) {
                best = b.getCountAddedInThisIterationStep();
                at = b.getValueIteratedTo() - 2.5;
            }
        }
        return at;
    }

    /** The KVS's options: the step's {@code options} and its mode, on a free loopback port; checked. */
    private Map<String, String> serverOptions(ParameterValues v, Map<String, String> settings) {
        Map<String, String> options = StepSettings.options(settings);
        if (options.containsKey("mode") || options.containsKey("port") || options.containsKey("host")) {
            throw v.bad("mode", "'options' may not set mode, host or port: the step's mode is used, on a free port of 127.0.0.1");
        }
        options.put("mode", v.text("mode"));
        options.put("host", "127.0.0.1");
        options.put("port", "0");
        try {
            ParameterSet.options("the KVS", kvs.options()).validate(options);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().contains("'mode'")
                    ? e.getMessage() + " (or memcached, the baseline)" : e.getMessage(), e);
        }
        return options;
    }

    private static String absent() {
        return "the tiered KVS is not installed (feature:install vmlab-kvs)";
    }
}
