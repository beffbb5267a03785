package org.vmlab.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.CoreOptions.vmOptions;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.features;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.MavenArtifactUrlReference;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.RoundContext;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.vm.Vm;

/**
 * Feature {@code vmlab} in a real Karaf container: one container boot for the whole class.
 *
 * <p>The container is Karaf minimal, unpacked under {@code target/exam}, offline: it resolves every
 * artifact from the build's local repository ({@code maven.repo.local}, passed in by failsafe) and
 * has no remote repository. No ssh, no JMX; the only listening sockets are Pax Exam's RMI (registry
 * here, remote bundle context in the container), kept on loopback by {@link ContainerGuard}, and
 * Karaf's own shutdown port (localhost). The container JVM exits if this JVM dies.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class VmlabFeatureIT {
    /** Upper bound of every wait in these tests. */
    private static final long WAIT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private static final Set<String> ORDERINGS = Set.of("hot-last", "random", "sequential", "update-history");
    /** At least these; the catalog's own bundle (whatever its name) is checked through its service. */
    private static final Set<String> VMLAB_BUNDLES = Set.of(
            "org.vmlab.api", "org.vmlab.ordering", "org.vmlab.shell", "org.vmlab.cli");
    private static final String ORDERING_BUNDLE = "org.vmlab.ordering";

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30_000)
    private ProviderCatalog catalog;

    @Inject
    @Filter(timeout = 30_000)
    private SessionFactory sessions;

    @Configuration
    public Option[] configuration() {
        // Runs in the test JVM only, before the container starts.
        ContainerGuard.loopbackRmi();
        // Pax Exam pipes this JVM's System.in into the container's stdin. In a failsafe fork,
        // System.in is failsafe's command channel: the pipe steals its bytes and the fork then
        // hangs at exit waiting for an acknowledgement it never reads (killed after
        // forkedProcessExitTimeoutInSeconds). Failsafe keeps its own reference to the channel, so
        // an empty System.in for everyone else is enough.
        System.setIn(new ByteArrayInputStream(new byte[0]));
        String localRepository = required("maven.repo.local");
        File examDir = new File(required("exam.dir"));
        for (Path busy : removeStale(examDir)) {
            System.err.println("[vmlab-itests] a Karaf still runs in " + busy + "; left in place");
        }
        String guardJar = required("container.guard.jar");
        assertTrue("the container's Java agent " + guardJar + " exists (run through phase package)",
                new File(guardJar).isFile());
        offlineMavenResolution(localRepository);

        MavenArtifactUrlReference karaf = maven().groupId("org.apache.karaf").artifactId("apache-karaf-minimal")
                .type("tar.gz").versionAsInProject();
        MavenArtifactUrlReference vmlabFeatures = maven().groupId("org.vmlab").artifactId("vmlab-features")
                .classifier("features").type("xml").versionAsInProject();
        String mvnCfg = "etc/org.ops4j.pax.url.mvn.cfg";
        return options(
                karafDistributionConfiguration()
                        .frameworkUrl(karaf)
                        .name("Apache Karaf")
                        .unpackDirectory(examDir)
                        .useDeployFolder(false),
                // Bound the container start (Pax Exam's default is 180 s).
                systemTimeout(TimeUnit.SECONDS.toMillis(90)),
                // No local console on stdin, no ssh server.
                configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
                logLevel(LogLevel.INFO),
                // Karaf minimal boots ssh; drop it (Pax Exam appends its own and our features after this).
                editConfigurationFilePut("etc/org.apache.karaf.features.cfg", "featuresBoot",
                        "framework, feature, shell, log, jaas, bundle, config"),
                // Offline: local repository of this build plus the distribution's system/, no remote.
                editConfigurationFilePut(mvnCfg, "org.ops4j.pax.url.mvn.localRepository", localRepository),
                editConfigurationFilePut(mvnCfg, "org.ops4j.pax.url.mvn.repositories", ""),
                editConfigurationFilePut(mvnCfg, "org.ops4j.pax.url.mvn.offline", "true"),
                // bin/vmlab's control socket: relative to the instance folder (the JVM's working
                // directory), since the absolute path under target/exam/<uuid>/ can exceed the
                // 107-byte limit of a Unix socket path.
                editConfigurationFilePut("etc/org.vmlab.cli.cfg", "socket.path", "data/vmlab/control.sock"),
                // The migration receiver on any free loopback port: 7301 may belong to another instance.
                editConfigurationFilePut("etc/org.vmlab.transport.cfg", "port", "0"),
                // The NBD server (vmlab-storage) likewise: 10809 may belong to another instance.
                editConfigurationFilePut("etc/org.vmlab.storage.cfg", "port", "0"),
                features(vmlabFeatures, "vmlab"),
                // What bin/karaf passes on JDK 9+ (Pax Exam 4.14 does not); paths are relative to
                // the instance folder, the container's working directory.
                vmOptions(
                        "--add-reads=java.xml=java.logging",
                        "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                        "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion() + ".jar",
                        "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion() + ".jar",
                        "--add-opens", "java.base/java.security=ALL-UNNAMED",
                        "--add-opens", "java.base/java.net=ALL-UNNAMED",
                        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                        "--add-opens", "java.base/java.util=ALL-UNNAMED",
                        "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                        "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                        "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
                        "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                        "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                        "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
                        "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED",
                        "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*",
                        "-Xmx512m",
                        "-Djava.io.tmpdir=data/tmp",
                        // Loopback RMI in the container, and no Karaf outliving this JVM.
                        "-javaagent:" + guardJar));
    }

    // ---- 1. services and catalog -------------------------------------------------------------

    @Test(timeout = 60_000)
    public void a_orderingServicesAndCatalog() throws Exception {
        awaitTrue("ordering services " + ORDERINGS, () -> orderingServiceNames().equals(ORDERINGS));

        Collection<ServiceReference<OrderingPolicy>> refs =
                context.getServiceReferences(OrderingPolicy.class, "(vmlab.family=ordering)");
        for (ServiceReference<OrderingPolicy> ref : refs) {
            assertEquals("ordering", ref.getProperty("vmlab.family"));
            assertEquals(ORDERING_BUNDLE, ref.getBundle().getSymbolicName());
        }

        assertEquals(ORDERINGS, names(catalog.providers(Family.ORDERING)));
        assertTrue("catalog.providers() lists every ordering provider",
                names(catalog.providers().stream().filter(p -> "ordering".equals(p.family())).toList())
                        .equals(ORDERINGS));
        ProviderInfo def = catalog.defaultProvider(Family.ORDERING).orElseThrow(
                () -> new AssertionError("no default ordering provider"));
        assertEquals("sequential", def.name());
        assertEquals(100, def.ranking());
        assertTrue(def.isDefault());
        assertEquals(1, catalog.providers(Family.ORDERING).stream().filter(ProviderInfo::isDefault).count());
        assertTrue(catalog.find(Family.ORDERING, "hot-last").isPresent());

        Set<String> found = new TreeSet<>();
        for (Bundle b : context.getBundles()) {
            String bsn = b.getSymbolicName();
            if (bsn != null && bsn.startsWith("org.vmlab.")) {
                found.add(bsn);
                assertEquals(bsn + " is ACTIVE", Bundle.ACTIVE, b.getState());
            }
        }
        assertTrue("vmlab bundles installed: " + found, found.containsAll(VMLAB_BUNDLES));
        ServiceReference<ProviderCatalog> catalogRef = context.getServiceReference(ProviderCatalog.class);
        assertNotNull("ProviderCatalog service", catalogRef);
        String catalogBundle = catalogRef.getBundle().getSymbolicName();
        assertTrue("ProviderCatalog registered by a vmlab bundle: " + catalogBundle, found.contains(catalogBundle));
    }

    // ---- 2. shell ----------------------------------------------------------------------------

    @Test(timeout = 60_000)
    public void b_policyListInTheShell() throws Exception {
        awaitTrue("ordering providers in the catalog", () -> names(catalog.providers(Family.ORDERING)).equals(ORDERINGS));

        String table = execute("policy:list");
        for (String name : ORDERINGS) {
            assertTrue("policy:list shows " + name + ":\n" + table, table.contains(name));
        }
        assertTrue(table, table.contains("ordering"));
        assertTrue(table, table.contains("Default"));

        String json = execute("policy:list --json").trim();
        assertTrue("JSON array:\n" + json, json.startsWith("[") && json.endsWith("]"));
        assertTrue(json, json.contains("\"name\":\"hot-last\""));
        List<String> objects = jsonObjects(json);
        assertTrue(json, objects.size() >= ORDERINGS.size());
        String sequential = objects.stream().filter(o -> o.contains("\"name\":\"sequential\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no sequential in " + json));
        assertTrue(sequential, sequential.contains("\"isDefault\":true"));
        assertTrue(sequential, sequential.contains("\"family\":\"ordering\""));
        assertTrue(sequential, sequential.contains("\"ranking\":100"));
        for (String o : objects) {
            if (o.contains("\"family\":\"ordering\"") && !o.contains("\"name\":\"sequential\"")) {
                assertTrue(o, o.contains("\"isDefault\":false"));
            }
        }

        String ordering = execute("policy:list --family ordering");
        for (String name : ORDERINGS) {
            assertTrue(ordering, ordering.contains(name));
        }

        try {
            String out = execute("policy:list --family nope");
            fail("policy:list --family nope succeeded:\n" + out);
        } catch (Exception e) {
            String message = messages(e);
            assertTrue(message, message.contains("nope"));
            for (Family f : Family.values()) {
                assertTrue(message + " names " + f.id(), message.contains(f.id()));
            }
        }
    }

    // ---- 3. hot swap -------------------------------------------------------------------------

    @Test(timeout = 90_000)
    public void c_orderingBundleHotSwap() throws Exception {
        Bundle ordering = bundle(ORDERING_BUNDLE);
        awaitTrue("ordering providers before the swap", () -> names(catalog.providers(Family.ORDERING)).equals(ORDERINGS));
        try {
            ordering.stop();
            assertEquals(Bundle.RESOLVED, ordering.getState());
            awaitTrue("no ordering providers once the bundle is stopped",
                    () -> catalog.providers(Family.ORDERING).isEmpty());
            assertFalse(catalog.defaultProvider(Family.ORDERING).isPresent());
            assertTrue(orderingServiceNames().isEmpty());
            String out = execute("policy:list --family ordering");
            assertTrue(out, out.contains("No ordering providers are registered."));
        } finally {
            // Restore for whatever runs next, even if an assertion above failed.
            ordering.start();
        }
        assertEquals(Bundle.ACTIVE, ordering.getState());
        awaitTrue("ordering providers back after restart", () -> names(catalog.providers(Family.ORDERING)).equals(ORDERINGS));
        assertEquals("sequential", catalog.defaultProvider(Family.ORDERING).map(ProviderInfo::name).orElse(null));
        String out = execute("policy:list --family ordering");
        for (String name : ORDERINGS) {
            assertTrue(out, out.contains(name));
        }
    }

    // ---- 4. described settings ---------------------------------------------------------------

    /** A provider of the test's own: its options reach the catalog, policy:info and --option help. */
    @Test(timeout = 60_000)
    public void d_settingsAProviderDescribesReachTheShell() throws Exception {
        List<Parameter> knobs = List.of(
                Parameter.choice("mode", "fast", "how it goes", "fast", "careful"),
                Parameter.integer("passes", "3", 1, 9, "how many passes"));
        List<Parameter> orderKnobs = List.of(Parameter.decimal("spread", "0.5", 0, 1, "how far pages spread"));
        ServiceRegistration<TransferEngine> engine = context.registerService(TransferEngine.class, new TransferEngine() {
            @Override
            public Optional<String> unsupportedReason(Vm vm) {
                return Optional.of("a test engine migrates nothing");
            }

            @Override
            public List<Parameter> options() {
                return knobs;
            }

            @Override
            public MigrationReport migrate(MigrationPlan plan, MigrationContext migrationContext) {
                throw new UnsupportedOperationException("a test engine migrates nothing");
            }
        }, provider("engine", "test-knobs"));
        ServiceRegistration<OrderingPolicy> ordering = context.registerService(OrderingPolicy.class, new OrderingPolicy() {
            @Override
            public long[] order(RoundContext round) {
                throw new UnsupportedOperationException("a test ordering orders nothing");
            }

            @Override
            public List<Parameter> options() {
                return orderKnobs;
            }
        }, provider("ordering", "test-spread"));
        try {
            assertEquals(knobs, catalog.find(Family.ENGINE, "test-knobs").orElseThrow().settings());
            assertEquals(orderKnobs, catalog.find(Family.ORDERING, "test-spread").orElseThrow().settings());

            String info = execute("policy:info engine test-knobs");
            assertTrue(info, info.contains("Options of engine 'test-knobs' (migration:start --option name=value):"));
            assertTrue(info, info.matches("(?s).*passes\\W+integer 1\\.\\.9\\W+3\\W+how many passes.*"));
            assertTrue(info, info.matches("(?s).*mode\\W+fast\\|careful\\W+fast\\W+how it goes.*"));

            String help = execute("migration:start --engine test-knobs --ordering test-spread --option help");
            assertTrue(help, help.contains("Options of engine 'test-knobs'") && help.contains("passes"));
            assertTrue(help, help.contains("Options of ordering 'test-spread'") && help.contains("number 0..1"));

            String json = execute("policy:info --json engine test-knobs");
            assertTrue(json, json.contains("\"settings\":[{\"name\":\"mode\",\"type\":\"choice\",\"default\":\"fast\""));
            assertTrue(json, json.contains("\"choices\":[\"fast\",\"careful\"]"));
            String list = execute("policy:list --json");
            assertTrue(list, list.contains("\"name\":\"test-knobs\""));
            assertTrue(list, list.contains("\"allowed\":\"a whole number from 1 to 9\""));

            String markdown = execute("policy:info --markdown engine");
            assertTrue(markdown, markdown.contains("| `test-knobs` | `passes` | integer 1..9 | 3 | how many passes |"));
        } finally {
            engine.unregister();
            ordering.unregister();
        }
        assertFalse(catalog.find(Family.ENGINE, "test-knobs").isPresent());
        String gone = execute("policy:info --markdown engine");
        assertFalse(gone, gone.contains("test-knobs"));
    }

    private static Dictionary<String, Object> provider(String family, String name) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("vmlab.family", family);
        props.put("vmlab.name", name);
        props.put("vmlab.description", "a provider of the test");
        props.put(Constants.SERVICE_RANKING, -100); // never a default
        return props;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Runs one command in a fresh shell session; returns what it printed. */
    private String execute(String command) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Session session = sessions.create(new ByteArrayInputStream(new byte[0]), out, out);
        try {
            Object result = session.execute(command);
            if (result != null) {
                out.println(result);
            }
        } finally {
            out.flush();
            session.close();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private Set<String> orderingServiceNames() {
        try {
            return context.getServiceReferences(OrderingPolicy.class, "(vmlab.family=ordering)").stream()
                    .map(r -> String.valueOf(r.getProperty("vmlab.name")))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }

    private static Set<String> names(List<ProviderInfo> providers) {
        return providers.stream().map(ProviderInfo::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The flat objects of a JSON array of flat objects (what policy:list --json prints). */
    private static List<String> jsonObjects(String json) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\{[^{}]*\\}").matcher(json);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return sb.toString();
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

    private static String required(String property) {
        String value = System.getProperty(property);
        assertNotNull("system property " + property + " (set by failsafe)", value);
        return value;
    }

    private static List<Path> removeStale(File examDir) {
        try {
            return ContainerGuard.removeStaleInstances(examDir.toPath());
        } catch (IOException e) {
            throw new UncheckedIOException("cleaning " + examDir, e);
        }
    }

    private static String karafVersion() {
        return required("karaf.version");
    }

    /**
     * Pax URL in this JVM (it resolves the Karaf archive and the features repository) reads its
     * settings from system properties: local repository only, no remote, no fallback to Central.
     */
    private static void offlineMavenResolution(String localRepository) {
        System.setProperty("org.ops4j.pax.url.mvn.localRepository", localRepository);
        System.setProperty("org.ops4j.pax.url.mvn.repositories", "");
        System.setProperty("org.ops4j.pax.url.mvn.defaultRepositories", "");
        System.setProperty("org.ops4j.pax.url.mvn.useFallbackRepositories", "false");
        System.setProperty("org.ops4j.pax.url.mvn.offline", "true");
    }
}
