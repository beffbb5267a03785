package org.vmlab.shell.kvs;

import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.shell.support.KvsServerCompleter;

@Service
@Command(scope = "kvs", name = "stop", description = "Stops a key-value server: closes its port and connections and frees its memory.")
public class KvsStopCommand extends KvsAction {

    @Argument(index = 0, name = "server", required = true, description = "Server id")
    @Completion(KvsServerCompleter.class)
    String id;

    @Override
    public Object execute() {
        KvsServer s = server(id);
        s.close();
        print(Map.of("id", id, "stopped", true), "Stopped key-value server " + id);
        return null;
    }
}
