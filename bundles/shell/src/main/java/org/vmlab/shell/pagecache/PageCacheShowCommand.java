package org.vmlab.shell.pagecache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.ByteSize;
import org.vmlab.api.pagecache.Detection;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.DetectorCompleter;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "pagecache", name = "show", description = "Runs one page-cache detector on a VM and shows its map: "
        + "frame -> disk block, as runs of consecutive frames and blocks, and how long detection took.")
public class PageCacheShowCommand extends PageCacheAction {

    @Option(name = "--detector", aliases = "-d", required = true, description = "The page-cache detector to run")
    @Completion(DetectorCompleter.class)
    String detector;

    @Option(name = "--limit", description = "Most runs to print (default 20; --json prints all)")
    int limit = 20;

    @Override
    void execute(Vm vm) {
        Detection d = pageCache.detect(vm, detector);
        if (!d.isSupported()) {
            throw new IllegalArgumentException(d.detector() + " cannot track VM '" + vm.id() + "': " + d.unsupportedReason());
        }
        List<long[]> runs = runs(d);
        Map<String, Object> head = Json.object("detector", d.detector(), "vm", vm.id(), "restorablePages", d.map().size(),
                "detectionMillis", d.detectionMillis(), "guestCleanPages", d.guestCleanPages(),
                "wrongEntries", d.wrongEntries(), "runs", runs.stream().map(r -> Json.object(
                        "firstFrame", r[0], "firstBlock", r[1], "pages", r[2])).toList());
        StringBuilder text = new StringBuilder(String.format("%s on %s: %d restorable pages (%s) in %d runs, found in %d ms;"
                        + " %s wrong entries; the guest OS knows %s clean pages%n%12s %12s %8s%n", d.detector(), vm.id(),
                d.map().size(), new ByteSize(d.map().size() * 4096L), runs.size(), d.detectionMillis(),
                d.wrongEntries() < 0 ? "?" : d.wrongEntries(),
                d.guestCleanPages() < 0 ? "?" : d.guestCleanPages(), "FRAME", "BLOCK", "PAGES"));
        runs.stream().limit(Math.max(0, limit)).forEach(r -> text.append(String.format("%12d %12d %8d%n", r[0], r[1], r[2])));
        if (runs.size() > limit) {
            text.append("... ").append(runs.size() - limit).append(" more runs (--limit, --json)");
        }
        print(head, text.toString().stripTrailing());
    }

    /** Runs of (frame, block) that both go up by one: {first frame, first block, length}. */
    private static List<long[]> runs(Detection d) {
        List<long[]> runs = new ArrayList<>();
        long[] pfns = d.map().pfns();
        long[] blocks = d.map().blocks();
        for (int i = 0; i < pfns.length; i++) {
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && pfns[i] == last[0] + last[2] && blocks[i] == last[1] + last[2]) {
                last[2]++;
            } else {
                runs.add(new long[] {pfns[i], blocks[i], 1});
            }
        }
        return runs;
    }
}
