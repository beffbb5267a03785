package org.vmlab.emu;

import java.nio.file.Path;

import org.vmlab.api.storage.IncomingDisks;
import org.vmlab.api.vm.VmSpec;

/** Whether an incoming VM's spec brings its disk from the source (storage migration). */
final class IncomingDiskSource {
    private IncomingDiskSource() {
    }

    static boolean named(VmSpec spec) {
        return spec.diskImage() != null
                && spec.devices().stream().anyMatch(d -> IncomingDisks.DEVICE_TYPE.equals(d.type()));
    }

    /** The spec without its image, so the backend's own disk plan leaves the image path alone. */
    static VmSpec withoutImage(VmSpec spec) {
        return new VmSpec(spec.name(), spec.backend(), spec.memoryBytes(), spec.vcpus(), null, 0, spec.workload(),
                spec.workloadParameters(), spec.devices());
    }

    /** The spec the VM keeps once here: its disk is the local image now, without a source device. */
    static VmSpec settled(VmSpec spec) {
        Path image = spec.devices().stream().filter(d -> IncomingDisks.DEVICE_TYPE.equals(d.type()))
                .map(d -> d.properties().get("image")).filter(i -> i != null).map(Path::of).findFirst()
                .orElse(spec.diskImage());
        return new VmSpec(spec.name(), spec.backend(), spec.memoryBytes(), spec.vcpus(), image,
                spec.diskBytes(), spec.workload(), spec.workloadParameters(), spec.devices().stream()
                .filter(d -> !IncomingDisks.DEVICE_TYPE.equals(d.type())).toList());
    }
}
