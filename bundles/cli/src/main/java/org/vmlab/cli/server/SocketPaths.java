package org.vmlab.cli.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where the control socket lives. Unix socket paths are limited to about 107 bytes, so an
 * instance unpacked deep in a file tree uses a short path under /tmp instead, named by a hash of
 * its home folder. bin/vmlab computes the same path the same way (sha256sum of the home path).
 */
final class SocketPaths {
    /** Longest socket path used as is; sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_PATH_BYTES = 100;

    private SocketPaths() {
    }

    static Path defaultPath(Path karafHome, Path karafData) throws IOException {
        Path preferred = karafData.toAbsolutePath().resolve("vmlab").resolve("control.sock");
        if (preferred.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_PATH_BYTES) {
            return preferred;
        }
        String home = karafHome.toRealPath().toString();
        String user = System.getProperty("user.name", "user");
        return Path.of("/tmp", "vmlab-" + user, sha256Prefix(home), "control.sock");
    }

    /** Creates {@code dir} (and a /tmp/vmlab-USER parent) so that only the owner may enter. */
    static void createPrivate(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().startsWith("vmlab-")
                && parent.getParent() != null && parent.getParent().equals(Path.of("/tmp"))) {
            Files.createDirectories(parent);
            Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx------"));
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** Removes the per-instance folder of a short /tmp path once its socket is gone. */
    static void removeShortPathFolder(Path socket) throws IOException {
        Path dir = socket.getParent();
        if (dir != null && dir.getParent() != null && dir.getParent().getParent() != null
                && dir.getParent().getParent().equals(Path.of("/tmp")) && dir.getParent().getFileName().toString().startsWith("vmlab-")) {
            try {
                Files.deleteIfExists(dir);
            } catch (java.nio.file.DirectoryNotEmptyException e) {
                // something else lives there; leave it
            }
        }
    }

    static String sha256Prefix(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
