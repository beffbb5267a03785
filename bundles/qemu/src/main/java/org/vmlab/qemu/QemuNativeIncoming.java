package org.vmlab.qemu;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.NativeIncoming;
import org.vmlab.api.vm.Vm;

/**
 * A QEMU paused ({@code -S}) and waiting with {@code migrate-incoming tcp:127.0.0.1:<port>} for
 * QEMU's own migration stream, which vmlab's receiver writes into it from a tunnel.
 */
final class QemuNativeIncoming implements NativeIncoming {
    /** Setting key prefixes of {@link #parse}. */
    static final String CAPABILITY = "capability.";
    static final String PARAMETER = "parameter.";

    private final QemuVm vm;
    private final int port;
    private boolean committed;
    private boolean closed;

    private QemuNativeIncoming(QemuVm vm, int port) {
        this.vm = vm;
        this.port = port;
    }

    /** The parsed settings: capabilities and integer parameters. */
    record Settings(Map<String, Boolean> capabilities, Map<String, Object> parameters) {
    }

    /**
     * Reads {@code capability.<name>=true|false} and {@code parameter.<name>=<integer>}; anything
     * else is refused before a QEMU starts.
     */
    static Settings parse(Map<String, String> settings) {
        Map<String, Boolean> caps = new LinkedHashMap<>();
        Map<String, Object> params = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String k = e.getKey();
            String v = e.getValue() == null ? "" : e.getValue().trim();
            if (k.startsWith(CAPABILITY) && k.length() > CAPABILITY.length()
                    && (v.equals("true") || v.equals("false"))) {
                caps.put(k.substring(CAPABILITY.length()), Boolean.parseBoolean(v));
            } else if (k.startsWith(PARAMETER) && k.length() > PARAMETER.length() && v.matches("-?\\d{1,18}")) {
                params.put(k.substring(PARAMETER.length()), Long.parseLong(v));
            } else {
                throw new VmlabException("unknown QEMU migration setting '" + k + "=" + v
                        + "' (expected capability.<name>=true|false or parameter.<name>=<integer>)");
            }
        }
        return new Settings(caps, params);
    }

    /**
     * Sets the source's capabilities and parameters on a freshly launched incoming QEMU and lets it
     * listen on a free loopback port; the caller destroys {@code vm} if this throws.
     */
    static QemuNativeIncoming listen(QemuVm vm, Settings s) {
        if (!s.capabilities().isEmpty()) {
            vm.setCapabilities(s.capabilities());
        }
        if (!s.parameters().isEmpty()) {
            vm.qmp().execute("migrate-set-parameters", s.parameters(), QemuVm.QMP_TIMEOUT);
        }
        int port = QemuNativeEngine.freePort();
        vm.qmp().execute("migrate-incoming", Map.of("uri", "tcp:127.0.0.1:" + port), QemuVm.QMP_TIMEOUT);
        return new QemuNativeIncoming(vm, port);
    }

    @Override
    public Vm vm() {
        return vm;
    }

    @Override
    public int port() {
        return port;
    }

    /** QEMU's own timeout for loading applies ({@link QmpMigration#MIGRATION_TIMEOUT}) when shorter. */
    @Override
    public void awaitLoaded(Duration timeout) {
        vm.awaitMigration("receiving the migration");
    }

    @Override
    public synchronized void commit() {
        if (closed) {
            throw new VmlabException("the incoming VM '" + vm.id() + "' was already discarded");
        }
        committed = true;
        vm.qmp().execute("cont", null, QemuVm.QMP_TIMEOUT);
        vm.nativeIncomingDone();
        vm.endMigration();
    }

    @Override
    public synchronized void close() {
        if (committed || closed) {
            return;
        }
        closed = true;
        vm.destroy();
    }
}
