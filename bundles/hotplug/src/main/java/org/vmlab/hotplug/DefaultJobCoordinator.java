package org.vmlab.hotplug;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.DeviceHotplug;
import org.vmlab.api.hotplug.GuestCooperation;
import org.vmlab.api.hotplug.JobCoordinator;
import org.vmlab.api.hotplug.JobMigrationPlan;
import org.vmlab.api.hotplug.JobPhase;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmState;

/**
 * The SymVirt coordinator: quiesce every rank at one barrier, detach the pass-through devices,
 * do the VMM work for all VMs at once, attach, resume; each phase timed. Checkpoint and restart
 * are in {@link JobCheckpoints}.
 */
@Component(property = {"vmlab.family=hotplug", "vmlab.name=job-coordinator", "service.ranking:Integer=100",
        "vmlab.description=Coordinated migration, checkpoint and restart of the VMs of a job (SymVirt)"})
public final class DefaultJobCoordinator implements JobCoordinator {
    /** How long one VM's migration may take before the job gives up waiting for it. */
    static final Duration MIGRATION_LIMIT = Duration.ofMinutes(30);

    private final VmDirectory directory;
    private final List<DeviceHotplug> hotplugs = new CopyOnWriteArrayList<>();
    private final List<GuestCooperation> channels = new CopyOnWriteArrayList<>();
    private volatile MigrationService migrations;

