package org.vmlab.hotplug;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.JobPhase;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmState;

/**
 * Coordinated checkpoint and restart. A checkpoint folder holds one snapshot per VM, taken with
 * every rank held at one barrier and the devices detached, and {@code job.properties} naming them
 * (VM names, backends, files, the barrier). Restart replaces the job's VMs (survivors of a failure
 * included) by the snapshots, attaches their pass-through devices and resumes the ranks.
 */
final class JobCheckpoints {
    static final String MANIFEST = "job.properties";

    private final DefaultJobCoordinator coordinator;

    JobCheckpoints(DefaultJobCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    JobReport checkpoint(List<Vm> vms, Path dir, Duration timeout, Timeline t) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VmlabException("cannot create the checkpoint folder " + dir + ": " + e.getMessage(), e);
        }
        Quiesced q = Quiesced.enter(vms, coordinator.agents(), coordinator.devices(), timeout, t);
        long c0 = t.now();
        Map<Vm, Object> outcomes = Parallel.run(vms, vm -> {
            long start = t.now();
            Path file = dir.resolve(vm.spec().name() + ".snap");
            vm.snapshot(file);
            t.record("checkpoint", vm.id(), start, file.getFileName() + ", " + size(file) + " bytes");
            return file;
        });
        t.record("checkpoint", JobPhase.JOB, c0, dir.toString());
        List<String> failures = new ArrayList<>();
        Properties manifest = new Properties();
        List<String> names = new ArrayList<>();
        for (Vm vm : vms) {
            if (outcomes.get(vm) instanceof Parallel.Failure f) {
                failures.add(vm.id() + ": " + f.error().getMessage());
            }
            String name = vm.spec().name();
            names.add(name);
            manifest.setProperty("vm." + name + ".file", name + ".snap");
            manifest.setProperty("vm." + name + ".backend", vm.backend());
            CheckpointDevices.write(manifest, name, q.detached().getOrDefault(vm, List.of()));
        }
        manifest.setProperty("vms", String.join(",", names));
        Map<Vm, List<DeviceSpec>> back = new LinkedHashMap<>(q.detached());
        JobReport report = q.leave(back, "checkpoint", List::of);
        manifest.setProperty("barrier", Long.toString(report.barrier()));
        if (!failures.isEmpty()) {
            throw new VmlabException("the job was resumed, but the checkpoint in " + dir + " is incomplete: "
                    + String.join("; ", failures));
        }
        try (OutputStream out = Files.newOutputStream(dir.resolve(MANIFEST))) {
            manifest.store(out, "vmlab job checkpoint: job:restart " + dir);
        } catch (IOException e) {
            throw new VmlabException("cannot write " + dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
        return report;
    }

    JobReport restart(Path dir, Duration timeout, Timeline t) {
        Properties manifest = read(dir);
        List<String> names = List.of(manifest.getProperty("vms", "").split(","));
        long barrier = Long.parseLong(manifest.getProperty("barrier", "-1"));
        long s0 = t.now();
        for (String name : names) {
            for (Vm old : coordinator.directory().vms()) {
                if (old.spec().name().equals(name)) {
                    old.destroy(); // a survivor of the failed job, or the job itself: the checkpoint replaces it
                }
            }
        }
        Map<String, Object> restored = Parallel.run(names, name -> {
            long start = t.now();
            Path file = dir.resolve(manifest.getProperty("vm." + name + ".file", name + ".snap"));
            Vm vm = coordinator.directory().restore(file, manifest.getProperty("vm." + name + ".backend"));
            t.record("restore", vm.id(), start, file.getFileName().toString());
            return vm;
        });
        List<Vm> vms = new ArrayList<>();
        for (String name : names) {
            Object o = restored.get(name);
            if (o instanceof Parallel.Failure f) {
                vms.forEach(Vm::destroy);
                throw new VmlabException("cannot restart the job from " + dir + ": VM '" + name + "': " + f.error().getMessage(), f.error());
            }
            vms.add((Vm) o);
        }
        t.record("restore", JobPhase.JOB, s0, vms.size() + " VMs from " + dir);
        long a0 = t.now();
        Map<Vm, List<DeviceSpec>> devices = new LinkedHashMap<>();
        for (Vm vm : vms) {
            devices.put(vm, CheckpointDevices.read(manifest, vm.spec().name(), vm.spec().devices()));
        }
        coordinator.devices().attachAll(devices, timeout, t);
        t.record("attach", JobPhase.JOB, a0, "before the guests run: each rank opens its path as it starts");
        long r0 = t.now();
        Parallel.each(vms, Vm::id, vm -> {
            vm.resume();
            return null;
        });
        awaitAgents(vms, timeout);
        Map<String, Map<String, String>> ranks = coordinator.agents().resume(vms, timeout);
        t.record("resume", JobPhase.JOB, r0, ranks.size() + " agents resumed at iteration " + barrier);
        return new JobReport("restart", vms.stream().map(Vm::id).toList(), t.phases(), t.totalMs(), t.totalMs(),
                barrier, List.of(), ranks);
    }

    /** Restored runs become agents as their guests start. */
    private void awaitAgents(List<Vm> vms, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Vm vm : vms) {
            while (vm.workload().isPresent() && coordinator.agents().channel(vm) == null
                    && vm.state() == VmState.RUNNING && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new VmlabException("interrupted while the restarted VMs start");
                }
            }
        }
    }

    private static Properties read(Path dir) {
        Path file = dir.resolve(MANIFEST);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new VmlabException("no job checkpoint in " + dir + ": cannot read " + file + " (" + e.getMessage() + ")", e);
        }
        if (p.getProperty("vms", "").isBlank()) {
            throw new VmlabException(file + " names no VM");
        }
        return p;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
