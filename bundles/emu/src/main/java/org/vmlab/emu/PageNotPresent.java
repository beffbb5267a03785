package org.vmlab.emu;

/**
 * Thrown by a guest memory access on a vCPU thread in a {@link org.vmlab.api.memory.FaultMode#COOPERATIVE}
 * postcopy when the page has not arrived: it abandons the current {@link org.vmlab.api.guest.GuestTask}
 * step, which {@link EmuVcpus} catches without ending the task. The task is parked and its step
 * is run again, from the start, once the page is filled. Internal; never escapes a vCPU.
 * Stackless, so throwing it is cheap.
 */
final class PageNotPresent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final transient EmuPostcopyMemory memory;
    final long pfn;
    final long sinceNanos;

    PageNotPresent(EmuPostcopyMemory memory, long pfn, long sinceNanos) {
        super("page " + pfn + " has not arrived", null, false, false);
        this.memory = memory;
        this.pfn = pfn;
        this.sinceNanos = sinceNanos;
    }
}
