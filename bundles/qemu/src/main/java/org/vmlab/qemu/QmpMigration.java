package org.vmlab.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;

/**
 * QEMU's migration of one VM as vmlab drives it over QMP: capabilities, QEMU's device state out of
 * and into a file of the run folder (capability {@code x-ignore-shared}, so everything but the
 * shared RAM, which vmlab's data plane moves), and waiting for a migration to end. The caller
 * holds the VM's lock and has checked its state.
 */
final class QmpMigration {
    private static final Logger LOG = LoggerFactory.getLogger(QmpMigration.class);

    private static final Duration QMP_TIMEOUT = QemuVm.QMP_TIMEOUT;
    static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(120);

    private final String vmId;
    private final QmpClient qmp;
    private final QemuProcess process;
    /** Whether x-ignore-shared is set on this QEMU. */
    private boolean ignoreShared;

    QmpMigration(String vmId, QmpClient qmp, QemuProcess process) {
        this.vmId = vmId;
        this.qmp = qmp;
        this.process = process;
    }

    /** Sets QEMU migration capabilities (name to on/off). */
    void setCapabilities(Map<String, Boolean> caps) {
        List<Map<String, Object>> l = new ArrayList<>();
        caps.forEach((k, v) -> l.add(Map.of("capability", k, "state", v)));
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", l), QMP_TIMEOUT);
        if (caps.containsKey("x-ignore-shared")) {
            ignoreShared = caps.get("x-ignore-shared");
        }
    }

    private void setIgnoreShared() {
        if (!ignoreShared) {
            setCapabilities(Map.of("x-ignore-shared", true));
        }
    }

    /**
     * QEMU's device state and non-shared RAM (firmware, option ROMs), taken by a migration into a
     * file. The vCPUs must be stopped; QEMU is left in {@code postmigrate}.
     */
    byte[] saveDeviceState() {
        Path out = process.runDir().resolve("devstate.out");
        try {
            Files.deleteIfExists(out);
            setIgnoreShared();
            qmp.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(out)), QMP_TIMEOUT);
            Map<String, Object> st = await("saving the device state");
            byte[] bytes = Files.readAllBytes(out);
            LOG.info("VM '{}': device state {} bytes in {} ms", vmId, bytes.length, Json.num(st, "total-time", -1));
            return bytes;
        } catch (IOException e) {
            throw new VmlabException("cannot save the device state of VM '" + vmId + "': " + e, e);
        } finally {
            deleteQuietly(out);
        }
    }

    /** Feeds a device state {@link #saveDeviceState()} gave to a QEMU started with {@code -incoming defer}. */
    void loadDeviceState(byte[] state) {
        if (state.length < 8 || state[0] != 'Q' || state[1] != 'E' || state[2] != 'V' || state[3] != 'M') {
            throw new VmlabException("cannot load device state into VM '" + vmId
                    + "': it is not a QEMU migration stream (from another kind of VM?)");
        }
        Path in = process.runDir().resolve("devstate.in");
        try {
            Files.write(in, state);
            setIgnoreShared();
            qmp.execute("migrate-incoming", Map.of("uri", "exec:cat " + shellQuote(in)), QMP_TIMEOUT);
            await("loading the device state");
        } catch (IOException e) {
            throw new VmlabException("cannot load device state into VM '" + vmId + "': " + e, e);
        } finally {
            deleteQuietly(in);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the run folder goes with the VM
        }
    }

    /** Polls query-migrate until completed; throws with QEMU's error on failure or timeout. */
    Map<String, Object> await(String what) {
        long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
        while (true) {
            Map<String, Object> st = qmp.execute("query-migrate", null, QMP_TIMEOUT);
            String status = Json.str(st, "status");
            if ("completed".equals(status)) {
                return st;
            }
            if ("failed".equals(status) || "cancelled".equals(status)) {
                String err = Json.str(st, "error-desc");
                throw new VmlabException("QEMU failed " + what + " of VM '" + vmId + "': "
                        + (err != null ? err : status) + "; " + process.lastLines(3));
            }
            if (!process.isAlive()) {
                throw new VmlabException("QEMU of VM '" + vmId + "' died while " + what + "; " + process.lastLines(5));
            }
            if (System.nanoTime() > deadline) {
                throw new VmlabException("QEMU did not finish " + what + " of VM '" + vmId + "' within "
                        + MIGRATION_TIMEOUT.toSeconds() + " s (status " + status + ")");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmlabException("interrupted while " + what + " of VM '" + vmId + "'");
            }
        }
    }

    static String shellQuote(Path p) {
        String s = p.toString();
        if (s.indexOf('\'') >= 0) {
            throw new VmlabException("path " + s + " contains a single quote");
        }
        return "'" + s + "'";
    }
}
