package org.vmlab.api.storage;

import java.util.Objects;

/**
 * One NBD export of this node.
 *
 * @param name         the export name clients ask for
 * @param image        the file behind it, or a VM's id for a VM's disk
 * @param sizeBytes    its size
 * @param readOnly     whether writes are refused
 * @param blocksCached blocks held locally (all, except for a cache being filled)
 * @param blocksTotal  its 4 KiB blocks
 * @since 1.2
 */
public record ExportInfo(String name, String image, long sizeBytes, boolean readOnly, long blocksCached,
                         long blocksTotal) {
    public ExportInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
    }
}
