package org.vmlab.api.storage;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.vm.VmSpec;

/**
 * Disks of VMs arriving with their storage (live storage migration): a backend preparing an
 * incoming VM asks for its disk here when the spec carries a {@link #DEVICE_TYPE} device. The disk
 * is served at once (blocks already here are local, missing ones are fetched from the source's
 * NBD export on first access with read-ahead), and a background copy fills the rest once the VM
 * first touches it at the destination, i.e. after the source has paused.
 *
 * @since 1.3
 */
@ProviderType
public interface IncomingDisks {

    /**
     * The device type naming the source of an incoming disk. Properties: {@code source}
     * ({@code host:port/export} of the source's NBD server), {@code image} (the local image),
     * optional {@code bitmap} (blocks already here, e.g. a pre-cache's), {@code verify}.
     */
    String DEVICE_TYPE = "nbd-source";

    /**
     * The disk for an incoming VM of {@code spec}, of {@code blocks} 4 KiB blocks, or empty if the
     * spec carries no {@link #DEVICE_TYPE} device (the backend opens its image itself).
     *
     * @throws org.vmlab.api.VmlabException if the source cannot be reached or the image not opened
     */
    Optional<BlockDevice> open(VmSpec spec);
}
