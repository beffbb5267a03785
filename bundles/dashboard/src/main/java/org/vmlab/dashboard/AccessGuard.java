package org.vmlab.dashboard;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

/**
 * Who may see the dashboard. Loopback needs no login: anyone who can reach it already runs
 * commands on this machine. Any other address is refused unless the configuration allows remote
 * access, and then only over TLS with user {@code vmlab} and the password kept in an owner-only
 * file; there is no default password.
 */
final class AccessGuard {
    static final String USER = "vmlab";

    /** Why a request is refused, with the HTTP status to answer. */
    record Refusal(int status, String reason) {
    }

    private final boolean allowRemote;
    private final byte[] password;

    private AccessGuard(boolean allowRemote, byte[] password) {
        this.allowRemote = allowRemote;
        this.password = password;
    }

    /**
     * The guard a configuration asks for.
     *
     * @throws IllegalArgumentException if remote access is allowed without a usable password file
     */
    static AccessGuard of(DashboardConfig config) {
        if (!config.allowRemote()) {
            return new AccessGuard(false, null);
        }
        if (config.passwordFile().isBlank()) {
            throw new IllegalArgumentException("allowRemote needs a passwordFile: there is no default password");
        }
        Path file = Path.of(config.passwordFile());
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IllegalArgumentException("passwordFile " + file + " can be read by others; chmod 600 it");
            }
            byte[] pw = Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
            if (pw.length < 12) {
                throw new IllegalArgumentException("the password in " + file + " is shorter than 12 characters");
            }
            return new AccessGuard(true, pw);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read passwordFile " + file + ": " + e.getMessage());
        }
    }

    /**
     * @param remoteAddress the peer's address as the container saw it
     * @param secure        whether the request came over TLS
     * @param authorization the {@code Authorization} header, or {@code null}
     */
    Optional<Refusal> check(String remoteAddress, boolean secure, String authorization) {
        if (isLoopback(remoteAddress)) {
            return Optional.empty();
        }
        if (!allowRemote) {
            return Optional.of(new Refusal(403, "the vmlab dashboard answers on loopback only (allowRemote in etc/org.vmlab.dashboard.cfg)"));
        }
        if (!secure) {
            return Optional.of(new Refusal(403, "remote access to the vmlab dashboard needs TLS"));
        }
        if (authorization == null || !authorization.startsWith("Basic ")) {
            return Optional.of(new Refusal(401, "log in as " + USER));
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.of(new Refusal(401, "bad credentials"));
        }
        int colon = decoded.indexOf(':');
        boolean ok = colon > 0 && decoded.substring(0, colon).equals(USER)
                && MessageDigest.isEqual(decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8), password);
        return ok ? Optional.empty() : Optional.of(new Refusal(401, "bad credentials"));
    }

    static boolean isLoopback(String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        // A literal address only: never resolve a name the client sent.
        if (!address.matches("[0-9.]+|\\[?[0-9a-fA-F:.]+]?")) {
            return false;
        }
        try {
            return InetAddress.getByName(address.replace("[", "").replace("]", "")).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
