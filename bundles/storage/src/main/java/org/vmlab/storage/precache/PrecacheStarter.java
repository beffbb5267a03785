package org.vmlab.storage.precache;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.transport.RateLimiter;

/** What every strategy does to start: check the options, open the bitmap, reach the backup site once. */
final class PrecacheStarter {
    private PrecacheStarter() {
    }

    static PrecacheSession start(String strategy, List<Parameter> parameters, BlockDevice source,
                                 Endpoint backupSite, PrecacheOptions options,
                                 Function<ParameterValues, BlockPicker> picker) {
        ParameterValues v = ParameterSet.options(strategy, parameters).validate(options.parameters());
        String export = v.text(PrecacheParameters.EXPORT.name());
        String bitmapFile = v.text(PrecacheParameters.BITMAP.name());
        BlockBitmap cached = bitmapFile.isEmpty() ? BlockBitmap.inMemory(source.blockCount())
                : BlockBitmap.open(Path.of(bitmapFile), source.blockCount());
        BlockPicker p = picker.apply(v);
        java.util.function.Supplier<NbdClient> connector = () -> {
            try {
                NbdClient c = NbdClient.connect(backupSite.host(), backupSite.port(), export, List.of(), 64, 10_000);
                if (c.size() < source.sizeBytes()) {
                    c.close();
                    throw new VmlabException("the backup export '" + export + "' has " + c.size()
                            + " bytes, less than the disk's " + source.sizeBytes());
                }
                return c;
            } catch (IOException e) {
                throw new VmlabException("cannot reach the backup site " + backupSite.host() + ":"
                        + backupSite.port() + " (export '" + export + "'): " + e.getMessage(), e);
            }
        };
        if (p != null) {
            connector.get().close(); // fail fast when the backup site is not there at all
        }
        RateLimiter cap = options.wanRate().isUnlimited() ? RateLimiter.unlimited() : new RateLimiter(options.wanRate());
        return new PrecacheRun(source, new PrecacheState(cached, System.currentTimeMillis()), p, connector, cap,
                options.interval().toMillis(), strategy + "-" + backupSite.port());
    }
}
