package org.vmlab.api.vm;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.vmlab.api.workload.InvariantResult;

/**
 * What {@link VmVerifier} found.
 *
 * @param vmId      the VM checked
 * @param invariant the workload's invariant check; empty when the workload keeps none
 * @param digest    a 64-bit digest of every page's content and position
 * @param pages     the number of pages digested
 * @param zeroPages how many of them were all zero
 * @param pausedMs  how long the VM was held paused for the check (0 if it was not running)
 */
public record VerificationReport(String vmId, Optional<InvariantResult> invariant, long digest, long pages,
                                 long zeroPages, long pausedMs) {
    public VerificationReport {
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(invariant, "invariant");
    }

    /** True unless the invariant was checked and failed. */
    public boolean passed() {
        return invariant.map(InvariantResult::holds).orElse(true);
    }

    /** The first pages the invariant check found bad (at most ten). */
    public List<Long> firstBadPages() {
        return invariant.map(InvariantResult::firstBadPages).orElse(List.of());
    }
}
