package org.vmlab.api.vm;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import org.vmlab.api.memory.Pages;

/**
 * What a VM is made of. A backend creates a VM from it, and a migration destination prepares an
 * empty VM from the source's spec (with its own backend, see {@link #withBackend}).
 *
 * @param name               the VM's name: 1 to 63 letters, digits, {@code _ . -}, starting with
 *                           a letter or digit
 * @param backend            the {@code vmlab.backend} that runs it, e.g. {@code emu}
 * @param memoryBytes        guest memory, a positive multiple of 4096
 * @param vcpus              1 to 256
 * @param diskImage          the disk image file, or {@code null} for a VM without a disk
 * @param diskBytes          the disk size (a multiple of 4096) to create or grow the image to,
 *                           or 0 to use the existing image's size; must be 0 without a disk
 * @param workload           the {@code vmlab.name} of the workload to run, or {@code null} for an
 *                           idle guest
 * @param workloadParameters parameters of that workload (empty without one), copied
 * @param devices            the VM's devices, unique by id, copied
 */
public record VmSpec(String name, String backend, long memoryBytes, int vcpus, Path diskImage,
                     long diskBytes, String workload, Map<String, String> workloadParameters,
                     List<DeviceSpec> devices) {

    /** The most vCPUs a spec may ask for. */
    public static final int MAX_VCPUS = 256;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public VmSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad VM name '" + name
                    + "': use 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        Objects.requireNonNull(backend, "backend");
        if (backend.isBlank()) {
            throw new IllegalArgumentException("backend of VM '" + name + "' is blank");
        }
        if (memoryBytes <= 0 || memoryBytes % Pages.SIZE != 0) {
            throw new IllegalArgumentException(
                    "memoryBytes must be a positive multiple of 4096: " + memoryBytes);
        }
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("vcpus must be 1.." + MAX_VCPUS + ": " + vcpus);
        }
        if (diskBytes < 0 || diskBytes % Pages.SIZE != 0) {
            throw new IllegalArgumentException(
                    "diskBytes must be 0 or a positive multiple of 4096: " + diskBytes);
        }
        if (diskImage == null && diskBytes != 0) {
            throw new IllegalArgumentException(
                    "diskBytes is " + diskBytes + " but VM '" + name + "' has no disk image");
        }
        if (workload != null && workload.isBlank()) {
            throw new IllegalArgumentException(
                    "workload of VM '" + name + "' is blank (use null for an idle guest)");
        }
        workloadParameters = workloadParameters == null ? Map.of() : Map.copyOf(workloadParameters);
        if (workload == null && !workloadParameters.isEmpty()) {
            throw new IllegalArgumentException("workload parameters " + workloadParameters.keySet()
                    + " given but VM '" + name + "' has no workload");
        }
        devices = devices == null ? List.of() : List.copyOf(devices);
        Set<String> ids = new HashSet<>();
        for (DeviceSpec d : devices) {
            if (!ids.add(d.id())) {
                throw new IllegalArgumentException(
                        "device id '" + d.id() + "' appears twice in VM '" + name + "'");
            }
        }
    }

    /** An idle VM with one vCPU, no disk and no devices. */
    public static VmSpec of(String name, String backend, long memoryBytes) {
        return new VmSpec(name, backend, memoryBytes, 1, null, 0, null, Map.of(), List.of());
    }

    public VmSpec withName(String name) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }

    public VmSpec withBackend(String backend) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }

    public VmSpec withMemoryBytes(long memoryBytes) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }

    public VmSpec withVcpus(int vcpus) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }

    /** With this disk image ({@code null} for none) and size (0 for the image's own size). */
    public VmSpec withDisk(Path diskImage, long diskBytes) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }

    /** With this workload ({@code null} for idle) and its parameters. */
    public VmSpec withWorkload(String workload, Map<String, String> workloadParameters) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }

    public VmSpec withDevices(List<DeviceSpec> devices) {
        return new VmSpec(name, backend, memoryBytes, vcpus, diskImage, diskBytes, workload,
                workloadParameters, devices);
    }
}
