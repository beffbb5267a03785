package org.vmlab.api.vm;

/**
 * What pausing a VM took; the stop time is part of a migration's downtime.
 *
 * @param stopNanos           the time to bring every vCPU to a consistent stop, {@code >= 0}
 * @param pausedAtEpochMillis when the VM was paused (wall clock)
 */
public record PauseResult(long stopNanos, long pausedAtEpochMillis) {
    public PauseResult {
        if (stopNanos < 0) {
            throw new IllegalArgumentException("stopNanos must be >= 0: " + stopNanos);
        }
    }
}
