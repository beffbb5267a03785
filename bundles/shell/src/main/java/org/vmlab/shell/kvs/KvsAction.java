package org.vmlab.shell.kvs;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsService;
import org.vmlab.shell.support.Json;

/** What every kvs: command shares: the key-value service (optional) and --json. */
abstract class KvsAction implements Action {
    @Reference(optional = true)
    KvsService kvs;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    KvsService kvs() {
        if (kvs == null) {
            throw new IllegalStateException("the tiered key-value server is not installed (feature:install vmlab-kvs)");
        }
        return kvs;
    }

    KvsServer server(String id) {
        return kvs().server(id).orElseThrow(() -> new IllegalArgumentException("no key-value server '" + id + "'; running: "
                + (kvs().servers().isEmpty() ? "none" : String.join(", ", kvs().servers().stream().map(KvsServer::id).toList()))));
    }

    void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }
}
