package org.vmlab.api.migration;

import java.time.Duration;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One open tunnel from {@link NativeTunnels#open}: a loopback port on this node that accepts
 * exactly one connection, the source hypervisor's migration stream, whose bytes cross to the
 * destination node's hypervisor. Closing it before {@link #commit} aborts the migration: the
 * destination VM is destroyed on its node.
 *
 * @since 1.2
 */
@ProviderType
public interface NativeTunnel extends AutoCloseable {

    /** The loopback TCP port the source hypervisor migrates to ({@code tcp:127.0.0.1:<port>}). */
    int localPort();

    /** The id the destination node gave the incoming VM. */
    String remoteVmId();

    /**
     * Waits until the source hypervisor closed its stream and the destination hypervisor has
     * loaded all of it (the VM stays paused there).
     *
     * @return the destination VM's id
     * @throws org.vmlab.api.VmlabException with the reason if the tunnel failed or the time ran out
     */
    String awaitLoaded(Duration timeout);

    /**
     * The XXH64 hash of every page of the loaded destination VM ({@link
     * org.vmlab.api.memory.GuestMemory#pageHash}), indexed by page frame number; call after
     * {@link #awaitLoaded}.
     */
    long[] remotePageHashes();

    /**
     * Resumes the destination VM, which from then on is a normal running VM of its node; returns
     * once the destination confirms.
     *
     * @throws org.vmlab.api.VmlabException if the destination did not confirm (it may run the VM)
     */
    void commit();

    /** Bytes sent to the destination node so far, framing and authentication included. */
    long bytesSent();

    /** Why the tunnel failed, once it has (the destination's reason when it gave one). */
    Optional<String> failure();

    /** Aborts unless committed, destroying the destination VM; releases the port. Idempotent. */
    @Override
    void close();
}
