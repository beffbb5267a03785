package org.vmlab.engines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.storage.IncomingDisks;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.VmSpec;

/**
 * Migration with storage, as far as engines see it: plan options naming where the disk comes
 * from, carried to the destination as an {@link IncomingDisks#DEVICE_TYPE} device in the spec, so
 * its backend opens a copy-on-read disk instead of the image path (which is the source's).
 */
final class StorageHandoff {
    static final Parameter SOURCE = Parameter.text("storage-source", null,
            "with storage: host:port/export of the source's NBD export of the disk (set by migration:start --with-storage)");
    static final Parameter IMAGE = Parameter.text("storage-image", null,
            "with storage: the disk image at the destination");
    static final Parameter BITMAP = Parameter.text("storage-bitmap", null,
            "with storage: at the destination, the bitmap of blocks the image holds already (a pre-cache's)");
    static final List<Parameter> OPTIONS = List.of(SOURCE, IMAGE, BITMAP);

    private StorageHandoff() {
    }

    /** The spec the destination gets: the VM's, plus the disk's source if the plan moves storage. */
    static VmSpec spec(VmSpec spec, MigrationPlan plan) {
        String source = plan.options().get(SOURCE.name());
        if (source == null) {
            return spec;
        }
        Map<String, String> p = new LinkedHashMap<>();
        p.put("source", source);
        p.put("image", plan.options().getOrDefault(IMAGE.name(), String.valueOf(spec.diskImage())));
        String bitmap = plan.options().get(BITMAP.name());
        if (bitmap != null) {
            p.put("bitmap", bitmap);
        }
        p.put("verify", Boolean.toString(plan.verify()));
        p.put("migration", plan.id());
        List<DeviceSpec> devices = new ArrayList<>(spec.devices().stream()
                .filter(d -> !IncomingDisks.DEVICE_TYPE.equals(d.type())).toList());
        devices.add(new DeviceSpec("storage-source", IncomingDisks.DEVICE_TYPE, false, p));
        return new VmSpec(spec.name(), spec.backend(), spec.memoryBytes(), spec.vcpus(), spec.diskImage(),
                spec.diskBytes(), spec.workload(), spec.workloadParameters(), devices);
    }
}
