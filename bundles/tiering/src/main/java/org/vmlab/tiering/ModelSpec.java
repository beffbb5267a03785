package org.vmlab.tiering;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vmlab.api.ByteSize;
import org.vmlab.api.tiering.TierModel;

/**
 * Reads a tier model from text: a preset name, a preset with changes ({@code pcm:write=1500ns}),
 * or figures alone ({@code read=300ns,write=900ns,read-bw=10G,write-bw=2G}).
 */
final class ModelSpec {
    private static final Pattern LATENCY = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs)?");

    private ModelSpec() {
    }

    static TierModel parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no tier model given; presets: " + TierPresets.names());
        }
        String s = spec.trim().toLowerCase(Locale.ROOT);
        String base = s;
        String changes = "";
        int colon = s.indexOf(':');
        if (colon >= 0) {
            base = s.substring(0, colon);
            changes = s.substring(colon + 1);
        } else if (s.contains("=")) {
            base = "";
            changes = s;
        }
        TierModel m;
        if (base.isEmpty()) {
            m = new TierModel("custom", 0, 0, 0, 0, 64, 256, "figures given on the command line");
        } else {
            Optional<TierModel> preset = TierPresets.find(base);
            if (preset.isEmpty()) {
                throw new IllegalArgumentException("unknown tier model '" + base + "'; presets: " + TierPresets.names()
                        + ", or figures such as read=300ns,write=900ns,read-bw=10G,write-bw=2G");
            }
            m = preset.get();
        }
        if (changes.isEmpty()) {
            return m;
        }
        long read = m.readLatencyNanos();
        long write = m.writeLatencyNanos();
        long readBw = m.readBytesPerSecond();
        long writeBw = m.writeBytesPerSecond();
        int line = m.lineBytes();
        int block = m.mediaBlockBytes();
        for (String kv : changes.split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("tier model figures are key=value, not '" + kv + "' in '" + spec + "'");
            }
            String k = kv.substring(0, eq).trim();
            String v = kv.substring(eq + 1).trim();
            switch (k) {
                case "read" -> read = latency(v, spec);
                case "write" -> write = latency(v, spec);
                case "read-bw" -> readBw = bytes(v, spec);
                case "write-bw" -> writeBw = bytes(v, spec);
                case "line" -> line = (int) Math.min(Integer.MAX_VALUE, bytes(v, spec));
                case "block" -> block = (int) Math.min(Integer.MAX_VALUE, bytes(v, spec));
                default -> throw new IllegalArgumentException("unknown tier model figure '" + k + "' in '" + spec
                        + "'; known: read, write (ns), read-bw, write-bw (bytes/s, 0 = unlimited), line, block (bytes)");
            }
        }
        String name = base.isEmpty() ? "custom" : m.name() + "-custom";
        return new TierModel(name, read, write, readBw, writeBw, line, block, "from '" + spec.trim() + "'");
    }

    private static long latency(String v, String spec) {
        Matcher mm = LATENCY.matcher(v);
        if (!mm.matches()) {
            throw new IllegalArgumentException("bad latency '" + v + "' in '" + spec + "': use ns (300, 300ns) or us (1.2us)");
        }
        double n = Double.parseDouble(mm.group(1));
        return Math.round(mm.group(2) == null || mm.group(2).equals("ns") ? n : n * 1000);
    }

    private static long bytes(String v, String spec) {
        try {
            String t = v.endsWith("/s") ? v.substring(0, v.length() - 2) : v;
            return ByteSize.parse(t).bytes();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad size '" + v + "' in '" + spec + "' (examples: 256, 10G, 0)");
        }
    }
}
