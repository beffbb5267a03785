package org.vmlab.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.TimelineSample;

/**
 * The progress samples of running migrations, collected twice a second from
 * {@link Migration#progress()}, so a page opened in the middle of a migration still draws it from
 * its start. A finished migration's report has its whole timeline; the history keeps only the
 * migrations still running and the last few finished ones, each bounded.
 */
final class MigrationHistory implements AutoCloseable {
    static final int MAX_SAMPLES = 7200;
    static final int MAX_MIGRATIONS = 32;

    private final MigrationService migrations;
    private final Map<String, List<TimelineSample>> samples = new LinkedHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmlab-dashboard-history");
        t.setDaemon(true);
        return t;
    });

    MigrationHistory(MigrationService migrations) {
        this.migrations = migrations;
        timer.scheduleAtFixedRate(this::poll, 0, 500, TimeUnit.MILLISECONDS);
    }

    /** Records the latest sample of every running migration, if it is new. */
    synchronized void poll() {
        try {
            for (Migration m : migrations.migrations()) {
                if (m.status().isFinal()) {
                    continue;
                }
                m.progress().ifPresent(s -> {
                    List<TimelineSample> list = samples.computeIfAbsent(m.id(), k -> new ArrayList<>());
                    if ((list.isEmpty() || list.get(list.size() - 1).seconds() < s.seconds()) && list.size() < MAX_SAMPLES) {
                        list.add(s);
                    }
                });
            }
            while (samples.size() > MAX_MIGRATIONS) {
                samples.remove(samples.keySet().iterator().next());
            }
        } catch (RuntimeException e) {
            // a migration ending between listing and reading: the next poll sees it as it is
        }
    }

    /** The samples seen of one migration, oldest first. */
    synchronized List<TimelineSample> of(String id) {
        return List.copyOf(samples.getOrDefault(id, List.of()));
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
