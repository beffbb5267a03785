package org.vmlab.shell.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vmlab.shell.support.FakeCatalog;
import org.vmlab.shell.support.Stdout;

class VmCreateHelpTest {
    private static VmCreateCommand command(String... params) {
        VmCreateCommand c = new VmCreateCommand();
        c.catalog = FakeCatalog.standard();
        c.params = List.of(params);
        return c;
    }

    @Test
    void paramHelpListsTheWorkloadGiven() throws Exception {
        VmCreateCommand c = command("help");
        c.workload = "memory";
        String out = Stdout.of(c::execute);
        assertTrue(out.startsWith("Parameters of workload 'memory' (vm:create --param name=value):"), out);
        assertTrue(out.contains("working-set"), out);
        assertTrue(out.contains("size 4 KiB..1 TiB"), out);
        assertTrue(!out.contains("idle"), out);
    }

    @Test
    void paramHelpWithoutAWorkloadListsEveryWorkload() throws Exception {
        String out = Stdout.of(command("help")::execute);
        assertTrue(out.contains("Parameters of workload 'memory'"), out);
        assertTrue(out.contains("Workload 'idle' takes no parameters."), out);
    }

    @Test
    void anUnknownWorkloadIsNamed() {
        VmCreateCommand c = command("help");
        c.workload = "web";
        Exception e = assertThrows(IllegalArgumentException.class, c::execute);
        assertEquals("no workload 'web'; workloads: memory, idle", e.getMessage());
    }

    @Test
    void withoutHelpTheNameIsRequired() {
        Exception e = assertThrows(IllegalArgumentException.class, command("rate=1M")::execute);
        assertTrue(e.getMessage().startsWith("vm:create needs a name for the VM"), e.getMessage());
    }
}
