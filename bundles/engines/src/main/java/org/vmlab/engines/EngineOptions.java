package org.vmlab.engines;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/**
 * The options vmlab's own engines read from {@link MigrationPlan#options()}, described once: each
 * engine's {@code options()} lists its share, and help, completion and validation come from that.
 *
 * @param switchover    when precopy stops iterating
 * @param stages        stages per precopy round (1 = one order per round, as QEMU)
 * @param autoConverge  whether precopy throttles the vCPUs when the guest dirties memory fast
 * @param faultMode     how the destination's guest waits for a missing page in postcopy
 * @param faultPrefetch postcopy: following pages sent with a faulted one
 * @param seed          the seed of randomised orderings, if the plan sets one
 * @param precopyRounds hybrid's precopy rounds before postcopy
 * @param ordering      the ordering policy's own options, checked, defaults filled in
 */
record EngineOptions(SwitchoverRule.Kind switchover, int stages, boolean autoConverge, FaultMode faultMode,
                     int faultPrefetch, OptionalLong seed, int precopyRounds, Map<String, String> ordering) {

    static final Parameter SWITCHOVER = Parameter.choice("switchover", "converge",
            "converge: past QEMU's downtime threshold, go on while one more round should leave under 3/4 of the"
                    + " rest; threshold: switch over as soon as the rest fits the downtime limit (QEMU's rule)",
            "converge", "threshold");
    static final Parameter STAGES = Parameter.integer("stages", "8", 1, 1024,
            "stages per precopy round: the ordering re-orders what is left of the round with the dirty history"
                    + " seen so far (1 = one order per round, as QEMU)");
    static final Parameter AUTO_CONVERGE = Parameter.bool("auto-converge", "true",
            "throttle the vCPUs (20%, +10% a step) after two rounds dirtying memory at half the link rate or more");
    static final Parameter FAULT_MODE = Parameter.choice("fault-mode", "blocking",
            "how the destination's guest waits for a page not there yet: blocking (the vCPU waits) or"
                    + " cooperative (the faulting task is parked, the vCPU runs other tasks)",
            "blocking", "cooperative");
    static final Parameter PRECOPY_ROUNDS = Parameter.integer("precopy-rounds", "2", 1, 1_000_000,
            "precopy rounds before the postcopy switchover (at most --max-rounds)");
    static final Parameter FAULT_PREFETCH = Parameter.integer("fault-prefetch", "7", 0, 63,
            "postcopy: pages after a faulted one that go with it, if still missing (the guest often reads on)");
    static final Parameter SEED = Parameter.integer("seed", null, Long.MIN_VALUE, Long.MAX_VALUE,
            "seed of randomised orderings (default: derived from the migration id)");

    static final List<Parameter> PRECOPY = List.of(SWITCHOVER, STAGES, AUTO_CONVERGE, SEED, Teleport.SPLIT,
            Teleport.SAN_LATENCY, Teleport.SAN_DEPTH, DropCache.PAGE_CACHE);
    static final List<Parameter> POSTCOPY = List.of(FAULT_MODE, FAULT_PREFETCH, SEED);
    static final List<Parameter> HYBRID = List.of(PRECOPY_ROUNDS, STAGES, AUTO_CONVERGE, FAULT_MODE, FAULT_PREFETCH,
            SEED, Teleport.SPLIT, Teleport.SAN_LATENCY, Teleport.SAN_DEPTH, DropCache.PAGE_CACHE);

    /**
     * The options of {@code plan} for engine {@code engine}, which takes {@code engineOptions},
     * with the ordering policy's {@code orderingOptions}.
     *
     * @throws IllegalArgumentException naming an unknown or bad option (before anything moves)
     */
    static EngineOptions of(String engine, List<Parameter> engineOptions, List<Parameter> orderingOptions,
                            MigrationPlan plan) {
        ParameterSet set = ParameterSet.options("engine '" + engine + "'", engineOptions).plus(orderingOptions)
                .plus(StorageHandoff.OPTIONS);
        ParameterValues v = set.validate(plan.options());
        int rounds = 0;
        if (engineOptions.contains(PRECOPY_ROUNDS)) {
            if (plan.options().containsKey(PRECOPY_ROUNDS.name())) {
                rounds = v.intValue(PRECOPY_ROUNDS.name());
                if (rounds > plan.maxRounds()) {
                    throw v.bad(PRECOPY_ROUNDS.name(), "more rounds than max-rounds (" + plan.maxRounds() + ")");
                }
            } else {
                rounds = Math.min(v.intValue(PRECOPY_ROUNDS.name()), plan.maxRounds());
            }
        }
        List<String> orderingNames = orderingOptions.stream().map(Parameter::name).toList();
        return new EngineOptions(
                has(engineOptions, SWITCHOVER) && v.choice(SWITCHOVER.name()).equals("threshold")
                        ? SwitchoverRule.Kind.THRESHOLD : SwitchoverRule.Kind.CONVERGE,
                has(engineOptions, STAGES) ? v.intValue(STAGES.name()) : 1,
                has(engineOptions, AUTO_CONVERGE) && v.bool(AUTO_CONVERGE.name()),
                has(engineOptions, FAULT_MODE) && v.choice(FAULT_MODE.name()).equals("cooperative")
                        ? FaultMode.COOPERATIVE : FaultMode.BLOCKING,
                has(engineOptions, FAULT_PREFETCH) ? v.intValue(FAULT_PREFETCH.name()) : 0,
                v.has(SEED.name()) ? OptionalLong.of(v.integer(SEED.name())) : OptionalLong.empty(),
                rounds,
                v.asMap().entrySet().stream().filter(e -> orderingNames.contains(e.getKey()))
                        .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    private static boolean has(List<Parameter> options, Parameter p) {
        return options.contains(p);
    }

    /** The seed for the ordering policies: the plan's, else one derived from the migration id. */
    long seedFor(MigrationPlan plan) {
        return seed.orElse(plan.id().hashCode() * 0x9E3779B97F4A7C15L);
    }
}
