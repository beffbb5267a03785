package org.vmlab.shell.migration;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.shell.support.MigrationCompleter;

/** A migration: command about one migration, named by its first argument. */
abstract class OneMigrationAction implements Action {

    // Optional, so the bundle's other commands still register in a distribution without engines.
    @Reference(optional = true)
    MigrationService migrations;

    @Argument(index = 0, name = "id", required = true, description = "Migration id")
    @Completion(MigrationCompleter.class)
    String id;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    @Override
    public final Object execute() {
        Migrations.require(migrations);
        execute(migrations.find(id).orElseThrow(() -> new IllegalArgumentException("no migration '" + id + "'")));
        return null;
    }

    abstract void execute(Migration m);
}
