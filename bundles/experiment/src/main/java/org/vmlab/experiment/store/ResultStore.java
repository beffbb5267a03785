package org.vmlab.experiment.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ExperimentSummary;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.experiment.plan.CheckedSpec;

/**
 * The results root: one folder per run id, {@code <spec name>-<UTC date>-<time>}, holding
 * {@code spec.yaml} (the spec as run, verbatim), {@code plan.json}, {@code state.json},
 * {@code provenance.json}, {@code runs/<run>/} and, once aggregated, the table and plots.
 */
public final class ResultStore {
    public static final String SPEC = "spec.yaml";
    public static final String STATE = "state.json";
    public static final String PLAN = "plan.json";
    public static final String RUNS = "runs";
    public static final String RUN = "run.json";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final Path root;

    public ResultStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Makes a new run id's folder with the spec, plan and a running state. */
    public RunFolder create(CheckedSpec checked, Instant now) {
        try {
            Files.createDirectories(root);
            String base = checked.plan().name() + "-" + STAMP.format(now);
            Path dir = root.resolve(base);
            for (int n = 2; ; n++) {
                try {
                    Files.createDirectory(dir);
                    break;
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    dir = root.resolve(base + "-" + n);
                }
            }
            Files.writeString(dir.resolve(SPEC), checked.spec().text(), StandardCharsets.UTF_8);
            JsonFiles.write(dir.resolve(PLAN), checked.plan().runs());
            RunFolder f = new RunFolder(dir);
            f.writeState(new State(dir.getFileName().toString(), checked.plan().name(), checked.spec().label(),
                    State.RUNNING, checked.plan().runs().size(), now.toString(), null));
            return f;
        } catch (IOException e) {
            throw new VmlabException("cannot write results under " + root + ": " + e.getMessage(), e);
        }
    }

    /** The folder of an existing run id. */
    public Optional<RunFolder> open(String runId) {
        if (runId == null || !runId.matches("[A-Za-z0-9][A-Za-z0-9_.-]*") ) {
            return Optional.empty();
        }
        Path dir = root.resolve(runId);
        return Files.isRegularFile(dir.resolve(STATE)) ? Optional.of(new RunFolder(dir)) : Optional.empty();
    }

    /** Every run id, newest first. */
    public List<ExperimentSummary> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<ExperimentSummary> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(p -> Files.isRegularFile(p.resolve(STATE))).toList()) {
                try {
                    out.add(new RunFolder(d).summary());
                } catch (IOException | RuntimeException e) {
                    // a folder someone edited by hand: not listed rather than breaking the list
                }
            }
        } catch (IOException e) {
            throw new VmlabException("cannot list " + root + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(ExperimentSummary::started).reversed());
        return out;
    }

    /** One run id's folder. */
    public static final class RunFolder {
        private final Path dir;

        RunFolder(Path dir) {
            this.dir = dir;
        }

        public Path dir() {
            return dir;
        }

        public String runId() {
            return dir.getFileName().toString();
        }

        public State state() throws IOException {
            return JsonFiles.read(dir.resolve(STATE), State.class);
        }

        public void writeState(State s) throws IOException {
            JsonFiles.write(dir.resolve(STATE), s);
        }

        public Path runDir(PlannedRun run) {
            return dir.resolve(RUNS).resolve(run.folderName());
        }

        public boolean isDone(PlannedRun run) {
            return Files.isRegularFile(runDir(run).resolve(RUN));
        }

        /** An empty folder for {@code run}: what an unfinished earlier attempt left is removed. */
        public Path prepare(PlannedRun run) throws IOException {
            Path d = runDir(run);
            deleteTree(d);
            Files.createDirectories(d);
            return d;
        }

        public void writeRun(PlannedRun run, RunRecord record) throws IOException {
            JsonFiles.write(runDir(run).resolve(RUN), record);
        }

        /** The records of the finished runs, in plan order. */
        public List<RunRecord> runs() throws IOException {
            Path runs = dir.resolve(RUNS);
            if (!Files.isDirectory(runs)) {
                return List.of();
            }
            List<RunRecord> out = new ArrayList<>();
            try (Stream<Path> s = Files.list(runs)) {
                for (Path d : s.sorted().toList()) {
                    if (Files.isRegularFile(d.resolve(RUN))) {
                        out.add(JsonFiles.read(d.resolve(RUN), RunRecord.class));
                    }
                }
            }
            out.sort(Comparator.comparingInt(RunRecord::index));
            return out;
        }

        public ExperimentSummary summary() throws IOException {
            State s = state();
            return new ExperimentSummary(s.runId(), s.name(), s.status(), runs().size(), s.total(),
                    Instant.parse(s.started()), s.ended() == null ? null : Instant.parse(s.ended()), dir);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
