package org.vmlab.storage.precache;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.api.storage.StoragePrecacher;

/** Copies the whole disk in the background, then every block the VM writes (DRBD protocol A). */
@Component(property = {"vmlab.family=storage", "vmlab.name=all", "service.ranking:Integer=10",
        "vmlab.description=Full background copy of the disk, then every written block again as it is written"
                + " (like DRBD protocol A)"})
public final class AllPrecacher implements StoragePrecacher {

    @Override
    public List<Parameter> options() {
        return PrecacheParameters.COMMON;
    }

    @Override
    public PrecacheSession start(BlockDevice source, Endpoint backupSite, PrecacheOptions options) {
        return PrecacheStarter.start("all", options(), source, backupSite, options, v -> new SequentialPicker());
    }
}
