package org.vmlab.itests.distribution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** The TCP ports a process listens on, read from /proc (Linux). */
final class Listeners {
    private Listeners() {
    }

    /** "address:port" of every listening TCP socket the process owns, addresses in /proc's hex. */
    static List<String> listening(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // the descriptor closed while we looked
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) {
                    out.add(f[1]);
                }
            }
        }
        return out;
    }

    /** Whether a /proc/net address ("0100007F:1F90" or its IPv6 form) is a loopback address. */
    static boolean isLoopback(String hexAddressAndPort) {
        String addr = hexAddressAndPort.substring(0, hexAddressAndPort.indexOf(':'));
        if (addr.length() == 8) {
            return addr.endsWith("7F"); // 127.x.x.x, stored little-endian
        }
        // ::1, or ::ffff:127.x.x.x (IPv4-mapped), in /proc's word-wise little-endian layout
        return addr.equals("00000000000000000000000001000000")
                || (addr.startsWith("0000000000000000FFFF0000") && addr.endsWith("7F"));
    }
}
