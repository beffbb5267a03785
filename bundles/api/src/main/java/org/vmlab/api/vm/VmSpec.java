package org.vmlab.api.vm;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
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

    /** The most devices, and entries of one parameter map, that {@link #readFrom} accepts. */
    public static final int MAX_ENTRIES = 65536;

    /**
     * Writes this spec in vmlab's binary form, which snapshot files and the migration protocol
     * share: name, backend (UTF), memory (long), vCPUs (int), disk path (boolean + UTF, absolute),
     * disk size (long), workload (boolean + UTF), its parameters, then the devices (int count; id,
     * type (UTF), passthrough (boolean), properties each). A map is an int count and UTF key/value
     * pairs sorted by key, so equal specs give equal bytes.
     *
     * @since 1.2
     */
    public void writeTo(DataOutput out) throws IOException {
        out.writeUTF(name);
        out.writeUTF(backend);
        out.writeLong(memoryBytes);
        out.writeInt(vcpus);
        out.writeBoolean(diskImage != null);
        if (diskImage != null) {
            out.writeUTF(diskImage.toAbsolutePath().normalize().toString());
        }
        out.writeLong(diskBytes);
        out.writeBoolean(workload != null);
        if (workload != null) {
            out.writeUTF(workload);
        }
        writeMap(out, workloadParameters);
        out.writeInt(devices.size());
        for (DeviceSpec d : devices) {
            out.writeUTF(d.id());
            out.writeUTF(d.type());
            out.writeBoolean(d.passthrough());
            writeMap(out, d.properties());
        }
    }

    /**
     * Reads a spec {@link #writeTo} wrote.
     *
     * @throws java.io.EOFException     if the input ends inside the spec
     * @throws IllegalArgumentException if it describes no valid spec (one sentence why)
     * @since 1.2
     */
    public static VmSpec readFrom(DataInput in) throws IOException {
        String name = in.readUTF();
        String backend = in.readUTF();
        long memoryBytes = in.readLong();
        int vcpus = in.readInt();
        String disk = in.readBoolean() ? in.readUTF() : null;
        long diskBytes = in.readLong();
        String workload = in.readBoolean() ? in.readUTF() : null;
        Map<String, String> params = readMap(in);
        int n = count(in.readInt(), "devices");
        List<DeviceSpec> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            devices.add(new DeviceSpec(in.readUTF(), in.readUTF(), in.readBoolean(), readMap(in)));
        }
        return new VmSpec(name, backend, memoryBytes, vcpus, disk == null ? null : Path.of(disk), diskBytes,
                workload, params, devices);
    }

    private static void writeMap(DataOutput out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInput in) throws IOException {
        int n = count(in.readInt(), "map entries");
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }

    private static int count(int n, String what) {
        if (n < 0 || n > MAX_ENTRIES) {
            throw new IllegalArgumentException(n + " " + what + " is impossible");
        }
        return n;
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
