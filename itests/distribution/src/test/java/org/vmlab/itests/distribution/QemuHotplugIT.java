package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * device:attach/list/detach on a real QEMU guest through bin/vmlab (issue 15): the shell picks the
 * qemu hotplug provider for a qemu VM, ivshmem goes in over QMP with PCIe hotplug, vmlab refuses
 * to snapshot or migrate the VM while it is there, and allows it once it is detached. Skipped, with
 * one line saying why, where QEMU or the guest image is missing.
 */
@Timeout(300)
class QemuHotplugIT {
    private static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        Path image = Distribution.assumeQemuGuest();
        dist = ShellCalls.unpack("dist-it-qemu-hotplug");
        Files.writeString(dist.home.resolve("etc/org.vmlab.qemu.cfg"), "imageDir = " + image + "\n");
    }

    @AfterAll
    static void stop() throws Exception {
        ShellCalls.close(dist);
    }

    @Test
    void ivshmemHotplugOnAQemuGuestThroughTheShell() throws Exception {
        ShellCalls.json(dist, "vm:create", "--backend", "qemu", "--memory", "256M", "--vcpus", "1", "--json", "qh");
        Path fabric = dist.home.resolve("data/qemu-fabric");
        JsonNode a = ShellCalls.json(dist, "device:attach", "--type", "ivshmem", "--passthrough", "--property",
                "path=" + fabric, "--property", "size=2M", "--json", "qh", "ib0");
        assertEquals("ivshmem", a.get("type").asText(), a.toString());
        System.out.println("qemu device:attach ib0: " + a.get("millis").asLong() + " ms");
        assertEquals(2L << 20, Files.size(fabric));
        JsonNode listed = ShellCalls.json(dist, "device:list", "--json", "qh").get("devices").get(0);
        assertEquals("ib0", listed.get("device").asText());
        assertTrue(listed.get("attached").asBoolean(), listed.toString());

        ShellCalls.oneLineError(dist.vmlab("vm:snapshot", "qh", dist.home.resolve("data/qh.snap").toString()), "'ib0'");
        ShellCalls.oneLineError(dist.vmlab("migration:start", "--engine", "precopy", "qh"), "'ib0'");
        ShellCalls.oneLineError(dist.vmlab("device:attach", "--type", "gpu", "--passthrough", "qh", "gpu0"), "ivshmem");

        // SymVirt on one QEMU guest: detach, vmlab's precopy, attach at the destination.
        JsonNode moved = ShellCalls.json(dist, "job:migrate", "--engine", "precopy", "--json", "qh");
        List<String> phases = phases(moved);
        assertTrue(phases.containsAll(List.of("detach", "migrate", "attach")), phases.toString());
        assertEquals("completed", moved.get("migrations").get(0).get("status").asText(), moved.toString());
        String vm = moved.get("vms").get(0).asText();
        System.out.println("qemu job:migrate of " + vm + " completed");
        JsonNode there = ShellCalls.json(dist, "device:list", "--json", vm).get("devices").get(0);
        assertTrue(there.get("attached").asBoolean(), "ib0 attached again at the destination: " + there);

        // A coordinated checkpoint (device detached for it), then a restart from it.
        Path cp = dist.home.resolve("data/qemu-cp");
        JsonNode checkpoint = ShellCalls.json(dist, "job:checkpoint", "--json", cp.toString(), vm);
        assertTrue(phases(checkpoint).containsAll(List.of("detach", "checkpoint", "attach")), checkpoint.toString());
        JsonNode restarted = ShellCalls.json(dist, "job:restart", "--json", cp.toString());
        assertTrue(phases(restarted).containsAll(List.of("restore", "attach", "resume")), restarted.toString());
        vm = restarted.get("vms").get(0).asText();
        JsonNode back = ShellCalls.json(dist, "device:list", "--json", vm).get("devices").get(0);
        assertTrue(back.get("attached").asBoolean(), "ib0 attached again after the restart: " + back);

        JsonNode d = ShellCalls.json(dist, "device:detach", "--json", vm, "ib0");
        assertTrue(d.get("millis").asLong() >= 0, d.toString());
        System.out.println("qemu device:detach ib0: " + d.get("millis").asLong() + " ms");
        assertFalse(ShellCalls.json(dist, "device:list", "--json", vm).get("devices").elements().hasNext(),
                "no device after the detach");
        ShellCalls.oneLineError(dist.vmlab("device:detach", vm, "ib0"), "ib0");
        assertEquals(0, dist.vmlab("vm:destroy", vm).exit());
    }

    /** The report's phases, each printed with its time. */
    private static List<String> phases(JsonNode report) {
        List<String> phases = new ArrayList<>();
        report.get("phases").forEach(p -> {
            phases.add(p.get("phase").asText());
            System.out.printf("qemu job %s %s: %d ms%n", p.get("phase").asText(), p.get("vmId").asText(),
                    p.get("durationMs").asLong());
        });
        return phases;
    }
}
