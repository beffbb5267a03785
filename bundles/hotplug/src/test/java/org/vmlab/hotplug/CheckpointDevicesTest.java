package org.vmlab.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.vmlab.api.vm.DeviceSpec;

class CheckpointDevicesTest {

    @Test
    void hotPluggedDevicesSurviveTheManifestAndSpecDevicesAreAdded() throws Exception {
        DeviceSpec ib = new DeviceSpec("ib0", "ivshmem", true, Map.of("path", "/dev/shm/f", "size", "2M"));
        Properties written = new Properties();
        CheckpointDevices.write(written, "rank0", List.of(ib));
        StringWriter text = new StringWriter();
        written.store(text, null);
        Properties read = new Properties();
        read.load(new StringReader(text.toString()));

        DeviceSpec inSpec = new DeviceSpec("gpu0", "gpu", true, Map.of());
        DeviceSpec emulated = DeviceSpec.of("nic0", "nic");
        assertEquals(List.of(ib, inSpec), CheckpointDevices.read(read, "rank0", List.of(ib, inSpec, emulated)));
        assertEquals(List.of(inSpec), CheckpointDevices.read(read, "rank1", List.of(inSpec)));
    }
}
