package org.vmlab.engines;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.vm.Vm;
import org.vmlab.engines.Messages.Complete;
import org.vmlab.engines.Messages.PostcopySwitch;
import org.vmlab.engines.Messages.Reason;
import org.vmlab.transport.Frame;
import org.vmlab.transport.PageBatch;
import org.vmlab.transport.TransportException;

/**
 * The destination's postcopy switchover: loads the device state over memory whose missing pages
 * fault, waits for the commit, resumes at once, and serves until every page is in or the source
 * is lost. A reader thread takes the control connection meanwhile: the pages served on faults
 * arrive there.
 */
final class IncomingPostcopySwitch {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingPostcopySwitch.class);

    private final IncomingSession session;
    private final MigrationChannel control;
    private final Duration timeout;
    private final CountDownLatch commit = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);

    IncomingPostcopySwitch(IncomingSession session, MigrationChannel control, Duration timeout) {
        this.session = session;
        this.control = control;
        this.timeout = timeout;
    }

    void run(PostcopySwitch ps) throws IOException {
        Vm vm = session.vm;
        String id = session.migrationId;
        long start = System.nanoTime();
        IncomingPostcopy pc = new IncomingPostcopy(id, vm, control, timeout, ps.verify(), ps.mode(), ps.missing());
        session.postcopy(pc);
        long verifyNanos = pc.begin();
        Thread reader = new Thread(() -> readControl(pc), "vmlab-receiver-postcopy-" + id);
        reader.setDaemon(true);
        reader.start();
        long begun = System.nanoTime();
        vm.loadDeviceState(ps.deviceState()); // may fault: the reader installs the pages it needs
        control.send(new Messages.PostcopyReady(verifyNanos));
        LOG.debug("migration {}: postcopy memory ready in {} ms (verification hashing {} ms), device state loaded in {} ms",
                id, (begun - start) / 1_000_000, verifyNanos / 1_000_000, (System.nanoTime() - begun) / 1_000_000);
        try {
            if (!commit.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TransportException("no COMMIT within " + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted");
        }
        long committedAt = System.nanoTime();
        session.commit();
        pc.committed();
        // Past the commit the VM lives only here.
        try {
            vm.resume();
            pc.resumed();
            control.send(FrameType.RESUMED);
            LOG.debug("migration {}: resumed {} ms after the commit", id, (System.nanoTime() - committedAt) / 1_000_000);
            LOG.info("migration {}: VM '{}' runs here now; {} pages follow by postcopy", id, vm.id(),
                    ps.missing().size());
            pc.awaitComplete();
            vm.endMigration();
            control.send(new Complete(pc.postcopyNanos(), pc.blockTime().toNanos()));
            if (ps.verify()) {
                Messages.Hashes.sendAll(control, pc.hashes());
            }
            // Let the source read everything before the connection closes.
            done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException | RuntimeException e) {
            LOG.error("migration {}: postcopy of VM '{}' failed: {}", id, vm.id(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pc.close();
            session.end();
        }
    }

    /** The control connection during postcopy: pages served on faults, COMMIT, DONE or ABORT. */
    private void readControl(IncomingPostcopy pc) {
        PageBatch.Reader reader = new PageBatch.Reader(session.vm.memory().pageCount());
        try {
            while (true) {
                Frame g = control.receiveReusing();
                switch (FrameType.of(g.type())) {
                    case PAGES -> reader.read(g.payload(), (round, pfn, content) -> pc.fill(pfn, content));
                    case PING -> {
                    }
                    case COMMIT -> commit.countDown();
                    case DONE -> {
                        done.countDown();
                        return;
                    }
                    case ABORT -> {
                        String why = "source aborted: " + Reason.read(g);
                        pc.lost(why);
                        session.fail(why);
                        return;
                    }
                    default -> throw new TransportException("unexpected " + FrameType.of(g.type()) + " during postcopy");
                }
            }
        } catch (IOException | RuntimeException e) {
            String why = Failures.reason(e);
            pc.lost(why);
            done.countDown();
            session.fail(why); // before the commit: discards the VM; after: only closes
        } finally {
            reader.close();
        }
    }
}
