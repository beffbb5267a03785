package org.vmlab.shell.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.ProviderInfo;

class PolicyArgumentsTest {
    private static final ProviderInfo EVACUATE = new ProviderInfo("placement", "evacuate", "", "b", "1", 0, 1, false,
            List.of(Parameter.text("node", null, "n").asRequired(), Parameter.decimal("cpu-threshold", "0", 0, 1, "c")));

    @Test
    void bareValuesGoToTheOptionsInOrderAndNamedOnesAreKept() {
        assertEquals(Map.of("node", "b"), PolicyArguments.parse(EVACUATE, List.of("b")));
        assertEquals(Map.of("node", "b", "cpu-threshold", "0.5"), PolicyArguments.parse(EVACUATE, List.of("cpu-threshold=0.5", "b")));
        assertEquals(Map.of("node", "b", "cpu-threshold", "0.5"), PolicyArguments.parse(EVACUATE, List.of("b", "0.5")));
        assertEquals(Map.of(), PolicyArguments.parse(EVACUATE, null));
    }

    @Test
    void aValueTooManyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PolicyArguments.parse(EVACUATE, List.of("b", "0.5", "extra")));
        assertTrue(e.getMessage().contains("'extra' is one value too many"), e.getMessage());
    }
}
