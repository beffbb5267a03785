package org.vmlab.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.vmlab.api.kvs.KvsServer;
import org.vmlab.kvs.DefaultKvsService;
import org.vmlab.tiering.DefaultTieringService;
import org.vmlab.tiering.TieringSettings;

/**
 * The tiered key-value server in a JVM of its own, as memcached runs in a process of its own:
 * {@code java ... KvsServerMain DATA_DIR key=value...} (kvs:start's options). Prints
 * "listening HOST:PORT" and serves until killed.
 */
public final class KvsServerMain {
    private KvsServerMain() {
    }

    public static void main(String[] args) throws Exception {
        DefaultTieringService tiering = new DefaultTieringService(TieringSettings.defaults(Path.of(args[0])));
        DefaultKvsService kvs = new DefaultKvsService(tiering);
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            options.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        KvsServer s = kvs.start("bench", options);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kvs.close();
            tiering.close();
        }));
        System.out.println("listening " + s.address().getHostString() + ":" + s.address().getPort());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
