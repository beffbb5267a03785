package org.vmlab.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret both ends of a migration link share; peers prove they know it by HMAC-SHA256
 * challenge-response. Read from a file only its owner may read (mode 0600 or stricter).
 */
public final class SharedSecret {
    /** The shortest secret accepted, in bytes. */
    public static final int MIN_BYTES = 16;
    private static final int MAX_FILE_BYTES = 4096;

    private final byte[] key;

    private SharedSecret(byte[] key) {
        if (key.length < MIN_BYTES) {
            throw new IllegalArgumentException("a shared secret needs at least " + MIN_BYTES
                    + " bytes, got " + key.length);
        }
        this.key = key.clone();
    }

    /** A secret from these bytes (tests, tools). */
    public static SharedSecret of(byte[] key) {
        return new SharedSecret(Objects.requireNonNull(key, "key"));
    }

    /**
     * Reads the secret file (its trimmed content is the key).
     *
     * @throws IOException if the file is missing, unreadable, readable by group or others, too
     *                     short or too long
     */
    public static SharedSecret load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        byte[] content = OwnerOnlyFile.read(file, "secret file", MAX_FILE_BYTES).getBytes(StandardCharsets.UTF_8);
        if (content.length < MIN_BYTES) {
            throw new IOException("secret file " + file + " holds " + content.length
                    + " bytes; a secret needs at least " + MIN_BYTES);
        }
        return new SharedSecret(content);
    }

    /**
     * Creates the secret file (32 random bytes as hex, mode 0600, parent folders as needed) if it
     * does not exist, then {@link #load loads} it.
     */
    public static SharedSecret loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String hex = HexFormat.of().formatHex(raw) + "\n";
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                return load(file);
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.writeString(file, hex, StandardCharsets.UTF_8);
        }
        return load(file);
    }

    /**
     * HMAC-SHA256 of {@code message} under this secret, bound to {@code purpose} (so a MAC made
     * for one use is never valid for another, nor for the handshake): for signed messages that
     * travel outside the data plane, e.g. cluster orders.
     *
     * @since 1.2
     */
    public byte[] sign(String purpose, byte[] message) {
        byte[] p = (purpose + "\0").getBytes(StandardCharsets.UTF_8);
        return mac((byte) 0x7f, p, message);
    }

    /** Whether {@code mac} is {@link #sign}'s result for this purpose and message (constant time). */
    public boolean verify(String purpose, byte[] message, byte[] mac) {
        return mac != null && constantTimeEquals(sign(purpose, message), mac);
    }

    byte[] mac(byte label, byte[] first, byte[] second) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label);
            mac.update(first);
            mac.update(second);
            return mac.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    static boolean constantTimeEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    @Override
    public String toString() {
        return "SharedSecret[" + key.length + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SharedSecret s && MessageDigest.isEqual(s.key, key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }
}
