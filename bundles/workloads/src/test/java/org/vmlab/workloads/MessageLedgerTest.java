package org.vmlab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.vm.Vm;

class MessageLedgerTest extends EmuTestSupport {

    private MessageLedger ledger() {
        Vm vm = vm("ledger", 16 * MiB, 1);
        FrameRange region = AbstractWorkload.allocate("mpi", vm, 4, "memory");
        return new MessageLedger(GuestHeader.create(vm.memory(), "mpi", region, 1, new long[] {0, 0, 0}, Map.of()));
    }

    @Test
    void deliversEachMessageOnceAcrossReorderAndRetransmission() {
        MessageLedger l = ledger();
        assertTrue(l.deliver(1, 0, MessageLedger.value(1, 0)));
        assertTrue(l.deliver(1, 2, MessageLedger.value(1, 2)));
        assertEquals(1, l.lost(), "iteration 1 is missing for now");
        assertFalse(l.deliver(1, 2, MessageLedger.value(1, 2)), "retransmission of an early one");
        assertTrue(l.deliver(1, 1, MessageLedger.value(1, 1)));
        assertEquals(0, l.lost(), "the gap closed");
        assertFalse(l.deliver(1, 0, null));
        assertTrue(l.deliver(1, 3, null));
        assertEquals(4, l.delivered());
        assertEquals(0, l.corrupt());
        assertEquals(Long.toHexString(MessageLedger.value(1, 0) + MessageLedger.value(1, 1) + MessageLedger.value(1, 2)
                + MessageLedger.value(1, 3)), l.values().get("result"));
    }

    @Test
    void countsGapsBeyondTheWindowAndCorruptValues() {
        MessageLedger l = ledger();
        l.deliver(2, 0, 42L);
        assertEquals(1, l.corrupt());
        l.deliver(2, 100, null);
        assertEquals(99, l.lost());
        assertEquals("2", l.values().get("delivered"));
    }
}
