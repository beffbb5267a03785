package org.vmlab.engines;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmState;

/**
 * Starts migrations, one thread each, with the engine, ordering policy and detector the plan
 * names (or the highest-ranked of the family), and keeps them for listing after they end. A
 * migration holds the provider instances it started with, so removing a provider meanwhile does
 * not disturb it.
 */
@Component(service = MigrationService.class)
public final class DefaultMigrationService implements MigrationService {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultMigrationService.class);

    private record Provider<T>(String name, int ranking, long order, T instance) {
    }

    private final AtomicLong order = new AtomicLong();
    private final List<Provider<TransferEngine>> engines = new CopyOnWriteArrayList<>();
    private final List<Provider<OrderingPolicy>> orderings = new CopyOnWriteArrayList<>();
    private final List<Provider<PageCacheDetector>> detectors = new CopyOnWriteArrayList<>();
    private final Map<String, Running> migrations = new ConcurrentHashMap<>();
    private final List<Running> inOrder = new CopyOnWriteArrayList<>();
    private final ExecutorService pool;

    @Reference
    private volatile VmDirectory directory;

    /** For DS. */
    public DefaultMigrationService() {
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vmlab-migration-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Outside OSGi; add providers with {@link #addEngine} and {@link #addOrdering}. */
    public DefaultMigrationService(VmDirectory directory) {
        this();
        this.directory = directory;
    }

    @Deactivate
    void deactivate() {
        for (Running r : inOrder) {
            r.cancel();
        }
        pool.shutdown();
    }

    public void addEngine(String name, int ranking, TransferEngine engine) {
        engines.add(new Provider<>(name, ranking, order.incrementAndGet(), engine));
    }

    public void removeEngine(TransferEngine engine) {
        engines.removeIf(p -> p.instance == engine);
    }

    public void addOrdering(String name, int ranking, OrderingPolicy policy) {
        orderings.add(new Provider<>(name, ranking, order.incrementAndGet(), policy));
    }

    public void removeOrdering(OrderingPolicy policy) {
        orderings.removeIf(p -> p.instance == policy);
    }

    public void addDetector(String name, int ranking, PageCacheDetector detector) {
        detectors.add(new Provider<>(name, ranking, order.incrementAndGet(), detector));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindEngine(TransferEngine engine, Map<String, Object> props) {
        addEngine(name(props), ranking(props), engine);
    }

    void unbindEngine(TransferEngine engine) {
        removeEngine(engine);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindOrdering(OrderingPolicy policy, Map<String, Object> props) {
        addOrdering(name(props), ranking(props), policy);
    }

    void unbindOrdering(OrderingPolicy policy) {
        removeOrdering(policy);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindDetector(PageCacheDetector detector, Map<String, Object> props) {
        addDetector(name(props), ranking(props), detector);
    }

    void unbindDetector(PageCacheDetector detector) {
        detectors.removeIf(p -> p.instance == detector);
    }

    private static String name(Map<String, Object> props) {
        Object n = props.get(ProviderProperties.NAME);
        return n == null ? "unnamed" : n.toString();
    }

    private static int ranking(Map<String, Object> props) {
        return props.get("service.ranking") instanceof Integer i ? i : 0;
    }

    private static <T> Optional<Provider<T>> resolve(List<Provider<T>> list, String name) {
        if (name != null) {
            return list.stream().filter(p -> p.name.equals(name)).findFirst();
        }
        return list.stream().min(Comparator.<Provider<T>>comparingInt(p -> -p.ranking).thenComparingLong(p -> p.order));
    }

    @Override
    public synchronized Migration start(MigrationPlan plan, MigrationListener listener) {
        if (migrations.containsKey(plan.id())) {
            throw new VmlabException("a migration with id '" + plan.id() + "' exists already");
        }
        VmDirectory dir = directory;
        Vm vm = dir == null ? null : dir.find(plan.vmId()).orElse(null);
        if (vm == null) {
            throw new VmlabException("no VM '" + plan.vmId() + "' on this node");
        }
        Provider<TransferEngine> engine = resolve(engines, plan.engine()).orElseThrow(() -> new VmlabException(
                plan.engine() == null ? "no transfer engine is installed"
                        : "no transfer engine named '" + plan.engine() + "'; installed: " + names(engines)));
        Provider<OrderingPolicy> ordering = resolve(orderings, plan.ordering()).orElseThrow(() -> new VmlabException(
                plan.ordering() == null ? "no ordering policy is installed"
                        : "no ordering policy named '" + plan.ordering() + "'; installed: " + names(orderings)));
        Optional<PageCacheDetector> detector = Optional.empty();
        if (plan.detector() != null) {
            detector = Optional.of(resolve(detectors, plan.detector()).orElseThrow(() -> new VmlabException(
                    "no page-cache detector named '" + plan.detector() + "'; installed: " + names(detectors))).instance);
        }
        try {
            // One shared validator: a bad or unknown option is refused before anything moves.
            ParameterSet.options("engine '" + engine.name + "'", engine.instance.options())
                    .plus(ordering.instance.options()).plus(StorageHandoff.OPTIONS).validate(plan.options());
        } catch (IllegalArgumentException e) {
            throw new VmlabException(e.getMessage(), e);
        }
        Optional<String> why = engine.instance.unsupportedReason(vm);
        if (why.isPresent()) {
            throw new VmlabException("engine '" + engine.name + "' cannot migrate VM '" + vm.id() + "': " + why.get());
        }
        if (vm.state() == VmState.MIGRATING) {
            throw new VmlabException("VM '" + vm.id() + "' is already migrating");
        }
        try {
            vm.beginMigration();
        } catch (RuntimeException e) {
            throw new VmlabException("cannot migrate VM '" + vm.id() + "': " + e.getMessage(), e);
        }
        MigrationPlan resolved = plan.toBuilder().engine(engine.name).ordering(ordering.name).build();
        Running r = new Running(resolved, vm, engine.instance, ordering.instance, detector,
                listener == null ? MigrationListener.NONE : listener);
        migrations.put(plan.id(), r);
        inOrder.add(r);
        try {
            pool.execute(r::run);
        } catch (RuntimeException e) {
            migrations.remove(plan.id());
            inOrder.remove(r);
            vm.endMigration();
            throw new VmlabException("cannot start migration '" + plan.id() + "': " + e.getMessage(), e);
        }
        return r;
    }

    private static String names(List<? extends Provider<?>> list) {
        return list.isEmpty() ? "none" : list.stream().map(Provider::name).sorted().toList().toString();
    }

    @Override
    public List<Migration> migrations() {
        return new ArrayList<>(inOrder);
    }

    @Override
    public Optional<Migration> find(String id) {
        return Optional.ofNullable(migrations.get(id));
    }

    /** One migration this service started. */
    private static final class Running implements Migration, MigrationContext, MigrationListener {
        private final MigrationPlan plan;
        private final Vm vm;
        private final TransferEngine engine;
        private final OrderingPolicy ordering;
        private final Optional<PageCacheDetector> detector;
        private final MigrationListener user;
        private final CompletableFuture<MigrationReport> result = new CompletableFuture<>();
        private final List<RoundStats> rounds = new CopyOnWriteArrayList<>();
        private volatile MigrationStatus status = MigrationStatus.SETUP;
        private volatile TimelineSample latest;
        private volatile boolean cancelled;

        Running(MigrationPlan plan, Vm vm, TransferEngine engine, OrderingPolicy ordering,
                Optional<PageCacheDetector> detector, MigrationListener user) {
            this.plan = plan;
            this.vm = vm;
            this.engine = engine;
            this.ordering = ordering;
            this.detector = detector;
            this.user = user;
        }

        void run() {
            long t0 = System.nanoTime();
            MigrationReport report;
            try {
                report = engine.migrate(plan, this);
                if (report == null) {
                    throw new IllegalStateException("engine returned no report");
                }
            } catch (Throwable e) {
                LOG.error("migration {}: engine '{}' failed", plan.id(), plan.engine(), e);
                String why = "engine '" + plan.engine() + "' failed: " + (e.getMessage() == null ? e : e.getMessage());
                report = new MigrationReport(plan.id(), cancelled ? MigrationStatus.CANCELLED : MigrationStatus.FAILED,
                        plan.engine(), plan.ordering(), plan.vmId(),
                        plan.isLocal() ? MigrationReport.LOCAL : plan.destination().toString(),
                        (System.nanoTime() - t0) / 1_000_000, 0, 0, 0, 0, rounds.size(), 0, 0, 0,
                        Verification.NOT_REQUESTED, why, rounds, latest == null ? List.of() : List.of(latest));
            }
            // Safety net: a source that still exists is not left migrating. Its vCPUs stay as the
            // engine left them: an engine that lost the destination's acknowledgement after commit
            // keeps the source paused on purpose, so the VM never runs twice.
            if (!vm.state().isFinal() && vm.state() == VmState.MIGRATING) {
                try {
                    vm.endMigration();
                } catch (RuntimeException e) {
                    LOG.warn("migration {}: cannot end the source's migration state: {}", plan.id(), e.getMessage());
                }
            }
            status = report.status();
            result.complete(report);
        }

        @Override
        public String id() {
            return plan.id();
        }

        @Override
        public MigrationPlan plan() {
            return plan;
        }

        @Override
        public MigrationStatus status() {
            return status;
        }

        @Override
        public Optional<TimelineSample> progress() {
            return Optional.ofNullable(latest);
        }

        @Override
        public CompletionStage<MigrationReport> result() {
            return result.minimalCompletionStage();
        }

        @Override
        public void cancel() {
            if (!status.isFinal()) {
                cancelled = true;
            }
        }

        // MigrationContext

        @Override
        public Vm vm() {
            return vm;
        }

        @Override
        public MigrationListener listener() {
            return this;
        }

        @Override
        public OrderingPolicy ordering() {
            return ordering;
        }

        @Override
        public Optional<PageCacheDetector> detector() {
            return detector;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        // MigrationListener: record, then forward

        @Override
        public void onPhase(MigrationPhase phase) {
            switch (phase) {
                case PRECOPY -> status = MigrationStatus.ACTIVE;
                case POSTCOPY -> status = MigrationStatus.POSTCOPY_ACTIVE;
                default -> {
                }
            }
            try {
                user.onPhase(phase);
            } catch (RuntimeException e) {
                LOG.warn("migration {}: listener failed: {}", plan.id(), e.toString());
            }
        }

        @Override
        public void onRound(RoundStats round) {
            rounds.add(round);
            try {
                user.onRound(round);
            } catch (RuntimeException e) {
                LOG.warn("migration {}: listener failed: {}", plan.id(), e.toString());
            }
        }

        @Override
        public void onProgress(TimelineSample sample) {
            latest = sample;
            try {
                user.onProgress(sample);
            } catch (RuntimeException e) {
                LOG.warn("migration {}: listener failed: {}", plan.id(), e.toString());
            }
        }

        @Override
        public List<RoundStats> rounds() {
            return List.copyOf(rounds);
        }
    }
}
