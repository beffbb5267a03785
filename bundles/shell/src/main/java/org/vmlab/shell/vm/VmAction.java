package org.vmlab.shell.vm;

import java.nio.file.Path;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Session;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.shell.support.ClientPaths;
import org.vmlab.shell.support.Json;

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
        return directory.find(id).orElseThrow(() -> new IllegalArgumentException("no VM '" + id + "'"
                + (directory.vms().isEmpty() ? "; there are no VMs" : "; VMs: "
                        + directory.vms().stream().map(Vm::id).collect(Collectors.joining(", ")))));
    }

    void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }
}
