package org.vmlab.tiering;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.tiering.AccuracyRow;
import org.vmlab.api.tiering.Calibration;
import org.vmlab.api.tiering.FrameTiers;
import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierLayout;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.api.tiering.TierStatus;
import org.vmlab.api.tiering.TieringPolicy;
import org.vmlab.api.tiering.TieringService;

/**
 * The node's NVM emulator: presets, emulated tiers sharing one per-thread delay debt, tiered guest
 * memories rebalanced by one background thread, and the stored calibration. Outside OSGi,
 * construct it with {@link #DefaultTieringService(TieringSettings)}, add policies with
 * {@link #registerPolicy}, and {@link #close()} it.
 */
@Component(service = TieringService.class, configurationPid = "org.vmlab.tiering")
@Designate(ocd = DefaultTieringService.Config.class)
public final class DefaultTieringService implements TieringService {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultTieringService.class);

    @ObjectClassDefinition(name = "vmlab tiering", description = "The NVM emulator: where tier memory and the calibration live, how debts are paid")
    public @interface Config {
        @AttributeDefinition(description = "Folder of tier memory (sparse files, unlinked once mapped); empty for /dev/shm/vmlab-tiering")
        String memoryDir() default "";

        @AttributeDefinition(description = "The stored calibration; empty for ${karaf.data}/vmlab/tiering/calibration.properties")
        String calibrationFile() default "";

        @AttributeDefinition(description = "A thread pays its emulated delay in one busy-wait once it owes this many ns")
        long debtThresholdNanos() default 10_000;

        @AttributeDefinition(description = "Milliseconds between two rebalances of a tiered guest memory")
        long rebalanceMillis() default 100;
    }

    private final Map<String, TieringPolicy> policies = new ConcurrentHashMap<>();
    private final Map<String, FrameTierMemory> memories = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();
    private volatile TieringSettings settings;
    private volatile ScheduledExecutorService rebalancer;
    private volatile Calibration calibration;
    private volatile DelayDebt debt;

    /** For DS: settings come with {@link #activate}. */
    public DefaultTieringService() {
    }

    /** Outside OSGi. */
    public DefaultTieringService(TieringSettings settings) {
        configure(settings);
    }

    @Activate
    void activate(Config config, BundleContext context) {
        String data = context.getProperty("karaf.data");
        TieringSettings d = TieringSettings.defaults(Path.of(data != null ? data
                : System.getProperty("java.io.tmpdir") + "/vmlab-data"));
        configure(new TieringSettings(
                config.memoryDir().isBlank() ? d.memoryDir() : Path.of(config.memoryDir()),
                config.calibrationFile().isBlank() ? d.calibrationFile() : Path.of(config.calibrationFile()),
                config.debtThresholdNanos(), config.rebalanceMillis()));
        LOG.info("tiering: memory in {}, calibration {}", settings.memoryDir(), settings.calibrationFile());
    }

    private void configure(TieringSettings s) {
        this.settings = Objects.requireNonNull(s, "settings");
        this.rebalancer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vmlab-tiering-rebalancer");
            t.setDaemon(true);
            return t;
        });
        new CalibrationFile(s.calibrationFile()).load().ifPresent(this::use);
    }

    @Deactivate
    public void close() {
        for (FrameTierMemory m : List.copyOf(memories.values())) {
            m.close();
        }
        ScheduledExecutorService r = rebalancer;
        if (r != null) {
            r.shutdownNow();
        }
    }

    // ------------------------------------------------------------ policies

    @Reference(service = TieringPolicy.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "removePolicy")
    void addPolicy(TieringPolicy policy, Map<String, Object> properties) {
        Object name = properties.get(ProviderProperties.NAME);
        if (name != null) {
            registerPolicy(name.toString(), policy);
        }
    }

    void removePolicy(TieringPolicy policy, Map<String, Object> properties) {
        Object name = properties.get(ProviderProperties.NAME);
        if (name != null) {
            policies.remove(name.toString(), policy);
        }
    }

    /** Makes a policy available under {@code name}. Memories already open keep the one they had. */
    public void registerPolicy(String name, TieringPolicy policy) {
        policies.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(policy, "policy"));
    }

    // ------------------------------------------------------------ models and tiers

    @Override
    public List<TierModel> presets() {
        return TierPresets.ALL;
    }

    @Override
    public TierModel model(String spec) {
        return ModelSpec.parse(spec);
    }

    @Override
    public MemoryTier tier(String name, long capacityBytes, TierModel model) {
        Calibration cal = calibration();
        return new EmulatedTier(name, capacityBytes, model, cal, debt, settings.memoryDir());
    }

    @Override
    public MemoryTier tier(String name, long capacityBytes, TierModel model, long debtThresholdNanos) {
        Calibration cal = calibration();
        return new EmulatedTier(name, capacityBytes, model, cal,
                new DelayDebt(debtThresholdNanos, Math.round(cal.paymentNanos())), settings.memoryDir());
    }

    // ------------------------------------------------------------ tiered guest memory

    @Override
    public FrameTiers frameTiers(String owner, long frames, TierLayout layout) {
        Objects.requireNonNull(owner, "owner");
        if (frames <= 0 || frames > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a tiered memory has 1 to 2^31-1 frames, not " + frames);
        }
        if (layout.totalBytes() != frames * FrameTierMemory.FRAME) {
            throw new IllegalArgumentException("the tiers of " + owner + " add up to " + new org.vmlab.api.ByteSize(
                    layout.totalBytes()) + " but its memory is " + new org.vmlab.api.ByteSize(frames * FrameTierMemory.FRAME));
        }
        TieringPolicy policy = policies.get(layout.policy());
        if (policy == null) {
            throw new VmlabException("no tiering policy '" + layout.policy() + "'; installed: "
                    + (policies.isEmpty() ? "none" : new TreeSet<>(policies.keySet())));
        }
        ParameterValues options = ParameterSet.options("tiering policy '" + layout.policy() + "'", policy.options())
                .validate(layout.options());
        Calibration cal = calibration();
        List<EmulatedTier> tiers = new ArrayList<>();
        for (TierLayout.Slot s : layout.tiers()) {
            tiers.add(new EmulatedTier(s.name(), s.bytes(), model(s.model()), cal, debt, settings.memoryDir()));
        }
        long interval = TimeUnit.MILLISECONDS.toNanos(settings.rebalanceMillis());
        FrameTierMemory[] self = new FrameTierMemory[1];
        FrameTierMemory m = new FrameTierMemory(owner, (int) frames, tiers, layout.policy(), policy, options, interval,
                () -> forget(owner, self[0]));
        self[0] = m;
        if (memories.putIfAbsent(owner, m) != null) {
            throw new VmlabException("'" + owner + "' has a tiered memory already");
        }
        schedules.put(owner, rebalancer.scheduleWithFixedDelay(() -> rebalanceSafely(m), settings.rebalanceMillis(),
                settings.rebalanceMillis(), TimeUnit.MILLISECONDS));
        return m;
    }

    private void rebalanceSafely(FrameTierMemory m) {
        try {
            m.rebalance();
        } catch (RuntimeException e) {
            LOG.warn("tiering policy of {} failed; frames stay where they are: {}", m.owner(), e.toString());
        }
    }

    private void forget(String owner, FrameTierMemory m) {
        if (memories.remove(owner, m)) {
            ScheduledFuture<?> f = schedules.remove(owner);
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    @Override
    public Optional<TierStatus> status(String owner) {
        return Optional.ofNullable(memories.get(owner)).map(FrameTierMemory::status);
    }

    @Override
    public List<TierStatus> statuses() {
        return memories.values().stream().map(FrameTierMemory::status)
                .sorted(Comparator.comparing(TierStatus::owner)).toList();
    }

    // ------------------------------------------------------------ calibration

    @Override
    public Calibration calibration() {
        Calibration c = calibration;
        if (c == null) {
            synchronized (this) {
                if (calibration == null) {
                    calibrate(msg -> LOG.info("tier calibration: {}", msg));
                }
                c = calibration;
            }
        }
        return c;
    }

    @Override
    public synchronized Calibration calibrate(Consumer<String> progress) {
        Calibration c = new Calibrator(settings.memoryDir()).measure(2_000_000, progress);
        try {
            new CalibrationFile(settings.calibrationFile()).store(c);
        } catch (IOException e) {
            throw new VmlabException("measured, but cannot store the calibration in " + settings.calibrationFile()
                    + ": " + e.getMessage(), e);
        }
        use(c);
        return c;
    }

    private void use(Calibration c) {
        calibration = c;
        debt = new DelayDebt(settings.thresholdNanos(), Math.round(c.paymentNanos()));
    }

    @Override
    public List<AccuracyRow> accuracy(List<Long> latenciesNanos, long hops, long bufferBytes, boolean symmetric,
                                      long symmetricReadNanos, Consumer<String> progress) {
        return new AccuracyRun(settings.memoryDir(), calibration(), settings.thresholdNanos())
                .run(latenciesNanos, hops, bufferBytes, symmetric, symmetricReadNanos, progress);
    }
}
