package org.vmlab.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessGuardTest {
    @TempDir
    Path tmp;

    private static DashboardConfig config(boolean remote, String passwordFile) {
        return new DashboardConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DashboardConfig.class;
            }

            @Override
            public boolean allowRemote() {
                return remote;
            }

            @Override
            public String passwordFile() {
                return passwordFile;
            }
        };
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void loopbackNeedsNoLoginAndEverythingElseIsRefusedByDefault() {
        AccessGuard g = AccessGuard.of(config(false, ""));
        assertTrue(g.check("127.0.0.1", false, null).isEmpty());
        assertTrue(g.check("127.8.9.10", false, null).isEmpty());
        assertTrue(g.check("0:0:0:0:0:0:0:1", false, null).isEmpty());
        assertEquals(403, g.check("192.0.2.7", false, basic("vmlab", "whatever")).orElseThrow().status());
        assertEquals(403, g.check("localhost.evil.example", false, null).orElseThrow().status(), "names are never resolved");
    }

    @Test
    void remoteAccessNeedsTlsAndThePasswordFromAnOwnerOnlyFile() throws Exception {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "correct horse battery\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AccessGuard.of(config(true, pw.toString())))
                .getMessage().contains("chmod 600"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AccessGuard.of(config(true, "")))
                .getMessage().contains("no default password"));
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
        AccessGuard g = AccessGuard.of(config(true, pw.toString()));
        assertEquals(403, g.check("192.0.2.7", false, basic("vmlab", "correct horse battery")).orElseThrow().status(), "no TLS");
        assertEquals(401, g.check("192.0.2.7", true, null).orElseThrow().status());
        assertEquals(401, g.check("192.0.2.7", true, basic("vmlab", "wrong")).orElseThrow().status());
        assertEquals(401, g.check("192.0.2.7", true, basic("root", "correct horse battery")).orElseThrow().status());
        assertTrue(g.check("192.0.2.7", true, basic("vmlab", "correct horse battery")).isEmpty());
    }

    @Test
    void onlyLoopbackHostHeadersAreServedOnLoopback() {
        assertTrue(DashboardServlet.loopbackHost("127.0.0.1:8181"));
        assertTrue(DashboardServlet.loopbackHost("localhost:8181"));
        assertTrue(DashboardServlet.loopbackHost("[::1]:8181"));
        assertFalse(DashboardServlet.loopbackHost("attacker.example:8181"));
        assertFalse(DashboardServlet.loopbackHost(null));
    }
}
