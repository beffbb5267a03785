package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.engines.Messages.Message;
import org.vmlab.transport.Frame;
import org.vmlab.transport.TransportException;

/** Every message reads back what it wrote, and a malformed payload is refused, never trusted. */
class MessagesTest {

    private static Frame frame(Message m) throws IOException {
        return new Frame(m.type().code, ByteBuffer.wrap(m.bytes()));
    }

    @Test
    void everyMessageRoundTrips() throws IOException {
        VmSpec spec = VmSpec.of("web", "emu", 64L << 20).withVcpus(2);
        assertEquals(new Messages.Open("m-1", 4, true, false, spec).toString(),
                Messages.Open.read(frame(new Messages.Open("m-1", 4, true, false, spec))).toString());
        assertEquals(new Messages.Ready("t", "web-incoming", 16384),
                Messages.Ready.read(frame(new Messages.Ready("t", "web-incoming", 16384))));
        assertEquals(new Messages.Attach("t", 3), Messages.Attach.read(frame(new Messages.Attach("t", 3))));
        assertEquals(new Messages.Flush(77), Messages.Flush.read(frame(new Messages.Flush(77))));
        Messages.Switchover sw = Messages.Switchover.read(frame(new Messages.Switchover(true, new byte[]{1, 2, 3})));
        assertTrue(sw.verify());
        assertArrayEquals(new byte[]{1, 2, 3}, sw.deviceState());
        PageSet missing = PageSet.ofBitmap(130, new long[]{5L, 0, 1L});
        Messages.PostcopySwitch ps = Messages.PostcopySwitch.read(
                frame(new Messages.PostcopySwitch(false, FaultMode.COOPERATIVE, missing, new byte[]{9})), 130);
        assertEquals(FaultMode.COOPERATIVE, ps.mode());
        assertEquals(missing.size(), ps.missing().size());
        assertTrue(ps.missing().contains(128) && ps.missing().contains(2) && !ps.missing().contains(1));
        assertArrayEquals(new long[]{4, 99}, Messages.Request.read(frame(new Messages.Request(new long[]{4, 99})), 100).pfns());
        assertEquals(new Messages.Progress(3, 4, 5.5, 6.5, 700), Messages.Progress.read(frame(new Messages.Progress(3, 4, 5.5, 6.5, 700))));
        assertTrue(Double.isNaN(Messages.Progress.read(frame(new Messages.Progress(3, 4, 0, 0, Double.NaN))).p99Micros()));
        assertEquals(new Messages.Complete(10, 11), Messages.Complete.read(frame(new Messages.Complete(10, 11))));
        Messages.NativeOpen no = Messages.NativeOpen.read(frame(new Messages.NativeOpen("m-2", spec, Map.of("xbzrle", "true"))));
        assertEquals(Map.of("xbzrle", "true"), no.settings());
        assertEquals(new Messages.Loaded("q1"), Messages.Loaded.read(frame(new Messages.Loaded("q1"))));
        assertEquals("why", Messages.Reason.read(frame(Messages.Reason.abort("why"))));
        long[] into = new long[10];
        BitSet seen = new BitSet();
        Messages.Hashes.readInto(frame(new Messages.Hashes(4, new long[]{7, 8})), into, seen);
        assertEquals(8, into[5]);
        assertEquals(2, seen.cardinality());
    }

    @Test
    void malformedPayloadsAreRefused() throws IOException {
        assertThrows(TransportException.class, () -> Messages.Open.read(frame(new Messages.Open("m", 65, false, false,
                VmSpec.of("a", "emu", 1 << 20)))));
        assertThrows(TransportException.class, () -> Messages.Request.read(frame(new Messages.Request(new long[]{100})), 100));
        assertThrows(TransportException.class, () -> Messages.Request.read(new Frame(16, ByteBuffer.wrap(new byte[]{0, 0, 0, 2, 1})), 100));
        assertThrows(TransportException.class, () -> Messages.PostcopySwitch.read(
                frame(new Messages.PostcopySwitch(false, FaultMode.BLOCKING, PageSet.ofBitmap(64, new long[]{1}), new byte[0])), 130));
        assertThrows(TransportException.class, () -> Messages.Hashes.readInto(
                frame(new Messages.Hashes(9, new long[]{1, 2})), new long[10], new BitSet()));
        assertThrows(TransportException.class, () -> Messages.Hashes.readInto(new Frame(7, ByteBuffer.wrap(new byte[5])),
                new long[10], new BitSet()));
        assertThrows(TransportException.class, () -> FrameType.of(200));
        // A device state that claims more bytes than the frame holds.
        ByteBuffer lying = ByteBuffer.allocate(5).put((byte) 1).putInt(1 << 20);
        assertThrows(TransportException.class, () -> Messages.Switchover.read(new Frame(6, lying.flip())));
    }

    @Test
    void truncatedOrRandomBytesNeverEscapeAsAnythingButATransportException() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[rnd.nextInt(40)];
            rnd.nextBytes(b);
            for (FrameType t : new FrameType[]{FrameType.OPEN, FrameType.READY, FrameType.ATTACH, FrameType.SWITCHOVER,
                    FrameType.PROGRESS, FrameType.NATIVE_OPEN}) {
                Frame f = new Frame(t.code, ByteBuffer.wrap(b));
                try {
                    switch (t) {
                        case OPEN -> MigrationChannel.read(f, Messages.Open::read);
                        case READY -> MigrationChannel.read(f, Messages.Ready::read);
                        case ATTACH -> MigrationChannel.read(f, Messages.Attach::read);
                        case SWITCHOVER -> MigrationChannel.read(f, Messages.Switchover::read);
                        case PROGRESS -> MigrationChannel.read(f, Messages.Progress::read);
                        default -> MigrationChannel.read(f, Messages.NativeOpen::read);
                    }
                } catch (IOException e) {
                    // refused: fine (a UTF decoding error is an IOException too)
                }
            }
        }
    }
}
