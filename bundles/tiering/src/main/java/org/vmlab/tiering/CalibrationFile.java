package org.vmlab.tiering;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

import org.vmlab.api.tiering.Calibration;

/** The stored calibration: a properties file, written whole through a temporary file. */
final class CalibrationFile {
    private final Path file;

    CalibrationFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** The stored calibration; empty if there is none or it cannot be read. */
    Optional<Calibration> load() {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
            return Optional.of(new Calibration(d(p, "clockNanos"), d(p, "spinOvershootNanos"), d(p, "paymentNanos"), d(p, "hostReadNanos"),
                    d(p, "hostWriteBackNanos"), Long.parseLong(p.getProperty("bufferBytes")),
                    Long.parseLong(p.getProperty("measuredAtMillis")), p.getProperty("host", "")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    void store(Calibration c) throws IOException {
        Properties p = new Properties();
        p.setProperty("clockNanos", Double.toString(c.clockNanos()));
        p.setProperty("spinOvershootNanos", Double.toString(c.spinOvershootNanos()));
        p.setProperty("paymentNanos", Double.toString(c.paymentNanos()));
        p.setProperty("hostReadNanos", Double.toString(c.hostReadNanos()));
        p.setProperty("hostWriteBackNanos", Double.toString(c.hostWriteBackNanos()));
        p.setProperty("bufferBytes", Long.toString(c.bufferBytes()));
        p.setProperty("measuredAtMillis", Long.toString(c.measuredAtMillis()));
        p.setProperty("host", c.host());
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "calibration", ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp)) {
            p.store(w, "vmlab tier:calibrate");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static double d(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("no " + key);
        }
        return Double.parseDouble(v);
    }
}
