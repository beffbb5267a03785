package org.vmlab.tiering;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiering service with a fixed calibration: tests do not spend seconds measuring the host. */
final class TieringTestSupport {
    private TieringTestSupport() {
    }

    static DefaultTieringService service(Path dir, long rebalanceMillis) throws IOException {
        Path cal = dir.resolve("calibration.properties");
        Files.writeString(cal, String.join("\n", "clockNanos=700", "spinOvershootNanos=20", "paymentNanos=0",
                "hostReadNanos=100", "hostWriteBackNanos=100", "bufferBytes=67108864", "measuredAtMillis=0",
                "host=test") + "\n");
        DefaultTieringService s = new DefaultTieringService(new TieringSettings(dir.resolve("memory"), cal, 10_000,
                rebalanceMillis));
        s.registerPolicy("static", new StaticPolicy());
        s.registerPolicy("first-touch", new FirstTouchPolicy());
        s.registerPolicy("hot-cold", new HotColdPolicy());
        return s;
    }
}
