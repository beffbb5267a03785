package org.vmlab.cli.server;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;

/**
 * Decides when the instance has finished starting: every bundle that should be running at the
 * current start level is active. The first command after {@code bin/vmlab} started the instance
 * waits for this, so it never sees a half-booted set of providers.
 */
final class Readiness {
    private final BundleContext context;
    private final long timeoutMillis;
    private volatile boolean ready;

    Readiness(BundleContext context, long timeoutMillis) {
        this.context = context;
        this.timeoutMillis = timeoutMillis;
    }

    /** Waits, bounded, for the instance to be ready; false if it was not ready in time. */
    boolean await() {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!ready) {
            if (allStarted()) {
                ready = true;
            } else if (System.currentTimeMillis() > deadline) {
                ready = true; // a bundle that never starts (a broken deploy) must not delay every command
                return false;
            } else {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    private boolean allStarted() {
        try {
            int level = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkStartLevel.class).getStartLevel();
            for (Bundle b : context.getBundles()) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null || b.getState() == Bundle.UNINSTALLED) {
                    continue;
                }
                BundleStartLevel bsl = b.adapt(BundleStartLevel.class);
                if (bsl != null && bsl.isPersistentlyStarted() && bsl.getStartLevel() <= level
                        && b.getState() != Bundle.ACTIVE) {
                    return false;
                }
            }
            return true;
        } catch (IllegalStateException e) {
            return false; // our own bundle is stopping
        }
    }
}
