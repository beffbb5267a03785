package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsService;

/** Completes the ids of the running key-value servers. */
@Service
public class KvsServerCompleter implements Completer {
    @Reference(optional = true)
    KvsService kvs;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        List<String> ids = kvs == null ? List.of() : kvs.servers().stream().map(KvsServer::id).toList();
        return new StringsCompleter(ids).complete(session, commandLine, candidates);
    }
}
