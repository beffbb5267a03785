package org.vmlab.experiment.plan;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One step of a run, checked.
 *
 * @param pointer  where it is in the spec, for messages
 * @param id       its id: given, else the action's name (with {@code -2}, {@code -3} ... if repeated)
 * @param kind     {@link #WAIT}, {@link #AWAIT} or an action's {@code vmlab.name}
 * @param settings the action's settings, nested maps flattened with dots
 * @param at       start no earlier than this long after warm-up; {@code null} for at once
 * @param when     start once this holds; {@code null} for at once
 * @param async    run in the background; a later {@code await} (or the run's end) waits for it
 * @param duration how long a {@code wait} step waits
 * @param awaits   the step id an {@code await} step waits for
 */
public record Step(String pointer, String id, String kind, Map<String, String> settings, Duration at,
                   Condition when, boolean async, Duration duration, String awaits) {
    public static final String WAIT = "wait";
    public static final String AWAIT = "await";

    public Step {
        Objects.requireNonNull(pointer, "pointer");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }

    public boolean isAction() {
        return !WAIT.equals(kind) && !AWAIT.equals(kind);
    }

    /**
     * Wait until a VM's guest throughput crosses a level.
     *
     * @param vm       the spec's VM name
     * @param above    start once ops/s is above this ({@code NaN}: no lower bound)
     * @param below    start once ops/s is below this ({@code NaN}: no upper bound)
     * @param timeout  the run fails if it has not held by then
     */
    public record Condition(String vm, double above, double below, Duration timeout) {
        public boolean holds(double opsPerSecond) {
            return (Double.isNaN(above) || opsPerSecond > above) && (Double.isNaN(below) || opsPerSecond < below);
        }
    }
}
