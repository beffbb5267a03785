package org.vmlab.storage.precache;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.api.storage.StoragePrecacher;

/** Like {@code all}, but a written block waits until it has been quiet, so hot blocks are not re-sent at each write. */
@Component(property = {"vmlab.family=storage", "vmlab.name=recency", "service.ranking:Integer=20",
        "vmlab.description=Full background copy, then written blocks again once quiet for a while (hot blocks are"
                + " not re-sent at every write)"})
public final class RecencyPrecacher implements StoragePrecacher {

    @Override
    public List<Parameter> options() {
        List<Parameter> l = new ArrayList<>(PrecacheParameters.COMMON);
        l.add(PrecacheParameters.QUIET);
        return List.copyOf(l);
    }

    @Override
    public PrecacheSession start(BlockDevice source, Endpoint backupSite, PrecacheOptions options) {
        return PrecacheStarter.start("recency", options(), source, backupSite, options,
                v -> new RecencyPicker(Math.max(0, v.duration(PrecacheParameters.QUIET.name()).toSeconds())));
    }
}
