package org.vmlab.shell.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vmlab.shell.support.FakeCatalog;
import org.vmlab.shell.support.Stdout;

class MigrationStartHelpTest {
    private static MigrationStartCommand command(String... options) {
        MigrationStartCommand c = new MigrationStartCommand();
        c.catalog = FakeCatalog.standard();
        c.options = List.of(options);
        return c; // no migration service and no VM: help needs neither
    }

    @Test
    void optionHelpListsTheDefaultEngineAndOrdering() throws Exception {
        String out = Stdout.of(command("help")::execute);
        assertTrue(out.startsWith("Options of engine 'precopy' (migration:start --option name=value):"), out);
        assertTrue(out.contains("switchover"), out);
        assertTrue(out.contains("converge|threshold"), out);
        assertTrue(out.contains("Ordering 'sequential' takes no options."), out);
    }

    @Test
    void optionHelpListsTheChosenEngineAndOrdering() throws Exception {
        MigrationStartCommand c = command("fault-mode=cooperative", "help");
        c.engine = "postcopy";
        c.ordering = "spread";
        String out = Stdout.of(c::execute);
        assertTrue(out.contains("Options of engine 'postcopy'"), out);
        assertTrue(out.contains("blocking|cooperative"), out);
        assertTrue(out.contains("Options of ordering 'spread'"), out);
        assertTrue(!out.contains("switchover"), out);
    }

    @Test
    void optionHelpAsJsonIsOneArrayOfTheTwoProviders() throws Exception {
        MigrationStartCommand c = command("help");
        c.json = true;
        String out = Stdout.of(c::execute).strip();
        assertTrue(out.startsWith("[{\"family\":\"engine\",\"name\":\"precopy\""), out);
        assertTrue(out.contains("{\"family\":\"ordering\",\"name\":\"sequential\""), out);
        assertTrue(out.contains("\"settings\":[{\"name\":\"switchover\",\"type\":\"choice\""), out);
        assertEquals(1, out.lines().count());
    }

    @Test
    void anUnknownEngineIsNamedWithWhatIsInstalled() {
        MigrationStartCommand c = command("help");
        c.engine = "nope";
        Exception e = assertThrows(IllegalArgumentException.class, c::execute);
        assertEquals("no engine 'nope'; engines: precopy, postcopy", e.getMessage());
    }

    @Test
    void withoutHelpTheVmIsRequired() {
        Exception e = assertThrows(IllegalArgumentException.class, command("stages=4")::execute);
        assertTrue(e.getMessage().startsWith("migration:start needs the VM to migrate"), e.getMessage());
    }
}
