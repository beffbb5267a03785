package org.vmlab.shell.migration;

import java.util.Locale;
import java.util.Map;

import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.shell.support.Json;

/** The one-line view of a migration that list and status share. */
final class MigrationViews {
    private MigrationViews() {
    }

    static Map<String, Object> summary(Migration m) {
        MigrationPlan p = m.plan();
        return Json.object("id", m.id(), "vm", p.vmId(), "status", m.status().name().toLowerCase(Locale.ROOT),
                "engine", p.engine(), "ordering", p.ordering(),
                "destination", p.destination() == null ? "local" : p.destination().host() + ":" + p.destination().port());
    }
}
