package org.vmlab.experiment.store;

/**
 * {@code state.json}: how far a run id got.
 *
 * @param runId   the folder's name
 * @param name    the spec's name
 * @param spec    the spec file as the user named it
 * @param status  {@code running}, {@code completed}, {@code failed} or {@code interrupted}
 * @param total   planned runs
 * @param started ISO-8601 instant of the first start
 * @param ended   ISO-8601 instant of the last end, or {@code null} while running
 */
public record State(String runId, String name, String spec, String status, int total, String started, String ended) {
    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String INTERRUPTED = "interrupted";

    public State with(String newStatus, String newEnded) {
        return new State(runId, name, spec, newStatus, total, started, newEnded);
    }
}
