package org.vmlab.storage;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The PID {@code org.vmlab.storage} (etc/org.vmlab.storage.cfg). */
@ObjectClassDefinition(name = "vmlab storage", description = "The NBD server and where storage keeps its bitmaps")
public @interface StorageConfig {
    @AttributeDefinition(name = "Host", description = "Address the NBD server listens on (loopback unless you mean it)")
    String host() default "127.0.0.1";

    @AttributeDefinition(name = "Port", description = "NBD port; 0 for any free port")
    int port() default 10809;

    @AttributeDefinition(name = "Max connections", description = "Connections served at once; more are refused")
    int maxConnections() default 64;

    @AttributeDefinition(name = "Handshake timeout seconds",
            description = "A client that has not chosen an export after this long is dropped")
    int handshakeTimeoutSeconds() default 10;

    @AttributeDefinition(name = "Exports", description = "name=/path/image.raw, optionally followed by ;readonly or"
            + " ;cache (a backup site's cache with its bitmap in the data directory)")
    String[] exports() default {};

    @AttributeDefinition(name = "Data directory",
            description = "Where bitmaps are kept; empty for ${karaf.data}/vmlab/storage")
    String dataDir() default "";
}
