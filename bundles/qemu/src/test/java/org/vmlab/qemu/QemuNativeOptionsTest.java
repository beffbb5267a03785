package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/** qemu-native's options as the migration service, help and completion see them (no QEMU needed). */
class QemuNativeOptionsTest {
    private final List<Parameter> options = new QemuNativeEngine().options();
    private final ParameterSet set = ParameterSet.options("engine 'qemu-native'", options);

    @Test
    void qemusCapabilitiesAreBooleansOffByDefaultWithOneLineHelp() {
        assertEquals(List.of("xbzrle", "auto-converge", "postcopy-ram"), set.names());
        for (Parameter p : options) {
            assertEquals(Parameter.Type.BOOLEAN, p.type(), p.name());
            assertEquals("false", p.defaultValue(), p.name());
            assertFalse(p.description().isBlank() || p.description().contains("\n"), p.name());
        }
        ParameterValues none = set.validate(Map.of());
        assertTrue(options.stream().noneMatch(p -> none.bool(p.name())));
        assertTrue(set.validate(Map.of("xbzrle", "TRUE")).bool("xbzrle"));
    }

    @Test
    void aBadOrUnknownOptionIsOneSentenceNamingIt() {
        assertEquals("option 'xbzrle' of engine 'qemu-native': unknown value 'on'; allowed: one of true, false",
                assertThrows(IllegalArgumentException.class, () -> set.validate(Map.of("xbzrle", "on"))).getMessage());
        assertEquals("unknown option 'turbo' of engine 'qemu-native'; allowed: xbzrle, auto-converge, postcopy-ram",
                assertThrows(IllegalArgumentException.class, () -> set.validate(Map.of("turbo", "true"))).getMessage());
    }
}
