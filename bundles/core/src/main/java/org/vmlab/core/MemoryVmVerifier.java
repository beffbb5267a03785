package org.vmlab.core;

import java.util.Optional;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.vm.VerificationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.vm.VmVerifier;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.WorkloadRun;

/** Verifies through the api only, so it works the same on every backend. */
@Component(service = VmVerifier.class)
public final class MemoryVmVerifier implements VmVerifier {

    @Override
    public VerificationReport verify(Vm vm) {
        boolean wasRunning = vm.state() == VmState.RUNNING;
        long start = System.nanoTime();
        if (wasRunning) {
            vm.pause();
        }
        try {
            Optional<InvariantResult> invariant = vm.workload().flatMap(WorkloadRun::invariant)
                    .map(inv -> inv.check(vm.memory()));
            GuestMemory memory = vm.memory();
            long digest = 0;
            long zero = 0;
            for (long pfn = 0; pfn < memory.pageCount(); pfn++) {
                digest = MemoryDigest.add(digest, pfn, memory.pageHash(pfn));
                if (memory.isZero(pfn)) {
                    zero++;
                }
            }
            long pausedMs = wasRunning ? (System.nanoTime() - start) / 1_000_000 : 0;
            return new VerificationReport(vm.id(), invariant, digest, memory.pageCount(), zero, pausedMs);
        } finally {
            if (wasRunning) {
                vm.resume();
            }
        }
    }
}
