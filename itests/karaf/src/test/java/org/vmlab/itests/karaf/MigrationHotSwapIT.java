package org.vmlab.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;

import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.VerificationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.vm.VmVerifier;

/**
 * DESIGN.md's hot-swap rule for migrations, in a real Karaf: a migration binds the ordering policy
 * and engine instances it started with, so stopping, updating or uninstalling their bundle while
 * it runs either completes with the bound instance or fails the migration cleanly. Either way the
 * guest is unharmed (its workload invariant holds, it runs on exactly one side) and nothing leaks
 * (no receiver session, no incoming VM, no engine thread).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class MigrationHotSwapIT {
    private static final long WAIT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private static final String ORDERING_BUNDLE = "org.vmlab.ordering";
    private static final String ENGINES_BUNDLE = "org.vmlab.engines";
    private static final String RECEIVER_CLASS = "org.vmlab.engines.MigrationReceiver";

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30_000)
    private VmDirectory directory;

    @Inject
    @Filter(timeout = 30_000)
    private VmVerifier verifier;

    /** The container of {@link VmlabFeatureIT}: feature {@code vmlab}, offline, loopback only. */
    @Configuration
    public Option[] configuration() {
        return new VmlabFeatureIT().configuration();
    }

    @Test(timeout = 120_000)
    public void a_orderingBundleStoppedDuringMigration() throws Exception {
        Bundle ordering = bundle(ORDERING_BUNDLE);
        migrateWhile("hs-stop", () -> ordering.stop(), () -> ordering.start());
    }

    @Test(timeout = 120_000)
    public void b_orderingBundleUpdatedDuringMigration() throws Exception {
        Bundle ordering = bundle(ORDERING_BUNDLE);
        migrateWhile("hs-update", () -> ordering.update(), () -> {
        });
        assertEquals(Bundle.ACTIVE, ordering.getState());
    }

    @Test(timeout = 120_000)
    public void c_orderingBundleUninstalledDuringMigration() throws Exception {
        Bundle ordering = bundle(ORDERING_BUNDLE);
        String location = ordering.getLocation();
        migrateWhile("hs-uninstall", () -> ordering.uninstall(), () -> context.installBundle(location).start());
    }

    @Test(timeout = 120_000)
    public void d_enginesBundleStoppedDuringMigration() throws Exception {
        Bundle engines = bundle(ENGINES_BUNDLE);
        MigrationReport r = migrateWhile("hs-engines", () -> engines.stop(), () -> engines.start());
        // The engines bundle holds the migration service and the receiver: stopping it cannot
        // complete the migration, it must end it cleanly with the source still running.
        assertTrue("stopping the engines bundle ends the migration: " + r, r.status() != MigrationStatus.COMPLETED);
    }

    // ---- the scenario --------------------------------------------------------------------------

    private interface Step {
        void run() throws Exception;
    }

    /**
     * Starts a verified, rate-limited migration of a fresh guest, runs {@code swap} once it is in
     * its first round, waits for its end, checks that the guest and the node are clean, then runs
     * {@code restore} (also when a check failed) and waits for the providers to come back.
     */
    private MigrationReport migrateWhile(String vmId, Step swap, Step restore) throws Exception {
        MigrationService service = service(MigrationService.class);
        Vm vm = directory.create(VmSpec.of(vmId, "emu", 256L << 20).withVcpus(1)
                .withWorkload("memory", Map.of("rate", "16M", "working-set", "32M", "distribution", "zipf")));
        MigrationReport report;
        try {
            Thread.sleep(2500); // past the workload's initialisation of its working set
            // 32 MiB of written pages at 100 Mbit/s: round 0 alone takes about 3 s.
            MigrationPlan plan = MigrationPlan.builder(vmId).ordering("update-history")
                    .network(LinkSpec.of(DataRate.parse("100m"))).verify(true).build();
            Migration m = service.start(plan, MigrationListener.NONE);
            awaitTrue("migration " + m.id() + " active", () -> m.status() == MigrationStatus.ACTIVE || m.status().isFinal());
            Thread.sleep(500);
            assertEquals("the swap happens while the migration runs", MigrationStatus.ACTIVE, m.status());
            swap.run();
            report = m.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } finally {
            restore.run();
            awaitTrue("the migration service back", () -> context.getServiceReference(MigrationService.class) != null);
        }
        System.err.println("[hot-swap] " + vmId + ": " + report.status() + " " + report.failureReason());

        if (report.status() == MigrationStatus.COMPLETED) {
            assertEquals("a completed migration verified the destination", Verification.PASSED, report.verified());
            assertEquals("the bound ordering ran", "update-history", report.ordering());
        } else {
            assertTrue("ended, not hanging: " + report.status(), report.status().isFinal());
            assertNotNull("a failed migration says why", report.failureReason());
        }

        // Exactly one side runs the guest: the destination after success, the source otherwise.
        String expected = report.status() == MigrationStatus.COMPLETED ? vmId + "-incoming" : vmId;
        awaitTrue("only " + expected + " left of " + vmId, () -> ids(vmId).equals(List.of(expected)));
        Vm survivor = directory.find(expected).orElseThrow();
        awaitTrue(expected + " running", () -> survivor.state() == VmState.RUNNING);
        VerificationReport check = verifier.verify(survivor);
        assertTrue("the workload invariant holds on " + expected + ": " + check, check.passed());
        assertTrue("the memory workload keeps an invariant", check.invariant().isPresent());

        // Nothing leaks: no engine thread, no session in the receiver.
        awaitTrue("no vmlab-precopy-* thread", () -> threads("vmlab-precopy-").isEmpty());
        awaitTrue("no session in the receiver", () -> receiverSessions() == 0);
        survivor.destroy();
        return report;
    }

    // ---- helpers -------------------------------------------------------------------------------

    private List<String> ids(String vmId) {
        List<String> ids = new ArrayList<>();
        for (Vm v : directory.vms()) {
            if (v.id().equals(vmId) || v.id().equals(vmId + "-incoming")) {
                ids.add(v.id());
            }
        }
        return ids;
    }

    private static List<String> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith(prefix)).toList();
    }

    /**
     * Sessions open in the receiver. The receiver is the engines bundle's own (not exported)
     * class, so its public counter is read reflectively from the registered instance.
     */
    private int receiverSessions() {
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(objectClass=" + RECEIVER_CLASS + ")");
            if (refs == null) {
                return 0; // no receiver registered: none holds a session
            }
            int sum = 0;
            for (ServiceReference<?> ref : refs) {
                Object receiver = context.getService(ref);
                try {
                    sum += (Integer) receiver.getClass().getMethod("activeSessions").invoke(receiver);
                } finally {
                    context.ungetService(ref);
                }
            }
            return sum;
        } catch (ReflectiveOperationException | org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError("cannot read the receiver's sessions", e);
        }
    }

    private <T> T service(Class<T> type) throws InterruptedException {
        awaitTrue(type.getSimpleName() + " registered", () -> context.getServiceReference(type) != null);
        ServiceReference<T> ref = context.getServiceReference(type);
        T s = context.getService(ref);
        assertNotNull(type.getSimpleName(), s);
        return s;
    }

    private Bundle bundle(String symbolicName) {
        Optional<Bundle> b = Arrays.stream(context.getBundles()).filter(x -> symbolicName.equals(x.getSymbolicName())).findFirst();
        return b.orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }

    /** Polls until the condition holds, for at most {@link #WAIT_MILLIS}. */
    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + WAIT_MILLIS + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
