package org.vmlab.shell.vm;

import java.nio.file.Path;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Session;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.shell.support.ClientPaths;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.VmViews;

/** What every vm: command shares: the directory, --json, and looking a VM up by id. */
abstract class VmAction implements Action {
    @Reference
    VmDirectory directory;

    @Reference
    Session session;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    /** A file argument, relative to where bin/vmlab ran. */
    Path file(String name) {
        return ClientPaths.resolve(session, name);
    }

    Vm vm(String id) {
        return VmViews.find(directory, id);
    }

    void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }
}
