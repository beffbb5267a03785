package org.vmlab.api.storage;

import java.util.List;

/**
 * How a disk's evacuation went.
 *
 * @param status            completed, or failed with the reason
 * @param millis            from the start until the source was no longer needed (or the failure)
 * @param blocksTotal       the disk's blocks
 * @param blocksLocal       blocks the destination already held (pre-cached)
 * @param blocksOnDemand    blocks fetched because a reader asked for them (copy-on-read)
 * @param blocksReadAhead   blocks fetched with those, by read-ahead
 * @param blocksBackground  blocks fetched by the background copy
 * @param blocksMissing     blocks the destination never got (a source that died), 0 when completed
 * @param missingRanges     the first missing ranges as "first-last" block numbers
 * @param bytesReceived     payload bytes fetched from the source
 * @param verified          whether the whole disk was compared with the source's and matched
 *                          ({@code null} when not asked)
 * @since 1.2
 */
public record EvacuationReport(String status, long millis, long blocksTotal, long blocksLocal, long blocksOnDemand,
                               long blocksReadAhead, long blocksBackground, long blocksMissing,
                               List<String> missingRanges, long bytesReceived, Boolean verified) {
    public EvacuationReport {
        missingRanges = List.copyOf(missingRanges);
    }

    public boolean completed() {
        return "completed".equals(status);
    }
}
