package org.vmlab.shell.support;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.support.parsing.DefaultParser;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;

/** A catalog over a fixed list, the first of each family its default; and typed command lines. */
public final class FakeCatalog implements ProviderCatalog {
    public static final Parameter STAGES = Parameter.integer("stages", "8", 1, 1024, "stages per round");
    public static final Parameter SWITCHOVER = Parameter.choice("switchover", "converge",
            "when to stop the guest", "converge", "threshold");
    public static final Parameter AUTO_CONVERGE = Parameter.bool("auto-converge", "true", "throttle the vCPUs");
    public static final Parameter FAULT_MODE = Parameter.choice("fault-mode", "blocking", "how a fault waits",
            "blocking", "cooperative");
    public static final Parameter SPREAD = Parameter.decimal("spread", "0.5", 0, 1, "how far pages spread");
    public static final Parameter RATE = Parameter.byteRate("rate", "0", "bytes written per second");
    public static final Parameter WORKING_SET = Parameter.size("working-set", "64M", 4096, 1L << 40, "pages written");

    private final List<ProviderInfo> providers = new ArrayList<>();

    /** precopy (default) and postcopy; sequential (default) and spread; memory and idle. */
    public static FakeCatalog standard() {
        return new FakeCatalog()
                .add("engine", "precopy", SWITCHOVER, STAGES, AUTO_CONVERGE)
                .add("engine", "postcopy", FAULT_MODE)
                .add("ordering", "sequential")
                .add("ordering", "spread", SPREAD)
                .add("workload", "memory", RATE, WORKING_SET)
                .add("workload", "idle");
    }

    public FakeCatalog add(String family, String name, Parameter... settings) {
        boolean first = providers.stream().noneMatch(p -> p.family().equals(family));
        providers.add(new ProviderInfo(family, name, name + " does things", "org.example", "1.0.0", first ? 100 : 0,
                providers.size() + 1, first, List.of(settings)));
        return this;
    }

    @Override
    public List<ProviderInfo> providers() {
        return List.copyOf(providers);
    }

    @Override
    public List<ProviderInfo> providers(Family family) {
        return providers.stream().filter(p -> p.family().equals(family.id())).toList();
    }

    /** {@code typed} as the console parses it with the cursor at its end. */
    public static CommandLine line(String typed) {
        return new DefaultParser().parse(null, typed, typed.length());
    }
}
