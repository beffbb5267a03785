package org.vmlab.kvs;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Tests against servers of one {@link TestServers}, made once per test class. */
abstract class ServerTestBase {
    @TempDir
    static Path dir;
    static TestServers servers;

    @BeforeAll
    static void startServers() throws Exception {
        servers = new TestServers(dir);
    }

    @AfterAll
    static void stopServers() {
        servers.close();
    }
}
