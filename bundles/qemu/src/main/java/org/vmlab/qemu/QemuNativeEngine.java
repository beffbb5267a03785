package org.vmlab.qemu;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.NativeTunnels;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;

/**
 * QEMU's own live migration as a vmlab engine, the baseline vmlab's engines are compared with.
 * The destination is a second QEMU on this node ({@code -incoming defer}, then
 * {@code migrate-incoming tcp:127.0.0.1:<free port>}) or, for a plan to another node, a QEMU on
 * that node reached through vmlab's authenticated tunnel ({@link NativeTunnels}): the source QEMU
 * migrates to the tunnel's loopback port, so QEMU's unauthenticated stream never crosses the
 * network itself. Through a tunnel one connection carries one way: no multifd, no postcopy-ram,
 * both refused before anything moves. The plan maps to QEMU's knobs: network rate
 * to {@code max-bandwidth}, downtime limit to {@code downtime-limit}, streams &gt; 1 to multifd
 * with that many channels, options {@code xbzrle}, {@code auto-converge}, {@code postcopy-ram}
 * (true/false) to capabilities. {@code query-migrate} is polled each second into the timeline and
 * its final figures become the report. On failure or cancel the source runs on ({@code cont}) and
 * the destination is destroyed; on success the source is destroyed, as with every vmlab engine.
 * One migration runs in a {@link NativeMigration}; what it measures is {@link NativeTelemetry}'s.
 */
@Component(service = TransferEngine.class, property = {
        "vmlab.family=engine",
        "vmlab.name=qemu-native",
        "vmlab.description=QEMU's own live migration over QMP (qemu VMs only), the baseline",
        "service.ranking:Integer=10"})
public final class QemuNativeEngine implements TransferEngine {
    public static final String NAME = "qemu-native";
    private static final Logger LOG = LoggerFactory.getLogger(QemuNativeEngine.class);
    /** QEMU's migration capabilities a plan may switch on, by their QEMU names. */
    static final List<Parameter> OPTIONS = List.of(
            Parameter.bool("xbzrle", "false",
                    "QEMU's XBZRLE: pages sent again go as compressed deltas against a cache of what was sent"),
            Parameter.bool("auto-converge", "false",
                    "QEMU slows the vCPUs step by step while the guest dirties memory faster than it is sent"),
            Parameter.bool("postcopy-ram", "false",
                    "switch to postcopy after the first full pass; this node only, guest RAM on tmpfs or hugetlbfs"));
    /** QEMU has no "unlimited": its default cap is 128 MiB/s, so an unlimited link asks for 100 GiB/s. */
    static final long UNLIMITED_BANDWIDTH = 100L << 30;

    /** How long the destination node may take to load the stream after the source QEMU completed. */
    static final Duration REMOTE_LOAD_TIMEOUT = Duration.ofSeconds(120);

    private volatile QemuBackend backend;
    /** vmlab's tunnel to other nodes (engines bundle); without it, plans to another node fail. */
    private volatile NativeTunnels tunnels;

    /** For DS. */
    public QemuNativeEngine() {
    }

    /** Outside OSGi, this node only. */
    public QemuNativeEngine(QemuBackend backend) {
        this.backend = backend;
    }

    /** Outside OSGi, with a tunnel to other nodes. */
    public QemuNativeEngine(QemuBackend backend, NativeTunnels tunnels) {
        this.backend = backend;
        this.tunnels = tunnels;
    }

    /** Optional and dynamic: local migrations need no tunnel, and the engines bundle may come and go. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setTunnels(NativeTunnels t) {
        this.tunnels = t;
    }

    void unsetTunnels(NativeTunnels t) {
        if (this.tunnels == t) {
            this.tunnels = null;
        }
    }

    @Reference(target = "(vmlab.backend=qemu)")
    void setBackend(VmBackend b) {
        if (b instanceof QemuBackend q) {
            this.backend = q;
        } else {
            LOG.warn("{} claims vmlab.backend=qemu but is not vmlab's QEMU backend; qemu-native ignores it", b);
        }
    }

    @Activate
    void activate() {
        // the reference is static and mandatory: nothing else to do
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (!(vm instanceof QemuVm)) {
            return Optional.of("qemu-native migrates only qemu VMs; '" + vm.id() + "' runs on " + vm.backend());
        }
        return Optional.empty();
    }

    QemuBackend backend() {
        return backend;
    }

    NativeTunnels tunnels() {
        return tunnels;
    }

    @Override
    public List<Parameter> options() {
        return OPTIONS;
    }

    @Override
    public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
        return new NativeMigration(this, plan, context).run();
    }

    /**
     * Compares two stopped guests' memories page by page: null if equal, else one sentence with the
     * number of differing pages and the first few.
     */
    static String compareMemory(GuestMemory a, GuestMemory b) {
        long n = a.pageCount();
        if (n != b.pageCount()) {
            return "the guests have " + n + " and " + b.pageCount() + " pages";
        }
        ByteBuffer pa = ByteBuffer.allocate(Pages.SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ByteBuffer pb = ByteBuffer.allocate(Pages.SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long diff = 0;
        List<Long> first = new ArrayList<>();
        for (long pfn = 0; pfn < n; pfn++) {
            pa.clear();
            pb.clear();
            a.readPage(pfn, pa);
            b.readPage(pfn, pb);
            if (!pa.flip().equals(pb.flip())) {
                diff++;
                if (first.size() < 5) {
                    first.add(pfn);
                }
            }
        }
        return diff == 0 ? null : diff + " pages differ between source and destination, first " + first;
    }

    /**
     * Compares a stopped guest's page hashes with a copy's: null if equal, else one sentence with
     * the number of differing pages and the first few.
     */
    static String compareHashes(GuestMemory a, long[] theirs) {
        long n = a.pageCount();
        if (n != theirs.length) {
            return "the guests have " + n + " and " + theirs.length + " pages";
        }
        long diff = 0;
        List<Long> first = new ArrayList<>();
        for (long pfn = 0; pfn < n; pfn++) {
            if (a.pageHash(pfn) != theirs[(int) pfn]) {
                diff++;
                if (first.size() < 5) {
                    first.add(pfn);
                }
            }
        }
        return diff == 0 ? null : diff + " pages differ between source and destination, first " + first;
    }

    /**
     * Why QEMU's postcopy cannot work with guest RAM in this folder, if it cannot: the destination
     * registers its RAM with userfaultfd, which takes missing-page faults only on shared memory
     * (tmpfs) and hugetlbfs, not on a regular file system; QEMU finds out only at the switch to
     * postcopy, with the source already stopped.
     */
    static Optional<String> postcopyUnsupported(java.nio.file.Path runRoot) {
        String type;
        try {
            java.nio.file.Path p = runRoot;
            while (p != null && !java.nio.file.Files.exists(p)) {
                p = p.getParent();
            }
            type = p == null ? "unknown" : java.nio.file.Files.getFileStore(p).type();
        } catch (IOException e) {
            type = "unknown (" + e.getMessage() + ")";
        }
        if (type.equals("tmpfs") || type.equals("hugetlbfs")) {
            return Optional.empty();
        }
        return Optional.of("postcopy-ram needs guest RAM on tmpfs or hugetlbfs (userfaultfd), but the qemu run"
                + " folder " + runRoot + " is on " + type + "; set runDir of org.vmlab.qemu to a folder on /dev/shm");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port for the migration: " + e.getMessage());
        }
    }

    /** Runs a cleanup step; its failure is logged, and the cleanup goes on. */
    static void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debug("cleanup step failed: {}", e.toString());
        }
    }
}
