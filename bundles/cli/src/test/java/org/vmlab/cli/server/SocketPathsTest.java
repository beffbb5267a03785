package org.vmlab.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketPathsTest {
    @TempDir
    Path dir;

    @Test
    void shortHomesKeepTheSocketInData() throws Exception {
        Path data = dir.resolve("data");
        assertEquals(data.resolve("vmlab/control.sock"), SocketPaths.defaultPath(dir, data));
    }

    @Test
    void deepHomesUseAShortPathNamedByTheHomesHash() throws Exception {
        Path deep = Files.createDirectories(dir.resolve("a".repeat(60)).resolve("b".repeat(60)));
        Path socket = SocketPaths.defaultPath(deep, deep.resolve("data"));
        assertTrue(socket.toString().length() <= SocketPaths.MAX_PATH_BYTES, socket.toString());
        assertEquals(Path.of("/tmp", "vmlab-" + System.getProperty("user.name"), SocketPaths.sha256Prefix(deep.toRealPath().toString()), "control.sock"), socket);
    }

    @Test
    void hashMatchesSha256sum() {
        // printf %s /opt/vmlab | sha256sum | cut -c1-16
        assertEquals("702ac570c2d073d9", SocketPaths.sha256Prefix("/opt/vmlab"));
    }
}
