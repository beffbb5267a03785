package org.vmlab.storage.precache;

import java.util.List;

import org.vmlab.api.parameter.Parameter;

/** The options every pre-caching strategy reads, described once for help, completion and validation. */
final class PrecacheParameters {
    private PrecacheParameters() {
    }

    static final Parameter EXPORT = Parameter.text("export", "backup",
            "the backup site's cache export that receives the blocks (storage:export --cache on that node)");
    static final Parameter BITMAP = Parameter.text("bitmap", "",
            "file holding which blocks the backup site has (kept across restarts); empty: none kept");
    static final Parameter QUIET = Parameter.duration("quiet", "5s",
            "recency: a written block is sent again only after this long without writes");

    static final List<Parameter> COMMON = List.of(EXPORT, BITMAP);
}
