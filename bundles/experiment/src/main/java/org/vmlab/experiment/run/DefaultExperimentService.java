package org.vmlab.experiment.run;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.experiment.ExperimentListener;
import org.vmlab.api.experiment.ExperimentPlan;
import org.vmlab.api.experiment.ExperimentResult;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.api.experiment.ExperimentSummary;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.experiment.plan.CheckedSpec;
import org.vmlab.experiment.plan.Installed;
import org.vmlab.experiment.plan.PlanChecker;
import org.vmlab.experiment.spec.SpecReader;
import org.vmlab.experiment.store.JsonFiles;
import org.vmlab.experiment.store.ResultStore;
import org.vmlab.experiment.store.ResultStore.RunFolder;
import org.vmlab.experiment.store.StoredResult;

/**
 * The experiment service: checks specs against what is installed, runs them one experiment at a
 * time (two at once would measure each other), and reads results back from disk.
 */
@Component(service = ExperimentService.class, configurationPid = "org.vmlab.experiment")
@Designate(ocd = ExperimentConfig.class)
public final class DefaultExperimentService implements ExperimentService {
    private final VmDirectory directory;
    private final ProviderCatalog catalog;
    private final BundleContext context;
    private final ResultStore store;
    private final Map<String, ExperimentAction> actions = new ConcurrentHashMap<>();
    private final AtomicReference<String> running = new AtomicReference<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MigrationService migrations;

    @Activate
    public DefaultExperimentService(@Reference VmDirectory directory, @Reference ProviderCatalog catalog,
                                    BundleContext context, ExperimentConfig config) {
        this.directory = directory;
        this.catalog = catalog;
        this.context = context;
        String home = context.getProperty("karaf.home");
        Path dir = Path.of(config.resultsDir());
        this.store = new ResultStore(dir.isAbsolute() || home == null ? dir : Path.of(home).resolve(dir));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addAction(ExperimentAction action, Map<String, Object> properties) {
        Object name = properties.get(ProviderProperties.NAME);
        if (name != null) {
            actions.putIfAbsent(name.toString(), action);
        }
    }

    void removeAction(ExperimentAction action, Map<String, Object> properties) {
        Object name = properties.get(ProviderProperties.NAME);
        if (name != null) {
            actions.remove(name.toString(), action);
        }
    }

    @Override
    public ExperimentPlan plan(Path spec) {
        return check(spec).plan();
    }

    @Override
    public ExperimentResult run(Path spec, ExperimentListener listener) {
        CheckedSpec checked = check(spec);
        return exclusive(checked.plan().name(), () -> {
            RunFolder folder = store.create(checked, Instant.now());
            return run(checked, folder, listener);
        });
    }

    @Override
    public ExperimentResult resume(String runId, ExperimentListener listener) {
        RunFolder folder = store.open(runId).orElseThrow(() -> new VmlabException("no results '" + runId + "' under " + store.root()));
        Path stored = folder.dir().resolve(ResultStore.SPEC);
        CheckedSpec checked = new PlanChecker(installed()).check(new SpecReader().read(stored, stored.toString()));
        return exclusive(runId, () -> {
            if (checked.plan().runs().size() != folder.state().total()) {
                throw new VmlabException("the stored spec of " + runId + " now plans " + checked.plan().runs().size()
                        + " runs, not " + folder.state().total() + "; it cannot be resumed");
            }
            if (checked.plan().runs().stream().allMatch(folder::isDone)) {
                throw new VmlabException(runId + " has no run left to do");
            }
            return run(checked, folder, listener);
        });
    }

    @Override
    public List<ExperimentSummary> results() {
        return store.list();
    }

    @Override
    public Optional<ExperimentResult> result(String runId) {
        Optional<RunFolder> folder = store.open(runId);
        if (folder.isEmpty()) {
            return Optional.empty();
        }
        try {
            ExperimentSummary summary = folder.get().summary();
            Path file = folder.get().dir().resolve(StoredResult.FILE);
            if (!java.nio.file.Files.isRegularFile(file)) {
                return Optional.of(new ExperimentResult(summary, "", List.of(), List.of(), List.of(), List.of()));
            }
            return Optional.of(toResult(summary, JsonFiles.read(file, StoredResult.class)));
        } catch (IOException e) {
            throw new VmlabException("cannot read the results of " + runId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Path resultsRoot() {
        return store.root();
    }

    private CheckedSpec check(Path spec) {
        return new PlanChecker(installed()).check(new SpecReader().read(spec, spec.toString()));
    }

    private Installed installed() {
        return new Installed(directory.backends(), catalog, actions);
    }

    private ExperimentResult run(CheckedSpec checked, RunFolder folder, ExperimentListener listener) throws IOException {
        RunExecutor executor = new RunExecutor(directory, migrations, actions);
        StoredResult r = new ExperimentRunner(executor, new Provenance(this::vmlabBundles, catalog)).run(checked, folder, listener);
        return toResult(folder.summary(), r);
    }

    private interface Body {
        ExperimentResult call() throws IOException;
    }

    private ExperimentResult exclusive(String what, Body body) {
        if (!running.compareAndSet(null, what)) {
            throw new VmlabException("an experiment is already running here (" + running.get() + "); one at a time, so they do not measure each other");
        }
        try {
            return body.call();
        } catch (IOException e) {
            throw new VmlabException("cannot write results under " + store.root() + ": " + e.getMessage(), e);
        } finally {
            running.set(null);
        }
    }

    private static ExperimentResult toResult(ExperimentSummary summary, StoredResult r) {
        return new ExperimentResult(summary, r.baseline(), r.table(), r.claims(), r.failures(), r.files().stream().map(Path::of).toList());
    }

    private Map<String, String> vmlabBundles() {
        Map<String, String> out = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName() != null && b.getSymbolicName().startsWith("org.vmlab")) {
                out.put(b.getSymbolicName(), b.getVersion().toString());
            }
        }
        return out;
    }
}
