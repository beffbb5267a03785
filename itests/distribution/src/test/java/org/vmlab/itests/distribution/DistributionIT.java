package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The distribution as a researcher meets it: unpacked from the archive, driven only through
 * {@code bin/vmlab}, extended by dropping a bundle into {@code deploy/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration HOT_DEPLOY_WAIT = Duration.ofSeconds(30);
    private static final String EXAMPLE = "least-recent-first";

    private static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")), Path.of(System.getProperty("vmlab.work.dir")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
        }
    }

    @Test
    @Order(1)
    void firstCommandStartsTheInstanceAndListsProviders() throws Exception {
        assertTrue(dist.karafProcess().isEmpty(), "nothing runs before the first command");
        Distribution.Result r = dist.vmlab("policy:list");
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(r.stdout().contains("sequential") && r.stdout().contains("hot-last") && r.stdout().contains("random"), r.stdout());
        assertTrue(r.stderr().contains("starting the instance"), "says it started the instance: " + r.stderr());
        assertTrue(dist.karafProcess().isPresent());
        System.out.printf("start to first command: %d ms%n", r.millis());
    }

    @Test
    @Order(2)
    void jsonListsOneDefaultPerFamily() throws Exception {
        Distribution.Result r = dist.vmlab("policy:list", "--json");
        assertEquals(0, r.exit(), r.stderr());
        JsonNode providers = JSON.readTree(r.stdout());
        assertTrue(providers.isArray() && providers.size() >= 3, r.stdout());
        List<String> defaults = new ArrayList<>();
        for (JsonNode p : providers) {
            for (String field : List.of("family", "name", "description", "bundle", "bundleVersion", "ranking", "serviceId", "isDefault",
                    "settings")) {
                assertTrue(p.has(field), "field " + field + " in " + p);
            }
            if (p.get("isDefault").asBoolean()) {
                defaults.add(p.get("family").asText() + "/" + p.get("name").asText());
            }
        }
        assertEquals(List.of("backend/emu", "workload/idle", "engine/precopy", "ordering/sequential",
                "pagecache/guest-agent", "storage/recency", "tiering/first-touch", "kvs/tiered-memcached",
                "hotplug/job-coordinator", "placement/none"), defaults);

        Distribution.Result filtered = dist.vmlab("policy:list", "--family", "ordering", "--json");
        assertEquals(4, JSON.readTree(filtered.stdout()).size(), filtered.stdout());
        // issue 15: the hotplug family holds the job coordinator, the in-JVM agent channel, emu's and qemu's device hotplug
        Distribution.Result hotplug = dist.vmlab("policy:list", "--family", "hotplug", "--json");
        assertEquals(4, JSON.readTree(hotplug.stdout()).size(), hotplug.stdout());
    }

    @Test
    @Order(3)
    void badInputGetsOneClearLineAndANonZeroExit() throws Exception {
        assertOneLineError(dist.vmlab("policy:list", "--family", "nope"), "unknown family 'nope'");
        assertOneLineError(dist.vmlab("policy:list", "--bogus"), "--bogus");
        assertOneLineError(dist.vmlab("nosuch:command"), "nosuch:command");
        assertOneLineError(dist.vmlab("policy:list", "--family"), "--family");
    }

    private static void assertOneLineError(Distribution.Result r, String mentions) {
        assertNotEquals(0, r.exit(), "non-zero exit");
        assertEquals("", r.stdout(), "nothing on stdout");
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.stderr());
        assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains(mentions), lines.get(0));
    }

    @Test
    @Order(4)
    void usageWithoutArguments() throws Exception {
        Distribution.Result help = dist.vmlab("--help");
        assertEquals(0, help.exit());
        assertTrue(help.stdout().startsWith("usage: bin/vmlab"), help.stdout());
        assertNotEquals(0, dist.vmlab().exit());
    }

    @Test
    @Order(4)
    void commandHelpIsPlainTextInAPipe() throws Exception {
        Distribution.Result help = dist.vmlab("policy:list", "--help");
        assertEquals(0, help.exit(), help.stderr());
        assertTrue(help.stdout().contains("DESCRIPTION") && help.stdout().contains("SYNTAX"), help.stdout());
        assertFalse(help.stdout().contains("\u001B"), "no ANSI codes when stdout is not a terminal: " + help.stdout());
    }

    @Test
    @Order(4)
    void settingsHelpAndJsonComeFromTheProvidersDescriptions() throws Exception {
        Distribution.Result options = dist.vmlab("migration:start", "--option", "help");
        assertEquals(0, options.exit(), options.stderr());
        // The defaults' options (or that they take none): "Options of engine 'precopy' ...", "Ordering 'sequential' takes ..."
        assertTrue(options.stdout().toLowerCase().contains("engine 'precopy'")
                && options.stdout().toLowerCase().contains("ordering 'sequential'"), options.stdout());
        Distribution.Result postcopy = dist.vmlab("migration:start", "--engine", "postcopy", "--option", "help", "--json");
        assertEquals("postcopy", JSON.readTree(postcopy.stdout()).get(0).get("name").asText(), postcopy.stdout());
        assertOneLineError(dist.vmlab("migration:start", "--engine", "nope", "--option", "help"), "no engine 'nope'");

        Distribution.Result params = dist.vmlab("vm:create", "--workload", "memory", "--param", "help");
        assertEquals(0, params.exit(), params.stderr());
        assertTrue(params.stdout().startsWith("Parameters of workload 'memory' (vm:create --param name=value):"),
                params.stdout());
        assertTrue(params.stdout().contains("working-set"), params.stdout());

        JsonNode memory = JSON.readTree(dist.vmlab("policy:info", "--json", "workload", "memory").stdout());
        JsonNode workingSet = null;
        for (JsonNode setting : memory.get("settings")) {
            if (setting.get("name").asText().equals("working-set")) {
                workingSet = setting;
            }
        }
        assertTrue(workingSet != null, "working-set in " + memory);
        assertEquals("size", workingSet.get("type").asText());
        assertTrue(workingSet.get("allowed").asText().startsWith("a size from"), workingSet.toString());
    }

    /**
     * The README's engine-options table is what the engines describe, printed by the command the
     * README names. {@code -Dvmlab.readme.update=true} rewrites the table instead of failing.
     */
    @Test
    @Order(4)
    void readmeEngineOptionsTableIsWhatTheEnginesDescribe() throws Exception {
        Distribution.Result table = dist.vmlab("policy:info", "--markdown", "engine");
        assertEquals(0, table.exit(), table.stderr());
        Path readme = Path.of(System.getProperty("vmlab.readme")).normalize();
        String text = Files.readString(readme);
        String begin = "<!-- BEGIN engine-options: bin/vmlab policy:info --markdown engine -->\n";
        String end = "<!-- END engine-options -->";
        int from = text.indexOf(begin);
        int to = text.indexOf(end, Math.max(0, from));
        assertTrue(from >= 0 && to > from, readme + " has the markers " + begin.strip() + " and " + end);
        String documented = text.substring(from + begin.length(), to);
        if (documented.equals(table.stdout())) {
            return;
        }
        if (Boolean.getBoolean("vmlab.readme.update")) {
            Files.writeString(readme, text.substring(0, from + begin.length()) + table.stdout() + text.substring(to));
            System.out.println("rewrote the engine-options table in " + readme);
            return;
        }
        fail(readme + "'s engine-options table differs from bin/vmlab policy:info --markdown engine; rerun this test"
                + " with -Dvmlab.readme.update=true to rewrite it. The engines describe:\n" + table.stdout());
    }

    @Test
    @Order(5)
    void hotDeployInstallUpdateRemove() throws Exception {
        Path jar = Path.of(System.getProperty("vmlab.example.jar"));
        Path deployed = dist.home.resolve("deploy").resolve(jar.getFileName());

        copyAtomically(jar, deployed);
        JsonNode v1 = awaitProvider(p -> p.isPresent() && p.get().get("bundleVersion").asText().equals("1.0.0"), "installed");
        assertEquals("org.vmlab.examples.ordering", v1.get("bundle").asText());

        Path rebuilt = Files.createTempFile(dist.home, "example-1.0.1", ".jar");
        withBundleVersion(jar, rebuilt, "1.0.1");
        copyAtomically(rebuilt, deployed);
        Files.delete(rebuilt);
        awaitProvider(p -> p.isPresent() && p.get().get("bundleVersion").asText().equals("1.0.1"), "updated to 1.0.1");

        Files.delete(deployed);
        awaitProvider(Optional::isEmpty, "removed");
    }

    @Test
    @Order(5)
    void vmLifecycleThroughTheShell() throws Exception {
        Path disk = dist.home.resolve("data/it-disk.img");
        Distribution.Result created = dist.vmlab("vm:create", "--memory", "256M", "--vcpus", "2",
                "--disk", disk.toString(), "--disk-size", "64M", "--workload", "memory",
                "--param", "rate=20M", "--param", "working-set=32M", "--json", "it-vm");
        assertEquals(0, created.exit(), created.stderr());
        JsonNode vm = JSON.readTree(created.stdout());
        assertEquals("it-vm", vm.get("id").asText());
        assertEquals("running", vm.get("state").asText());
        assertEquals("memory", vm.get("workload").asText());

        assertOneLineError(dist.vmlab("vm:create", "it-vm"), "exists already");
        assertOneLineError(dist.vmlab("vm:create", "--memory", "lots", "bad"), "lots");
        assertOneLineError(dist.vmlab("vm:create", "--workload", "nosuch", "bad"), "nosuch");
        assertOneLineError(dist.vmlab("vm:create", "--workload", "memory", "--param", "rate=fast", "bad"), "rate");
        assertOneLineError(dist.vmlab("vm:create", "bad", "--memory", "1G"), "options go before arguments");
        assertOneLineError(dist.vmlab("vm:info", "ghost"), "no VM 'ghost'");
        assertEquals(List.of("it-vm"), ids(dist.vmlab("vm:list", "--json")), "a refused create leaves nothing behind");

        Thread.sleep(1500);
        JsonNode info = JSON.readTree(dist.vmlab("vm:info", "--json", "it-vm").stdout());
        assertTrue(info.get("throughput").get("bytesPerSecond").asDouble() > 0, info.toString());

        JsonNode paused = JSON.readTree(dist.vmlab("vm:pause", "--json", "it-vm").stdout());
        assertEquals("paused", paused.get("state").asText());
        assertTrue(paused.get("stopMs").asDouble() >= 0);
        JsonNode verified = JSON.readTree(dist.vmlab("vm:verify", "--json", "it-vm").stdout());
        assertTrue(verified.get("passed").asBoolean(), verified.toString());
        assertTrue(verified.get("invariant").get("holds").asBoolean(), verified.toString());
        String digestWhilePaused = verified.get("digest").asText();
        assertEquals(digestWhilePaused, JSON.readTree(dist.vmlab("vm:verify", "--json", "it-vm").stdout()).get("digest").asText(),
                "a paused guest does not change");

        // A relative file is relative to where bin/vmlab runs, not to the instance.
        Path userDir = Files.createDirectories(dist.home.resolve("data/it-user"));
        Path snapshot = userDir.resolve("it-vm.snap");
        assertEquals(0, dist.vmlabIn(userDir, "vm:snapshot", "it-vm", "it-vm.snap").exit());
        assertTrue(Files.isRegularFile(snapshot), "the snapshot is in the directory bin/vmlab ran in");
        assertEquals(0, dist.vmlab("vm:resume", "it-vm").exit());
        assertEquals(0, dist.vmlab("vm:destroy", "it-vm").exit());
        assertEquals(List.of(), ids(dist.vmlab("vm:list", "--json")));

        Distribution.Result restored = dist.vmlabIn(userDir, "vm:restore", "--paused", "--json", "it-vm.snap");
        assertEquals(0, restored.exit(), restored.stderr());
        String id = JSON.readTree(restored.stdout()).get("id").asText();
        JsonNode again = JSON.readTree(dist.vmlab("vm:verify", "--json", id).stdout());
        assertEquals(digestWhilePaused, again.get("digest").asText(), "restored memory equals the memory at the snapshot");
        assertEquals(0, dist.vmlab("vm:resume", id).exit());
        Thread.sleep(1000);
        assertTrue(JSON.readTree(dist.vmlab("vm:verify", "--json", id).stdout()).get("passed").asBoolean());
        assertEquals(0, dist.vmlab("vm:destroy", id).exit());
    }

    private static List<String> ids(Distribution.Result list) throws IOException {
        assertEquals(0, list.exit(), list.stderr());
        List<String> ids = new ArrayList<>();
        JSON.readTree(list.stdout()).forEach(v -> ids.add(v.get("id").asText()));
        return ids;
    }

    @Test
    @Order(6)
    void garbageOnTheControlSocketIsRefusedAndTheInstanceKeepsServing() throws Exception {
        Path socket = dist.socket();
        try (SocketChannel hangsUp = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            hangsUp.write(ByteBuffer.wrap(new byte[] {0x56, 0x4D})); // half a magic number, then gone
        }
        try (SocketChannel peer = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            peer.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && peer.read(buf) > 0) {
                reply.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String text = reply.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("bad control request: not a vmlab control request"), text);
        }
        Distribution.Result after = dist.vmlab("policy:list", "--json");
        assertEquals(0, after.exit(), after.stderr());
    }

    @Test
    @Order(7)
    void secureByDefault() throws Exception {
        Path socket = dist.socket();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        for (String line : Files.readAllLines(dist.home.resolve("etc/users.properties"))) {
            String t = line.strip();
            // Group definitions (_g_:name) carry no credential; any other active line is a user.
            assertTrue(t.isEmpty() || t.startsWith("#") || t.startsWith("_g_\\:"), "no user ships: " + line);
        }
        long pid = dist.karafProcess().orElseThrow().pid();
        assertTrue(Files.readString(dist.home.resolve("etc/org.apache.karaf.shell.cfg")).contains("sshHost = 127.0.0.1"));
        for (String listener : Listeners.listening(pid)) {
            assertTrue(Listeners.isLoopback(listener), "listens on loopback only: " + listener);
        }
    }

    @Test
    @Order(8)
    void aCommandRightAfterStopWaitsForTheOldInstanceAndStartsANewOne() throws Exception {
        long oldPid = dist.karafProcess().orElseThrow().pid();
        assertEquals(0, dist.script("stop").exit());
        Distribution.Result r = dist.vmlab("policy:list", "--json");
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(ProcessHandle.of(oldPid).isEmpty(), "the old instance is gone");
        assertNotEquals(oldPid, dist.karafProcess().orElseThrow().pid());
    }

    @Test
    @Order(9)
    void stopEndsTheInstanceAndRemovesTheSocket() throws Exception {
        ProcessHandle karaf = dist.karafProcess().orElseThrow();
        Path socket = dist.socket();
        assertEquals(0, dist.script("stop").exit());
        karaf.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(Files.exists(socket), "socket removed");
        assertNotEquals(0, dist.script("status").exit());
    }

    private static JsonNode awaitProvider(Predicate<Optional<JsonNode>> condition, String what) throws Exception {
        long deadline = System.nanoTime() + HOT_DEPLOY_WAIT.toNanos();
        long start = System.nanoTime();
        Optional<JsonNode> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            Distribution.Result r = dist.vmlab("policy:list", "--family", "ordering", "--json");
            assertEquals(0, r.exit(), r.stderr());
            last = Optional.empty();
            for (JsonNode p : JSON.readTree(r.stdout())) {
                if (p.get("name").asText().equals(EXAMPLE)) {
                    last = Optional.of(p);
                }
            }
            if (condition.test(last)) {
                System.out.printf("hot deploy: %s after %d ms%n", what, (System.nanoTime() - start) / 1_000_000);
                return last.orElse(null);
            }
            Thread.sleep(250);
        }
        fail(EXAMPLE + " not " + what + " within " + HOT_DEPLOY_WAIT + "; last seen: " + last);
        return null;
    }

    /** Copies next to the target, then renames, so the deployer never reads half a jar. */
    private static void copyAtomically(Path from, Path to) throws IOException {
        Path tmp = to.resolveSibling(".tmp-" + to.getFileName());
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A copy of a bundle jar that differs only in Bundle-Version: what a rebuild with a bumped version gives. */
    private static void withBundleVersion(Path in, Path out, String version) throws IOException {
        try (JarInputStream jin = new JarInputStream(Files.newInputStream(in))) {
            Manifest manifest = jin.getManifest();
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            try (OutputStream os = Files.newOutputStream(out); JarOutputStream jout = new JarOutputStream(os, manifest)) {
                for (JarEntry e = jin.getNextJarEntry(); e != null; e = jin.getNextJarEntry()) {
                    jout.putNextEntry(new JarEntry(e.getName()));
                    jin.transferTo(jout);
                    jout.closeEntry();
                }
            }
        }
    }
}
