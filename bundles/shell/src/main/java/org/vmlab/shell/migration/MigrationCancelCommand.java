package org.vmlab.shell.migration;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "migration", name = "cancel", description = "Cancels a running migration before its switchover; the source VM keeps running. A migration in postcopy cannot be cancelled.")
public class MigrationCancelCommand extends OneMigrationAction {

    @Override
    void execute(Migration m) {
        if (m.status().isFinal()) {
            throw new IllegalStateException("migration " + id + " has already ended (" + m.status().name().toLowerCase() + ")");
        }
        if (m.status() == MigrationStatus.POSTCOPY_ACTIVE) {
            throw new IllegalStateException("migration " + id + " is in postcopy: the VM already runs at the destination,"
                    + " so it cannot go back; the migration ends when every page has arrived");
        }
        m.cancel();
        System.out.println(json ? Json.write(Json.object("id", id, "cancelled", true)) : "Cancelling " + id);
    }
}
