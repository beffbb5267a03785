package org.vmlab.engines;

import java.util.Optional;

import org.vmlab.api.memory.PageSet;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.engines.Messages.Switchover;

/**
 * The end of precopy, with the source paused: the last stale pages and the device state cross,
 * the destination is verified on request, and on COMMIT it resumes the VM. Until the commit is
 * sent any failure is thrown and the source may resume; after it the VM must never run twice, so
 * {@link #committed()} tells the caller which it is.
 */
final class PrecopySwitchover {
    private final Outgoing out;
    private final Optional<Vm> localDestination;
    private volatile boolean committed;

    /** @param localDestination the destination VM when it is on this node (compared byte for byte) */
    PrecopySwitchover(Outgoing out, Optional<Vm> localDestination) {
        this.out = out;
        this.localDestination = localDestination;
    }

    /** Whether COMMIT went out: from then on the destination may run the VM. */
    boolean committed() {
        return committed;
    }

    /**
     * Runs the switchover; the source VM has just been paused.
     *
     * @param round      the number of this last round
     * @param pauseStart {@link System#nanoTime()} when the pause began
     */
    void run(int round, long pauseStart) throws Exception {
        out.stale().mark(out.log().sync());
        PageSet last = out.stale().snapshot();
        long[] order = out.order(round, last);
        Telemetry t = out.telemetry();
        long bytesBefore = t.bytesNetwork();
        long start = System.nanoTime();
        PageSender.Counts counts = out.sender().send(round, order);
        out.link().flush(counts.pages());
        MigrationChannel control = out.link().control();
        control.send(new Switchover(out.plan().verify(), out.vm().saveDeviceState()));
        long verifyNanos = 0;
        if (out.plan().verify()) {
            t.phase(MigrationPhase.VERIFY);
            long verifyStart = System.nanoTime();
            String bad = new SourceVerifier(out.vm(), localDestination).verify(control::next, false);
            verifyNanos = System.nanoTime() - verifyStart;
            t.verifyTime(verifyNanos);
            if (bad != null) {
                t.verification(Verification.FAILED);
                throw new Failures.VerificationFailure(bad);
            }
            t.verification(Verification.PASSED);
        }
        out.checkCancelled();
        committed = true;
        control.send(FrameType.COMMIT);
        control.expect(FrameType.RESUMED);
        t.resumed(pauseStart);
        t.round(round, counts, t.bytesNetwork() - bytesBefore, System.nanoTime() - start - verifyNanos, 0);
        t.phase(MigrationPhase.DONE);
    }
}
