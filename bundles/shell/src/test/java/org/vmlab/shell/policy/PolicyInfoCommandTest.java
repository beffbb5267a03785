package org.vmlab.shell.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vmlab.api.provider.Family;
import org.vmlab.shell.support.FakeCatalog;
import org.vmlab.shell.support.SettingViews;
import org.vmlab.shell.support.Stdout;

class PolicyInfoCommandTest {
    private static PolicyInfoCommand command(String family, String name) {
        PolicyInfoCommand c = new PolicyInfoCommand();
        c.catalog = FakeCatalog.standard();
        c.family = family;
        c.name = name;
        return c;
    }

    @Test
    void oneProviderWithItsSettings() throws Exception {
        String out = Stdout.of(command("engine", "precopy")::execute);
        assertTrue(out.startsWith("engine precopy (default): precopy does things\n"), out);
        assertTrue(out.contains("Options of engine 'precopy' (migration:start --option name=value):"), out);
        assertTrue(out.contains("auto-converge"), out);
        assertTrue(!out.contains("postcopy"), out);
    }

    @Test
    void everyProviderOfTheFamilyWithoutAName() throws Exception {
        String out = Stdout.of(command("workload", null)::execute);
        assertTrue(out.contains("Parameters of workload 'memory' (vm:create --param name=value):"), out);
        assertTrue(out.contains("Workload 'idle' takes no parameters."), out);
    }

    @Test
    void markdownIsTheFamilysTable() throws Exception {
        PolicyInfoCommand c = command("engine", null);
        c.markdown = true;
        FakeCatalog catalog = FakeCatalog.standard();
        assertEquals(SettingViews.markdown("engine", catalog.providers(Family.ENGINE)), Stdout.of(c::execute));
    }

    @Test
    void jsonIsOneObjectForANameAndAnArrayForAFamily() throws Exception {
        PolicyInfoCommand one = command("ordering", "spread");
        one.json = true;
        String out = Stdout.of(one::execute).strip();
        assertTrue(out.startsWith("{\"family\":\"ordering\",\"name\":\"spread\""), out);
        assertTrue(out.contains("\"settings\":[{\"name\":\"spread\",\"type\":\"number\""), out);
        PolicyInfoCommand all = command("ordering", null);
        all.json = true;
        assertTrue(Stdout.of(all::execute).startsWith("[{\"family\":\"ordering\",\"name\":\"sequential\""));
    }

    @Test
    void badArgumentsGetOneSentence() {
        assertTrue(assertThrows(IllegalArgumentException.class, command("nope", null)::execute).getMessage()
                .startsWith("unknown family 'nope'; families are: backend, workload, engine"));
        assertEquals("no engine 'nope'; engines: precopy, postcopy",
                assertThrows(IllegalArgumentException.class, command("engine", "nope")::execute).getMessage());
        PolicyInfoCommand both = command("engine", null);
        both.json = true;
        both.markdown = true;
        assertEquals("--json and --markdown exclude each other",
                assertThrows(IllegalArgumentException.class, both::execute).getMessage());
    }
}
