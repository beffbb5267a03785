package org.vmlab.shell.storage;

import java.nio.file.Path;
import java.util.Optional;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.vmlab.api.ByteSize;
import org.vmlab.api.storage.ExportInfo;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "storage", name = "export", description = "Serves an image file, or a VM's disk (--vm), over NBD. "
        + "--cache makes it a backup site's cache that pre-caching fills: writes mark blocks held, trims forget them, "
        + "and the vmlab:cached block-status context shows the bitmap.")
public class StorageExportCommand extends StorageAction {

    @Argument(index = 0, name = "name", description = "Export name (with --vm: default the VM's id)")
    String name;

    @Argument(index = 1, name = "image", description = "Raw image file")
    @Completion(FileCompleter.class)
    String image;

    @Option(name = "--vm", description = "Serve this VM's disk; its writes are seen by pre-caching")
    @Completion(VmCompleter.class)
    String vm;

    @Option(name = "--size", description = "Create (or grow) the image to this size, e.g. 8g")
    String size;

    @Option(name = "--cache", description = "A cache export with a bitmap (in the storage data directory, or --bitmap)")
    boolean cache;

    @Option(name = "--bitmap", description = "The cache bitmap file (implies --cache)")
    @Completion(FileCompleter.class)
    String bitmap;

    @Option(name = "--readonly", description = "Refuse writes (EPERM)")
    boolean readOnly;

    @Override
    public Object execute() {
        ExportInfo e;
        if (vm != null) {
            e = storage().exportVm(vm);
        } else {
            if (name == null || image == null) {
                throw new IllegalArgumentException("give NAME and IMAGE, or --vm VM");
            }
            long bytes = size == null ? 0 : ByteSize.parse(size).bytes();
            Optional<Path> bits = bitmap != null ? Optional.of(Path.of(bitmap))
                    : cache ? Optional.of(Path.of(image + ".bitmap")) : Optional.empty();
            e = storage().exportImage(name, Path.of(image), bytes, bits, readOnly);
        }
        var s = storage().server();
        print(e, String.format("Serving '%s' (%s, %s%s) at nbd://%s:%d/%s", e.name(), e.image(), mib(e.sizeBytes()),
                e.readOnly() ? ", read-only" : "", s.host(), s.port(), e.name()));
        return null;
    }
}
