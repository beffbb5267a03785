package org.vmlab.api.vm;

import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A paused VM waiting for its hypervisor's own migration stream on a loopback port, from {@link
 * VmBackend#prepareNativeIncoming}. Whoever holds it writes the stream to {@link #port()}, then
 * {@link #awaitLoaded}, and {@link #commit()}s or {@link #close()}s it.
 *
 * @since 1.2
 */
@ProviderType
public interface NativeIncoming extends AutoCloseable {

    /** The incoming VM; {@link VmState#MIGRATING} until committed. */
    Vm vm();

    /** The loopback TCP port the hypervisor reads the migration stream from. */
    int port();

    /**
     * Waits until the hypervisor has loaded the whole stream; the VM stays paused.
     *
     * @throws org.vmlab.api.VmlabException with the hypervisor's reason if loading failed, the
     *                                      hypervisor died or the time ran out
     */
    void awaitLoaded(Duration timeout);

    /** Resumes the loaded VM, which becomes a normal running VM of its backend. */
    void commit();

    /** Destroys the VM unless committed. Idempotent. */
    @Override
    void close();
}
