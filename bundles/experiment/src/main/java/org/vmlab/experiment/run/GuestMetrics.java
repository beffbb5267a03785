package org.vmlab.experiment.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each VM's guest throughput in a few numbers: mean ops/s over the run, mean while a migration
 * ran (between a step's {@code .start} and {@code .end} marks), the lowest second, and mean
 * bytes/s.
 */
final class GuestMetrics {
    private GuestMetrics() {
    }

    static Map<String, Double> of(RunContext context, List<ThroughputSample> samples) {
        List<double[]> windows = new ArrayList<>();
        Map<String, Double> starts = new LinkedHashMap<>();
        for (RunContext.Mark m : context.marks()) {
            if (m.label().endsWith(".start")) {
                starts.put(m.label().substring(0, m.label().length() - 6), m.seconds());
            } else if (m.label().endsWith(".end")) {
                Double s = starts.remove(m.label().substring(0, m.label().length() - 4));
                if (s != null) {
                    windows.add(new double[] {s, m.seconds()});
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String vm : context.names().keySet()) {
            List<ThroughputSample> mine = samples.stream().filter(s -> s.vm().equals(vm)).toList();
            if (mine.isEmpty()) {
                continue;
            }
            out.put(vm + ".opsMean", mine.stream().mapToDouble(ThroughputSample::opsPerSecond).average().orElse(Double.NaN));
            out.put(vm + ".bytesMean", mine.stream().mapToDouble(ThroughputSample::bytesPerSecond).average().orElse(Double.NaN));
            out.put(vm + ".opsMin", mine.stream().mapToDouble(ThroughputSample::opsPerSecond).min().orElse(Double.NaN));
            // A sample covers the second before it: it counts if that second overlaps a migration.
            out.put(vm + ".opsMigrating", mine.stream()
                    .filter(s -> windows.stream().anyMatch(w -> s.seconds() > w[0] && s.seconds() - 1 < w[1]))
                    .mapToDouble(ThroughputSample::opsPerSecond).average().orElse(Double.NaN));
        }
        return out;
    }
}
