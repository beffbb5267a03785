package org.vmlab.shell.migration;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.MigrationCompleter;

@Service
@Command(scope = "migration", name = "cancel", description = "Cancels a running migration; the source VM keeps running.")
public class MigrationCancelCommand implements Action {

    // Optional, so the bundle's other commands still register in a distribution without engines.
    @Reference(optional = true)
    MigrationService migrations;

    @Argument(index = 0, name = "id", required = true, description = "Migration id")
    @Completion(MigrationCompleter.class)
    String id;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    @Override
    public Object execute() {
        Migrations.require(migrations);
        Migration m = migrations.find(id).orElseThrow(() -> new IllegalArgumentException("no migration '" + id + "'"));
        if (m.status().isFinal()) {
            throw new IllegalStateException("migration " + id + " has already ended (" + m.status().name().toLowerCase() + ")");
        }
        m.cancel();
        System.out.println(json ? Json.write(Json.object("id", id, "cancelled", true)) : "Cancelling " + id);
        return null;
    }
}
