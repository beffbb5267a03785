package org.vmlab.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class PlainTextOutputStreamTest {
    private static String plain(String... writes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PlainTextOutputStream out = new PlainTextOutputStream(bytes)) {
            for (String w : writes) {
                out.write(w.getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropsKarafsBoldHeadingsAndColours() throws IOException {
        assertEquals("DESCRIPTION\n        policy:list\n",
                plain("\u001B[1mDESCRIPTION\u001B[22m\n        \u001B[1mpolicy:list\u001B[0m\n"));
        assertEquals("red, plain", plain("\u001B[1;31mred\u001B[m, plain"));
    }

    @Test
    void recognisesSequencesSplitAcrossWrites() throws IOException {
        assertEquals("SYNTAX: x", plain("\u001B", "[", "1", "mSYNTAX", "\u001B[2", "2m: x"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PlainTextOutputStream out = new PlainTextOutputStream(bytes)) {
            for (byte b : "a\u001B[1mb\u001B[22mc ünï".getBytes(StandardCharsets.UTF_8)) {
                out.write(b);
            }
        }
        assertEquals("abc ünï", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void leavesEverythingElseAlone() throws IOException {
        assertEquals("\r12.0 s  3.1 MiB sent\tok ünï", plain("\r12.0 s  3.1 MiB sent\tok ünï"));
        assertEquals("\u001B7saved\u001B8", plain("\u001B7saved\u001B8")); // not CSI
        assertEquals("\u001B\u001Bx", plain("\u001B\u001Bx"));
        assertEquals("tail \u001B", plain("tail \u001B")); // a lone ESC at the end is kept
    }
}
