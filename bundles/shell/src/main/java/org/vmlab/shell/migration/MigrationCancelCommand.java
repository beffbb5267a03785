package org.vmlab.shell.migration;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.migration.Migration;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "migration", name = "cancel", description = "Cancels a running migration; the source VM keeps running.")
public class MigrationCancelCommand extends OneMigrationAction {

    @Override
    void execute(Migration m) {
        if (m.status().isFinal()) {
            throw new IllegalStateException("migration " + id + " has already ended (" + m.status().name().toLowerCase() + ")");
        }
        m.cancel();
        System.out.println(json ? Json.write(Json.object("id", id, "cancelled", true)) : "Cancelling " + id);
    }
}
