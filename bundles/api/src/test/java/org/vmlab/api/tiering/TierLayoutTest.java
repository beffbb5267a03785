package org.vmlab.api.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmlab.api.vm.DeviceSpec;

class TierLayoutTest {
    private static final long GIB = 1L << 30;

    @Test
    void slotsParseWithAndWithoutModels() {
        assertEquals(new TierLayout.Slot("dram", GIB, "dram"), TierLayout.Slot.parse("dram=1G"));
        assertEquals(new TierLayout.Slot("nvm", 3 * GIB, "optane-dcpmm"), TierLayout.Slot.parse("nvm=3G"));
        assertEquals(new TierLayout.Slot("far", 512L << 20, "pcm:write=1500ns"),
                TierLayout.Slot.parse(" far=512m:pcm:write=1500ns "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "dram", "=1G", "dram=", "Dram=1G", "dram=1G:", "dram=1000"})
    void malformedSlotsAreRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> TierLayout.Slot.parse(text), text);
    }

    @Test
    void layoutsAreCheckedAndSized() {
        TierLayout l = new TierLayout(List.of(TierLayout.Slot.parse("dram=1G"), TierLayout.Slot.parse("nvm=3G")),
                "first-touch", null);
        assertEquals(4 * GIB, l.totalBytes());
        assertEquals(Map.of(), l.options());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new TierLayout(
                List.of(TierLayout.Slot.parse("dram=1G"), TierLayout.Slot.parse("dram=2G")), "static", Map.of()));
        assertTrue(twice.getMessage().contains("'dram' is given twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TierLayout(List.of(), "static", Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new TierLayout(List.of(TierLayout.Slot.parse("dram=1G")), " ", Map.of()));
    }

    @Test
    void aLayoutTravelsAsADeviceAndBack() {
        TierLayout l = new TierLayout(List.of(TierLayout.Slot.parse("dram=1G"),
                TierLayout.Slot.parse("nvm=1536M:read=300ns,write=900ns")), "hot-cold", Map.of("max-moves", "64"));
        DeviceSpec d = l.toDevice();
        assertEquals(TierLayout.DEVICE_TYPE, d.type());
        assertEquals("64", d.properties().get("option.max-moves"));
        assertEquals(l, TierLayout.fromDevice(d));
    }

    @Test
    void otherDevicesAreNotLayouts() {
        DeviceSpec nic = new DeviceSpec("nic0", "virtio-net", false, Map.of());
        assertThrows(IllegalArgumentException.class, () -> TierLayout.fromDevice(nic));
        DeviceSpec empty = new DeviceSpec(TierLayout.DEVICE_ID, TierLayout.DEVICE_TYPE, false, Map.of());
        assertThrows(IllegalArgumentException.class, () -> TierLayout.fromDevice(empty));
    }
}
