package org.vmlab.shell.storage;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.vmlab.api.storage.StorageService;
import org.vmlab.shell.support.CommandOutput;

/** What every storage: command shares: the storage service (optional, so the commands register without it) and --json. */
abstract class StorageAction implements Action {
    @Reference(optional = true)
    StorageService storage;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    StorageService storage() {
        if (storage == null) {
            throw new IllegalStateException("vmlab storage is not installed (feature:install vmlab-storage)");
        }
        return storage;
    }

    void print(Object jsonValue, String text) {
        new CommandOutput(json).print(jsonValue, text);
    }

    void progress(String line) {
        new CommandOutput(json).progress(line);
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
