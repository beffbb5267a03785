package org.vmlab.api.migration;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.DataRate;
import org.vmlab.api.vm.VmSpec;

/**
 * Carries a hypervisor's own migration stream to another vmlab node through vmlab's
 * authenticated data plane, so the hypervisor's unauthenticated stream never leaves the loopback
 * interface of either node. The destination node's receiver asks its backend for
 * {@link org.vmlab.api.vm.VmBackend#prepareNativeIncoming a native incoming VM} and feeds it
 * what the tunnel carries.
 *
 * <p>The stream is one-way (source to destination) over one connection: hypervisor features that
 * need several connections or a return path (QEMU's multifd, postcopy) cannot use a tunnel.
 *
 * @since 1.2
 */
@ProviderType
public interface NativeTunnels {

    /**
     * Opens a tunnel to the receiver at {@code destination}, which prepares a paused VM of
     * {@code spec} waiting for the stream; returns once the destination is ready and the tunnel's
     * loopback port listens.
     *
     * @param hypervisorSettings settings the destination hypervisor needs to read the stream, in
     *                           the backend's own terms (the qemu backend takes
     *                           {@code capability.<name>=true|false} and
     *                           {@code parameter.<name>=<integer>})
     * @param rate               the link rate the tunnel sends at, {@link DataRate#UNLIMITED} for none
     * @throws org.vmlab.api.VmlabException with one sentence if the destination cannot be reached,
     *                                      refuses this node or cannot prepare the VM
     */
    NativeTunnel open(Endpoint destination, VmSpec spec, Map<String, String> hypervisorSettings, DataRate rate);
}
