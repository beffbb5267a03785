package org.vmlab.storage;

import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.api.storage.PrecacheStats;
import org.vmlab.api.storage.PrecacheStatus;
import org.vmlab.storage.precache.PrecacheHealth;
import org.vmlab.transport.WanLink;

/** One VM's running pre-caching, with the emulated WAN link it goes through (if any). */
record PrecacheEntry(String vm, String strategy, Endpoint backupSite, String export, PrecacheSession session,
                     WanLink link, DataRate cap, long startMillis) {

    /** The status while it runs: running, or stalled with the reason. */
    PrecacheStatus status() {
        String problem = session instanceof PrecacheHealth h ? h.problem() : null;
        return status(problem == null ? "running" : "stalled: " + problem);
    }

    PrecacheStatus status(String state) {
        PrecacheStats s = session.stats();
        double elapsed = Math.max(1e-3, (s.epochMillis() - startMillis) / 1000.0);
        double rate = s.bytesSent() / elapsed;
        // What an evacuation must still move, at the link's speed: measured while sending, else the cap or model.
        double speed = rate > 0 ? rate : !cap.isUnlimited() ? cap.bytesPerSecond()
                : link != null && !link.model().rate().isUnlimited() ? link.model().rate().bytesPerSecond() : 0;
        long left = (s.blocksTotal() - s.blocksCached()) * 4096L;
        if (!cap.isUnlimited()) {
            speed = Math.min(speed == 0 ? cap.bytesPerSecond() : speed, cap.bytesPerSecond());
        }
        if (link != null && !link.model().rate().isUnlimited()) {
            speed = link.model().rate().bytesPerSecond(); // at evacuation time the whole link is ours
        }
        double eta = left == 0 ? 0 : speed > 0 ? left / speed : Double.POSITIVE_INFINITY;
        return new PrecacheStatus(vm, strategy, backupSite, export, s, rate, eta, state);
    }

    void close() {
        session.close();
        if (link != null) {
            link.close();
        }
    }
}
