package org.vmlab.shell.migration;

import org.vmlab.api.migration.MigrationService;

/** The migration commands' common precondition. */
final class Migrations {
    private Migrations() {
    }

    static void require(MigrationService service) {
        if (service == null) {
            throw new IllegalStateException("live migration is not installed here (feature:install vmlab-engines)");
        }
    }
}
