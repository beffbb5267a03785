package org.vmlab.qemu;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.VmSpec;

/**
 * A {@link VmSpec} as snapshot headers store it, byte for byte the layout the emu backend's
 * snapshot uses (name, backend, memory, vCPUs, optional disk path, disk size, optional workload,
 * its parameters, devices), so both formats describe a VM the same way. It is mirrored here rather
 * than shared because backends depend on the api bundle only, and the api holds no codecs.
 */
final class SpecCodec {
    /** More devices or map entries than this is a damaged header, not a VM. */
    static final int MAX_ENTRIES = 4096;

    /** Thrown while reading: one sentence saying what is wrong. */
    static final class BadSpec extends Exception {
        private static final long serialVersionUID = 1L;

        BadSpec(String message) {
            super(message, null, false, false);
        }
    }

    private SpecCodec() {
    }

    static void write(VmSpec spec, DataOutputStream out) throws IOException {
        out.writeUTF(spec.name());
        out.writeUTF(spec.backend());
        out.writeLong(spec.memoryBytes());
        out.writeInt(spec.vcpus());
        writeOptional(out, spec.diskImage() == null ? null
                : spec.diskImage().toAbsolutePath().normalize().toString());
        out.writeLong(spec.diskBytes());
        writeOptional(out, spec.workload());
        writeMap(out, spec.workloadParameters());
        out.writeInt(spec.devices().size());
        for (DeviceSpec d : spec.devices()) {
            out.writeUTF(d.id());
            out.writeUTF(d.type());
            out.writeBoolean(d.passthrough());
            writeMap(out, d.properties());
        }
    }

    static VmSpec read(DataInputStream in) throws IOException, BadSpec {
        try {
            String name = in.readUTF();
            String backend = in.readUTF();
            long memoryBytes = in.readLong();
            int vcpus = in.readInt();
            String disk = readOptional(in);
            long diskBytes = in.readLong();
            String workload = readOptional(in);
            Map<String, String> params = readMap(in);
            int n = in.readInt();
            if (n < 0 || n > MAX_ENTRIES) {
                throw new BadSpec("its device count " + n + " is impossible");
            }
            List<DeviceSpec> devices = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                devices.add(new DeviceSpec(in.readUTF(), in.readUTF(), in.readBoolean(), readMap(in)));
            }
            return new VmSpec(name, backend, memoryBytes, vcpus, disk == null ? null : Path.of(disk),
                    diskBytes, workload, params, devices);
        } catch (EOFException e) {
            throw new BadSpec("its VM spec is cut short");
        } catch (IllegalArgumentException e) {
            throw new BadSpec("it holds a bad VM spec: " + e.getMessage());
        }
    }

    static void writeOptional(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    static String readOptional(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    /** Sorted by key, so one spec always gives the same bytes. */
    static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
        Map<String, String> sorted = new TreeMap<>(map);
        out.writeInt(sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    static Map<String, String> readMap(DataInputStream in) throws IOException, BadSpec {
        int n = in.readInt();
        if (n < 0 || n > MAX_ENTRIES) {
            throw new BadSpec("a map of " + n + " entries is impossible");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }
}
