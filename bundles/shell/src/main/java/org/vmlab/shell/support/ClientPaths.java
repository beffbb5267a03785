package org.vmlab.shell.support;

import java.nio.file.Path;

import org.apache.karaf.shell.api.console.Session;

/**
 * File arguments as the user meant them: a relative path is relative to the directory bin/vmlab
 * ran in (session variable {@code vmlab.cwd}, sent by the client), not to the instance's home.
 * In the Karaf console, where no client directory is known, it is relative to the instance's
 * working directory.
 */
public final class ClientPaths {
    public static final String CWD = "vmlab.cwd";

    private ClientPaths() {
    }

    public static Path resolve(Session session, String file) {
        Path p = Path.of(file);
        if (p.isAbsolute()) {
            return p.normalize();
        }
        Object cwd = session == null ? null : session.get(CWD);
        if (cwd instanceof String s && !s.isBlank() && Path.of(s).isAbsolute()) {
            return Path.of(s).resolve(p).normalize();
        }
        return p.toAbsolutePath().normalize();
    }
}
