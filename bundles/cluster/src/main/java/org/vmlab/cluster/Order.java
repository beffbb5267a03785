package org.vmlab.cluster;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.vmlab.transport.SharedSecret;

/**
 * A migration the leader asks a node to run, and where it stands. The decision fields are signed
 * with the cluster secret; the source node writes the outcome fields.
 *
 * @param id           unique id, also the migration id on the source
 * @param vm           the VM
 * @param from         the source node, which runs the migration
 * @param to           the destination node
 * @param toEndpoint   the destination's data plane, {@code host:port}
 * @param engine       engine name, or null for the default
 * @param verify       verify at the destination
 * @param rate         link rate, or null
 * @param leader       the deciding leader
 * @param epoch        its epoch
 * @param timeoutMs    how long the migration may take
 * @param mac          HMAC-SHA256 (hex) of the decision fields
 * @param status       issued, running, completed, failed, refused
 * @param migrationId  the migration's id on the source
 * @param bytes        bytes on the network
 * @param timeMs       total time
 * @param verified     verification outcome
 * @param detail       one line: why it failed or was refused
 */
record Order(String id, String vm, String from, String to, String toEndpoint, String engine, boolean verify,
             String rate, String leader, long epoch, long timeoutMs, String mac, String status, String migrationId,
             long bytes, long timeMs, String verified, String detail) {
    static final String ISSUED = "issued";
    static final String RUNNING = "running";
    static final String COMPLETED = "completed";
    static final String FAILED = "failed";
    static final String REFUSED = "refused";
    private static final String PURPOSE = "vmlab-cluster-order";

    static Order issue(String id, String vm, String from, String to, String toEndpoint, String engine, boolean verify,
                       String rate, String leader, long epoch, long timeoutMs, SharedSecret secret) {
        Order unsigned = new Order(id, vm, from, to, toEndpoint, engine, verify, rate, leader, epoch, timeoutMs, null,
                ISSUED, "-", 0, 0, "-", "");
        return unsigned.withMac(HexFormat.of().formatHex(secret.sign(PURPOSE, unsigned.decision())));
    }

    boolean signedBy(SharedSecret secret) {
        try {
            return mac != null && secret.verify(PURPOSE, decision(), HexFormat.of().parseHex(mac));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    boolean isFinal() {
        return COMPLETED.equals(status) || FAILED.equals(status) || REFUSED.equals(status);
    }

    Order withOutcome(String newStatus, String newMigrationId, long newBytes, long newTimeMs, String newVerified,
                      String newDetail) {
        return new Order(id, vm, from, to, toEndpoint, engine, verify, rate, leader, epoch, timeoutMs, mac, newStatus,
                newMigrationId, newBytes, newTimeMs, newVerified, newDetail);
    }

    private Order withMac(String m) {
        return new Order(id, vm, from, to, toEndpoint, engine, verify, rate, leader, epoch, timeoutMs, m, status,
                migrationId, bytes, timeMs, verified, detail);
    }

    /** The signed fields, one per line, in a fixed order. */
    private byte[] decision() {
        return String.join("\n", id, vm, from, to, toEndpoint, String.valueOf(engine), Boolean.toString(verify),
                String.valueOf(rate), leader, Long.toString(epoch), Long.toString(timeoutMs))
                .getBytes(StandardCharsets.UTF_8);
    }
}
