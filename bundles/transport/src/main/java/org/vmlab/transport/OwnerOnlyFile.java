package org.vmlab.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Reads small secret files that must be readable by their owner only (mode 0600 or stricter). */
final class OwnerOnlyFile {
    private OwnerOnlyFile() {
    }

    /**
     * The file's content, trimmed of surrounding white space.
     *
     * @param what names the file in errors, e.g. "secret file"
     * @throws IOException if it is missing, not a regular file, readable by group or others,
     *                     larger than {@code maxBytes} or empty
     */
    static String read(Path file, String what, int maxBytes) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(what + " " + file + " does not exist or is not a regular file");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view != null) {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            for (PosixFilePermission p : perms) {
                if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                    throw new IOException("refusing to use " + what + " " + file + ": its mode is "
                            + PosixFilePermissions.toString(perms)
                            + " but it must be readable only by its owner (chmod 600 " + file + ")");
                }
            }
        }
        if (Files.size(file) > maxBytes) {
            throw new IOException(what + " " + file + " is larger than " + maxBytes + " bytes");
        }
        String content = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        if (content.isEmpty()) {
            throw new IOException(what + " " + file + " is empty");
        }
        return content;
    }
}
