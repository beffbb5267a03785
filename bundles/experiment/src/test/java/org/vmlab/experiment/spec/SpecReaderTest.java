package org.vmlab.experiment.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.vmlab.experiment.Fakes;

class SpecReaderTest {
    private static final Path FILE = Path.of("s.yaml");

    private static Spec parse(String text) {
        return new SpecReader().parse(FILE, "s.yaml", text);
    }

    @Test
    void readsTheTopLevelAndKeepsTheTextVerbatim() {
        String text = Fakes.lines("name: demo", "repetitions: 3", "sweep:", "  ordering: [sequential, update-history]",
                "vms:", "  - {name: vm, memory: 64M}", "steps:", "  - wait: 1s");
        Spec s = parse(text);
        assertEquals("demo", s.top().name());
        assertEquals(3, s.top().repetitions());
        assertEquals(java.util.List.of("sequential", "update-history"), s.top().sweep().get("ordering"));
        assertEquals(text, s.text());
        assertEquals(6, s.locations().line("/vms/0/memory"));
        assertEquals(8, s.locations().line("/steps/0/wait"));
    }

    @Test
    void anUnknownFieldNamesItsLine() {
        SpecException e = assertThrows(SpecException.class, () -> parse(Fakes.lines("name: demo", "", "repetitons: 3")));
        assertTrue(e.getMessage().startsWith("s.yaml:3: repetitons: unknown field 'repetitons'"), e.getMessage());
    }

    @Test
    void aWrongTypeNamesLineAndField() {
        SpecException e = assertThrows(SpecException.class, () -> parse(Fakes.lines("name: demo", "repetitions: many")));
        assertTrue(e.getMessage().startsWith("s.yaml:2: repetitions: "), e.getMessage());
    }

    @Test
    void malformedYamlNamesItsLine() {
        SpecException e = assertThrows(SpecException.class, () -> parse(Fakes.lines("name: demo", "vms: [", "  {name: a", "steps: x")));
        assertTrue(e.getMessage().matches("s\\.yaml:\\d+: not valid YAML: .*"), e.getMessage());
    }

    @Test
    void aMissingFileIsOneLine() {
        SpecException e = assertThrows(SpecException.class, () -> new SpecReader().read(Path.of("/nonexistent/x.yaml"), "x.yaml"));
        assertEquals("x.yaml: no such file", e.getMessage());
    }

    @Test
    void fieldNamesReadLikeTheSpec() {
        assertEquals("steps[2].migrate.options.fault-mode", Locations.field("/steps/2/migrate/options/fault-mode"));
    }
}
