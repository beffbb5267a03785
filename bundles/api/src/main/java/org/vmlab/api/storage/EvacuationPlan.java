package org.vmlab.api.storage;

import java.nio.file.Path;
import java.util.Objects;

import org.vmlab.api.migration.Endpoint;

/**
 * A disk's move to this node, run at the destination (xNBD's proxy): the disk is served at once
 * as {@code export}; blocks the local cache holds (pre-cached) are read locally, missing ones are
 * fetched from the source on demand with read-ahead, and a background copy fills the rest, after
 * which the source is no longer needed (switch).
 *
 * @param source      the source node's NBD server
 * @param sourceExport the export there (the VM's disk)
 * @param image       the local image: the pre-cached copy, or a new file
 * @param bitmap      the local cache bitmap file (the backup export's), created empty if absent
 * @param export      the name this node serves the disk under while and after it moves
 * @param readAhead   blocks fetched after a missing one, 0 for none
 * @param streams     NBD connections to the source, each pipelined
 * @param verify      whether the whole disk is compared with the source's at the end
 * @param link        the emulated WAN to the source ({@code link-rate}, {@code link-rtt},
 *                    {@code link-jitter}, {@code link-loss}); empty for the link as it is
 * @since 1.2
 */
public record EvacuationPlan(Endpoint source, String sourceExport, Path image, Path bitmap, String export,
                             int readAhead, int streams, boolean verify, java.util.Map<String, String> link) {
    public EvacuationPlan {
        link = link == null ? java.util.Map.of() : java.util.Map.copyOf(link);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(sourceExport, "sourceExport");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(bitmap, "bitmap");
        Objects.requireNonNull(export, "export");
        if (readAhead < 0 || readAhead > 4096) {
            throw new IllegalArgumentException("readAhead must be 0..4096: " + readAhead);
        }
        if (streams < 1 || streams > 64) {
            throw new IllegalArgumentException("streams must be 1..64: " + streams);
        }
    }
}
