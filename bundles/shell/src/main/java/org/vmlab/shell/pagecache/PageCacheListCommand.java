package org.vmlab.shell.pagecache;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.ByteSize;
import org.vmlab.api.pagecache.Detection;
import org.vmlab.api.vm.Vm;

@Service
@Command(scope = "pagecache", name = "list", description = "Runs every page-cache detector on a VM: whether it can track it, "
        + "the restorable pages it finds, how long that took, and entries that do not match the disk.")
public class PageCacheListCommand extends PageCacheAction {

    @Override
    void execute(Vm vm) {
        List<Detection> all = pageCache.detectAll(vm);
        StringBuilder text = new StringBuilder(String.format("%-14s %12s %10s %10s %8s  %s%n", "DETECTOR", "RESTORABLE",
                "SIZE", "TIME ms", "WRONG", "NOTE"));
        for (Detection d : all) {
            text.append(d.isSupported()
                    ? String.format("%-14s %12d %10s %10d %8s  guest OS knows %s clean pages%n", d.detector(),
                            d.map().size(), new ByteSize(d.map().size() * 4096L), d.detectionMillis(),
                            d.wrongEntries() < 0 ? "?" : d.wrongEntries(),
                            d.guestCleanPages() < 0 ? "?" : d.guestCleanPages())
                    : String.format("%-14s %12s %10s %10s %8s  %s%n", d.detector(), "-", "-", "-", "-",
                            d.unsupportedReason()));
        }
        print(all.stream().map(PageCacheAction::summary).toList(), text.toString().stripTrailing());
    }
}
