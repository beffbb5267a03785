package org.vmlab.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the complete lines appended to a console log since the last call. Not thread-safe. */
final class ConsoleTail {
    private static final int MAX_LINE = 64 << 10;
    private final Path file;
    private long offset;
    private final StringBuilder partial = new StringBuilder();

    ConsoleTail(Path file) {
        this.file = file;
    }

    List<String> newLines() {
        List<String> out = new ArrayList<>();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            if (len < offset) {
                offset = 0; // truncated: start over
            }
            while (offset < len) {
                byte[] b = new byte[(int) Math.min(1 << 16, len - offset)];
                f.seek(offset);
                f.readFully(b);
                offset += b.length;
                // ISO-8859-1 keeps bytes 1:1 so a UTF-8 sequence split across reads cannot fail.
                String s = new String(b, StandardCharsets.ISO_8859_1);
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c == '\n') {
                        out.add(partial.toString().replace("\r", ""));
                        partial.setLength(0);
                    } else if (partial.length() < MAX_LINE) {
                        partial.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // not there yet, or gone with the VM
        }
        return out;
    }
}
