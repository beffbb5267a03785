package org.vmlab.backend.support.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;

class SnapshotFormatTest {
    private static final SnapshotFormat FORMAT = new SnapshotFormat("emu", 0x54455354534E4150L, 3, 0x454E444F46534E50L);
    private static final SnapshotFormat OTHER = new SnapshotFormat("qemu", 0x4F54484552534E50L, 1, 0x454E444F46534E50L);
    private static final long UNITS = 200;

    @TempDir
    Path dir;

    /** Units 3, 64 and 199 hold data, the rest is zero. */
    private static byte[][] units() {
        byte[][] u = new byte[(int) UNITS][];
        Random r = new Random(5);
        for (int i = 0; i < UNITS; i++) {
            u[i] = new byte[Pages.SIZE];
            if (i == 3 || i == 64 || i == 199) {
                r.nextBytes(u[i]);
            }
        }
        return u;
    }

    private Path write(String name) throws IOException {
        byte[][] u = units();
        Path file = dir.resolve("snaps").resolve(name);
        FORMAT.write(file, out -> out.writeUTF("the header"), out -> SparseUnits.write(UNITS, out,
                new SparseUnits.Source() {
                    @Override
                    public boolean isZero(long i) {
                        return Arrays.equals(u[(int) i], new byte[Pages.SIZE]);
                    }

                    @Override
                    public void read(long i, byte[] into) {
                        System.arraycopy(u[(int) i], 0, into, 0, Pages.SIZE);
                    }
                }));
        return file;
    }

    /** The units read, by index; the body is checked only after it was read (unless verifyFirst). */
    private static Map<Long, byte[]> read(Path file, boolean verifyFirst) throws IOException {
        Map<Long, byte[]> got = new TreeMap<>();
        try (SnapshotReader r = FORMAT.open(file)) {
            assertEquals("the header", r.header(in -> in.readUTF()));
            if (verifyFirst) {
                r.verifyBody();
            }
            SparseUnits.read(r.body(), UNITS, "units", (i, unit) -> got.put(i, unit.clone()));
            r.finish();
        }
        return got;
    }

    private String refusal(Path file, boolean verifyFirst) {
        IOException e = assertThrows(IOException.class, () -> read(file, verifyFirst));
        return SnapshotFormat.readFailure(file, e).getMessage();
    }

    private Path damaged(Path good, String name, java.util.function.UnaryOperator<byte[]> change) throws IOException {
        return Files.write(dir.resolve(name), change.apply(Files.readAllBytes(good)));
    }

    @Test
    void roundTripKeepsOnlyNonZeroUnitsAndLeavesNoTempFile() throws Exception {
        Path file = write("one.snap");
        byte[][] units = units();
        for (boolean verifyFirst : new boolean[] {true, false}) {
            Map<Long, byte[]> got = read(file, verifyFirst);
            assertEquals(List.of(3L, 64L, 199L), List.copyOf(got.keySet()));
            got.forEach((i, unit) -> assertArrayEquals(units[i.intValue()], unit));
        }
        long size = Files.size(file);
        assertTrue(size < 4 * Pages.SIZE, "zero units take one bit: " + size);
        try (Stream<Path> l = Files.list(file.getParent())) {
            assertEquals(List.of(file), l.toList());
        }
        assertTrue(FORMAT.recognizes(file));
        assertFalse(OTHER.recognizes(file), "each backend knows only its own magic");
        assertFalse(FORMAT.recognizes(dir.resolve("missing.snap")));
        write("one.snap"); // replaces the file in place
        assertEquals(size, Files.size(file));
    }

    @Test
    void everyDamageIsOneSentenceNamingTheFile() throws Exception {
        Path good = write("good.snap");
        Path flipped = damaged(good, "flipped.snap", b -> {
            b[b.length - 100] ^= 0x40;
            return b;
        });
        assertEquals("snapshot " + flipped + " is unusable: its content is corrupted (checksum mismatch)",
                refusal(flipped, false));
        assertTrue(refusal(flipped, true).endsWith("its content is corrupted (checksum mismatch)"));
        Path header = damaged(good, "header.snap", b -> {
            b[SnapshotFormat.PREAMBLE + 3] ^= 1;
            return b;
        });
        assertTrue(refusal(header, false).endsWith("its header is corrupted (checksum mismatch)"));
        Path cut = damaged(good, "cut.snap", b -> Arrays.copyOf(b, b.length / 2));
        assertTrue(refusal(cut, false).endsWith("it is truncated"), refusal(cut, false));
        assertTrue(refusal(cut, true).contains("truncated"), refusal(cut, true));
        Path stub = damaged(good, "stub.snap", b -> Arrays.copyOf(b, 10));
        assertTrue(refusal(stub, false).endsWith("it is truncated"));
        Path extra = damaged(good, "extra.snap", b -> Arrays.copyOf(b, b.length + 1));
        assertTrue(refusal(extra, false).endsWith("it has extra bytes after its end"));
        Path noEnd = damaged(good, "noend.snap", b -> {
            b[b.length - 1] ^= 1;
            return b;
        });
        assertTrue(refusal(noEnd, false).endsWith("its end marker is missing"));
        assertTrue(refusal(noEnd, true).endsWith("no end marker)"));
        Path version = damaged(good, "version.snap", b -> {
            b[11] = 2;
            return b;
        });
        assertTrue(refusal(version, false).endsWith("its format version 2 is not supported (only 3)"));
        Path length = damaged(good, "length.snap", b -> {
            b[12] = 0x7f;
            return b;
        });
        assertTrue(refusal(length, false).contains("header length"));
        Path foreign = Files.writeString(dir.resolve("foreign.snap"), "not a snapshot at all, just text");
        assertTrue(refusal(foreign, false).endsWith("it is not an emu snapshot (bad magic number)"));
        assertEquals("snapshot file " + dir.resolve("none.snap") + " does not exist",
                refusal(dir.resolve("none.snap"), false));
    }

    @Test
    void badUnitCountsAndBitmapsAreRefused() throws Exception {
        Path good = write("units.snap");
        try (SnapshotReader r = FORMAT.open(good)) {
            BadSnapshot e = assertThrows(BadSnapshot.class, () -> SparseUnits.read(r.body(), UNITS + 1, "RAM pages",
                    (i, u) -> { }));
            assertEquals("it holds 200 RAM pages where its header says 201", e.getMessage());
        }
        VmlabException w = SnapshotFormat.writeFailure(dir.resolve("x"), "vm", new IOException("disk full"));
        assertEquals("cannot write snapshot " + dir.resolve("x") + " of VM 'vm': java.io.IOException: disk full",
                w.getMessage());
    }

    @Test
    void aFailedWriteLeavesNothing() throws Exception {
        Path file = dir.resolve("fail.snap");
        assertThrows(IOException.class, () -> FORMAT.write(file, out -> out.writeInt(1), out -> {
            out.write(new byte[3 << 20]); // past the buffer: a temp file exists by now
            throw new IOException("the VM went away");
        }));
        try (Stream<Path> l = Files.list(dir)) {
            assertEquals(List.of(), l.toList());
        }
    }
}
