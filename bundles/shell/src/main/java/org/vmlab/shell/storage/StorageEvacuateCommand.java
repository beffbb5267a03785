package org.vmlab.shell.storage;

import java.nio.file.Path;
import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.shell.support.DiskReports;
import org.vmlab.shell.support.NameValues;

@Service
@Command(scope = "storage", name = "evacuate", description = "Moves a disk to this node (run at the destination, "
        + "xNBD's proxy): it is served here at once as --export; pre-cached blocks (the --image and --bitmap a "
        + "pre-caching filled) are local, missing blocks are fetched from the source on first read with read-ahead, "
        + "and a background copy fills the rest; then the source is no longer needed. --verify compares the whole "
        + "disk with the source's.")
public class StorageEvacuateCommand extends StorageAction {

    @Option(name = "--from", description = "The source node's NBD server, HOST:PORT", required = true)
    String from;

    @Option(name = "--source-export", description = "The disk's export at the source (the VM's id)", required = true)
    String sourceExport;

    @Option(name = "--image", description = "The local image: the pre-cached copy, or a new file", required = true)
    @Completion(FileCompleter.class)
    String image;

    @Option(name = "--bitmap", description = "The local cache bitmap (default IMAGE.bitmap, as storage:export --cache)")
    @Completion(FileCompleter.class)
    String bitmap;

    @Option(name = "--export", description = "Name to serve the disk under here (default: --source-export)")
    String export;

    @Option(name = "--read-ahead", description = "Blocks fetched after a missing one that is read (default 16)")
    int readAhead = 16;

    @Option(name = "--streams", description = "NBD connections to the source, each pipelined (default 4)")
    int streams = 4;

    @Option(name = "--verify", description = "Compare the whole disk with the source's at the end")
    boolean verify;

    @Option(name = "--option", aliases = "-o", multiValued = true, description = "The emulated WAN to the source: "
            + "link-rate=100m, link-rtt=150ms, link-jitter=5ms, link-loss=0.01")
    @Completion(value = StringsCompleter.class, values = {"link-rate=", "link-rtt=", "link-jitter=", "link-loss="})
    List<String> options;

    @Override
    public Object execute() {
        EvacuationPlan plan = new EvacuationPlan(Endpoint.parse(from), sourceExport, Path.of(image),
                Path.of(bitmap != null ? bitmap : image + ".bitmap"), export != null ? export : sourceExport, readAhead,
                streams, verify, NameValues.parse("--option", options));
        EvacuationReport r = storage().evacuate(plan, this::progress);
        if (json) {
            print(r, null);
        } else {
            DiskReports.print("Evacuation", r, System.out);
        }
        if (!r.completed()) {
            throw new IllegalStateException("evacuation " + r.status());
        }
        return null;
    }
}
