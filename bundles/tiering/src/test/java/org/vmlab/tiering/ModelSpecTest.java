package org.vmlab.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vmlab.api.tiering.TierModel;

class ModelSpecTest {
    @Test
    void presetsCarryThePaperFigures() {
        TierModel o = ModelSpec.parse("optane-dcpmm");
        assertEquals(374, o.readLatencyNanos());
        assertEquals(391, o.writeLatencyNanos());
        assertEquals(38_000_000_000L, o.readBytesPerSecond());
        assertEquals(3_000_000_000L, o.writeBytesPerSecond());
        assertEquals(256, o.mediaBlockBytes());
        assertTrue(ModelSpec.parse("pcm").writeLatencyNanos() > ModelSpec.parse("pcm").readLatencyNanos(),
                "pcm is write-slow");
        assertEquals(0, ModelSpec.parse("dram").readLatencyNanos(), "dram adds nothing to the host");
    }

    @Test
    void changesAndFiguresOnTheCommandLine() {
        TierModel m = ModelSpec.parse("pcm:write=1.5us,write-bw=512m");
        assertEquals(300, m.readLatencyNanos());
        assertEquals(1500, m.writeLatencyNanos());
        assertEquals(512L << 20, m.writeBytesPerSecond());
        TierModel c = ModelSpec.parse("read=250ns,write=900,read-bw=10G,write-bw=0,block=512");
        assertEquals("custom", c.name());
        assertEquals(900, c.writeLatencyNanos());
        assertEquals(0, c.writeBytesPerSecond(), "0 = unlimited");
        assertEquals(512, c.mediaBlockBytes());
        TierModel sym = ModelSpec.parse("optane-dcpmm").symmetric();
        assertEquals(374, sym.writeLatencyNanos(), "a symmetric model charges write-backs as reads");
    }

    @Test
    void badSpecsNameWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("optane")).getMessage()
                .contains("optane-dcpmm"), "names the presets");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("pcm:speed=3")).getMessage()
                .contains("speed"));
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("read=fast"));
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("read=100,block=100"),
                "a block that is no multiple of the line");
    }
}
