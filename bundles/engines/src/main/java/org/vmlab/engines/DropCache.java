package org.vmlab.engines;

import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;

/**
 * The baseline page-cache teleportation is measured against: the guest drops its clean page
 * cache when the migration starts (Hines VEE'09, Koto APSys'12), so less memory moves but the
 * guest reads it from disk again afterwards.
 */
final class DropCache {
    private static final Logger LOG = LoggerFactory.getLogger(DropCache.class);
    static final String KEEP = "keep";
    static final String DROP = "drop";
    static final Parameter PAGE_CACHE = Parameter.choice("page-cache", KEEP,
            "keep: the page cache moves with memory (or by SAN reference with --detector); drop: the guest drops its"
                    + " clean page cache when the migration starts (the Hines/Koto baseline; later reads go to disk)",
            KEEP, DROP);

    private DropCache() {
    }

    /** Drops the guest's clean page cache if the plan asks; before dirty logging starts. */
    static void applyIfAsked(MigrationPlan plan, Vm vm) {
        Map<String, String> o = plan.options();
        if (!DROP.equals(o.get(PAGE_CACHE.name()))) {
            return;
        }
        if (plan.detector() != null) {
            throw new VmlabException("page-cache=drop and a page-cache detector exclude each other: drop the cache"
                    + " or send it by reference, not both");
        }
        long dropped = vm.guestOs().orElseThrow(() -> new VmlabException("page-cache=drop needs a guest OS the '"
                + vm.backend() + "' backend can see")).dropCleanCache();
        LOG.info("migration {}: the guest dropped {} clean page-cache pages", plan.id(), dropped);
    }
}
