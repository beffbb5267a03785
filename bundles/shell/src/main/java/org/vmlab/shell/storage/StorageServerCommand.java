package org.vmlab.shell.storage;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.storage.ExportInfo;
import org.vmlab.api.storage.NbdServerStatus;

@Service
@Command(scope = "storage", name = "server", description = "Shows this node's NBD server (etc/org.vmlab.storage.cfg): "
        + "where it listens, its exports with how much of each is held locally, and its counters.")
public class StorageServerCommand extends StorageAction {

    @Override
    public Object execute() {
        NbdServerStatus s = storage().server();
        if (json) {
            print(s, null);
            return null;
        }
        System.out.printf("NBD server on %s:%d (nbd://%s:%d/EXPORT): %d connections (%d open), %d requests, %s read,"
                        + " %s written, %d errors%n", s.host(), s.port(), s.host(), s.port(), s.connections(), s.active(),
                s.requests(), mib(s.bytesRead()), mib(s.bytesWritten()), s.errors());
        if (s.exports().isEmpty()) {
            System.out.println("No exports (storage:export NAME IMAGE, or exports= in etc/org.vmlab.storage.cfg).");
            return null;
        }
        ShellTable t = new ShellTable();
        for (String c : List.of("Export", "Image", "Size", "Mode", "Blocks here", "Of")) {
            t.column(c);
        }
        for (ExportInfo e : s.exports()) {
            t.addRow().addContent(e.name(), e.image(), mib(e.sizeBytes()), e.readOnly() ? "ro" : "rw", e.blocksCached(),
                    e.blocksTotal());
        }
        t.print(System.out);
        return null;
    }
}
