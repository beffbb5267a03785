package org.vmlab.storage.precache;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.api.storage.StoragePrecacher;

/** The baseline: sends nothing, so an evacuation moves the whole disk. */
@Component(property = {"vmlab.family=storage", "vmlab.name=none",
        "vmlab.description=No pre-caching (the baseline): an evacuation moves the whole disk"})
public final class NonePrecacher implements StoragePrecacher {

    @Override
    public List<Parameter> options() {
        return PrecacheParameters.COMMON;
    }

    @Override
    public PrecacheSession start(BlockDevice source, Endpoint backupSite, PrecacheOptions options) {
        return PrecacheStarter.start("none", options(), source, backupSite, options, v -> null);
    }
}
