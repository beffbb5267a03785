package org.vmlab.shell.tier;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.vmlab.api.tiering.TieringService;
import org.vmlab.shell.support.Json;

/** What every tier: command shares: the NVM emulator (optional, so other commands register without it) and --json. */
abstract class TierAction implements Action {
    @Reference(optional = true)
    TieringService tiering;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    TieringService tiering() {
        if (tiering == null) {
            throw new IllegalStateException("the NVM emulator is not installed (feature:install vmlab-tiering)");
        }
        return tiering;
    }

    void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }

    /** A progress line for people; nothing with --json, whose stdout is one object. */
    void progress(String line) {
        if (!json) {
            System.out.println("  " + line);
            System.out.flush();
        }
    }
}
