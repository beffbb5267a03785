package org.vmlab.shell.pagecache;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.vmlab.api.pagecache.Detection;
import org.vmlab.api.pagecache.PageCacheService;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.VmCompleter;
import org.vmlab.shell.support.VmViews;

/** What the pagecache: commands share: the VM argument, --json, the service. */
abstract class PageCacheAction implements Action {
    // Optional, so the shell bundle's other commands register in a distribution without pagecache.
    @Reference(optional = true)
    PageCacheService pageCache;

    @Reference
    VmDirectory directory;

    @Argument(index = 0, name = "vm", required = true, description = "VM id")
    @Completion(VmCompleter.class)
    String id;

    @Option(name = "--json", description = "Print one JSON value")
    boolean json;

    @Override
    public final Object execute() {
        if (pageCache == null) {
            throw new IllegalArgumentException("the vmlab-pagecache feature is not installed");
        }
        Vm vm = VmViews.find(directory, id);
        execute(vm);
        return null;
    }

    abstract void execute(Vm vm);

    void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }

    static Object summary(Detection d) {
        return Json.object("detector", d.detector(), "supported", d.isSupported(),
                "unsupportedReason", d.unsupportedReason(), "restorablePages", d.map().size(),
                "restorableBytes", d.map().size() * 4096L, "detectionMillis", d.detectionMillis(),
                "guestCleanPages", d.guestCleanPages(), "wrongEntries", d.wrongEntries());
    }
}