    @Activate
    public DefaultJobCoordinator(@Reference VmDirectory directory) {
        this.directory = directory;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeHotplug")
    public void addHotplug(DeviceHotplug h) {
        hotplugs.add(h);
    }

    void removeHotplug(DeviceHotplug h) {
        hotplugs.remove(h);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeChannel")
    public void addChannel(GuestCooperation c) {
        channels.add(c);
    }

    void removeChannel(GuestCooperation c) {
        channels.remove(c);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetMigrations")
    public void setMigrations(MigrationService m) {
        migrations = m;
    }

    void unsetMigrations(MigrationService m) {
        if (migrations == m) {
            migrations = null;
        }
    }

    JobAgents agents() {
        return new JobAgents(channels);
    }

    JobDevices devices() {
        return new JobDevices(hotplugs);
    }

    VmDirectory directory() {
        return directory;
    }

    List<Vm> resolve(List<String> ids) {
        List<Vm> vms = new ArrayList<>();
        for (String id : ids) {
            vms.add(directory.find(id).orElseThrow(() -> new IllegalArgumentException("no VM '" + id + "'")));
        }
        return vms;
    }

    @Override
    public JobReport migrate(JobMigrationPlan plan, Consumer<JobPhase> progress) {
        MigrationService service = migrations;
        if (service == null) {
            throw new VmlabException("cannot migrate the job: no migration service is installed (feature vmlab-engines)");
        }
        List<Vm> vms = resolve(plan.vms());
        Timeline t = new Timeline(progress);
        Quiesced q = Quiesced.enter(vms, agents(), devices(), plan.timeout(), t);

        // the job goes on as soon as every VM runs at its destination: with postcopy that is the
        // switchover, while the rest of its memory still follows in the background
        long m0 = t.now();
        Map<Vm, Object> started = Parallel.run(vms, vm -> startAndAwaitSwitch(service, vm, plan, t));
        t.record("migrate", JobPhase.JOB, m0, (plan.engine() == null ? "default engine" : plan.engine())
                + ": every VM runs at its destination");

        List<String> failures = new ArrayList<>();
        Map<Vm, List<DeviceSpec>> whereNow = new LinkedHashMap<>();
        for (Vm vm : vms) {
            Vm now = vm;
            if (started.get(vm) instanceof Moving mv) {
                MigrationStatus s = mv.migration().status();
                if (s == MigrationStatus.COMPLETED || s == MigrationStatus.POSTCOPY_ACTIVE) {
                    now = moved(vm);
                }
            } else if (started.get(vm) instanceof Parallel.Failure f) {
                failures.add(vm.id() + ": " + f.error().getMessage());
            }
            whereNow.put(now, q.detached().get(vm));
        }
        JobReport report = q.leave(whereNow, "migrate", () -> {
            List<MigrationReport> reports = new ArrayList<>();
            for (Vm vm : vms) {
                if (started.get(vm) instanceof Moving mv) {
                    MigrationReport r = await(mv, vm);
                    reports.add(r);
                    if (r.status() != MigrationStatus.COMPLETED) {
                        failures.add(vm.id() + ": " + r.status().name().toLowerCase() + " (" + r.failureReason() + ")");
                    }
                }
            }
            return reports;
        });
        if (!failures.isEmpty()) {
            throw new VmlabException("the job was resumed, but " + failures.size() + " of " + vms.size()
                    + " VMs did not migrate: " + String.join("; ", failures));
        }
        return report;
    }

    /** A VM's migration, and its report once it ended and its phase is on the timeline. */
    private record Moving(Migration migration, CompletableFuture<MigrationReport> recorded) {
    }

    /** Starts a VM's migration; returns once the VM runs at the destination or the migration ended. */
    private Moving startAndAwaitSwitch(MigrationService service, Vm vm, JobMigrationPlan plan, Timeline t) {
        long start = t.now();
        CompletableFuture<Void> switched = new CompletableFuture<>();
        MigrationPlan p = MigrationPlan.builder(vm.id()).engine(plan.engine()).options(plan.options())
                .verify(plan.verify()).build();
        Migration m = service.start(p, new MigrationListener() {
            @Override
            public void onPhase(MigrationPhase phase) {
                if (phase == MigrationPhase.POSTCOPY) {
                    switched.complete(null);
                }
            }
        });
        CompletableFuture<MigrationReport> recorded = m.result().toCompletableFuture().thenApply(r -> {
            t.record("migrate", vm.id(), start, r.engine() + " " + r.status().name().toLowerCase() + ", downtime "
                    + r.downtimeMs() + " ms, total " + r.totalTimeMs() + " ms");
            return r;
        });
        m.result().whenComplete((r, e) -> switched.complete(null));
        try {
            switched.get(MIGRATION_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            m.cancel();
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted: migration of VM '" + vm.id() + "' cancelled");
        } catch (ExecutionException | TimeoutException e) {
            m.cancel();
            throw new VmlabException("migration of VM '" + vm.id() + "' did not switch over: " + e.getMessage(), e);
        }
        return new Moving(m, recorded);
    }

    private static MigrationReport await(Moving m, Vm vm) {
        try {
            return m.recorded().get(MIGRATION_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted while migration of VM '" + vm.id() + "' ends");
        } catch (ExecutionException | TimeoutException e) {
            throw new VmlabException("migration of VM '" + vm.id() + "' did not end: " + e.getMessage(), e);
        }
    }

    /** The VM of the same name that a local migration created (the source is gone). */
    private Vm moved(Vm source) {
        String name = source.spec().name();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (Vm v : directory.vms()) {
                if (v != source && v.spec().name().equals(name)
                        && (v.state() == VmState.RUNNING || v.state() == VmState.PAUSED || v.state() == VmState.MIGRATING)) {
                    return v;
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new VmlabException("VM '" + name + "' migrated but its destination VM is not on this node");
    }

    @Override
    public DeviceSpec detach(String vmId, String deviceId, Duration timeout) {
        Vm vm = resolve(List.of(vmId)).get(0);
        DeviceSpec d = vm.devices().stream().filter(x -> x.id().equals(deviceId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("VM '" + vmId + "' has no device '" + deviceId + "'; it has "
                        + vm.devices().stream().map(DeviceSpec::id).toList()));
        devices().provider(vm).detach(vm, deviceId, timeout);
        agents().resumeQuietly(List.of(vm));
        return d;
    }

    @Override
    public void attach(String vmId, DeviceSpec device, Duration timeout) {
        Vm vm = resolve(List.of(vmId)).get(0);
        devices().provider(vm).attach(vm, device, timeout);
    }

    @Override
    public JobReport checkpoint(List<String> vms, java.nio.file.Path dir, Duration timeout, Consumer<JobPhase> progress) {
        return new JobCheckpoints(this).checkpoint(resolve(vms), dir, timeout, new Timeline(progress));
    }

    @Override
    public JobReport restart(java.nio.file.Path dir, Duration timeout, Consumer<JobPhase> progress) {
        return new JobCheckpoints(this).restart(dir, timeout, new Timeline(progress));
    }
}
