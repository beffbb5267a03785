package org.vmlab.api.tiering;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vmlab.api.ByteSize;
import org.vmlab.api.vm.DeviceSpec;

/**
 * How a guest's memory is split into tiers, and which policy places its frames: what
 * {@code vm:create --tier dram=1G --tier nvm=3G:optane-dcpmm --tier-policy hot-cold} asks for. A
 * VM carries it as a device of type {@link #DEVICE_TYPE}, so it travels with the VM's spec to a
 * migration destination and into snapshots.
 *
 * @param tiers   the tiers, fastest first; their sizes add up to the guest's memory
 * @param policy  the {@code vmlab.name} of the {@link TieringPolicy}
 * @param options the policy's options (checked when the memory is made), copied
 */
public record TierLayout(List<Slot> tiers, String policy, Map<String, String> options) {

    /** The device type that carries a layout. */
    public static final String DEVICE_TYPE = "memory-tiers";
    /** The device id {@link #toDevice()} uses. */
    public static final String DEVICE_ID = "memory-tiers";

    private static final Pattern SLOT = Pattern.compile("([a-z0-9][a-z0-9-]*)=([0-9.]+\\s*[a-zA-Z]*)(?::(.+))?");
    private static final String OPTION_PREFIX = "option.";
    private static final String TIER_PREFIX = "tier.";

    /**
     * One tier of the layout.
     *
     * @param name  the tier's name, e.g. {@code dram}
     * @param bytes its size, a positive multiple of 4096
     * @param model a preset name or a model spec ({@link TieringService#model}); for a tier named
     *              after a preset, the preset by default
     */
    public record Slot(String name, long bytes, String model) {
        public Slot {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(model, "model");
            if (bytes <= 0 || bytes % 4096 != 0) {
                throw new IllegalArgumentException("tier '" + name + "' must be a positive multiple of 4 KiB: " + bytes);
            }
        }

        /**
         * Parses {@code NAME=SIZE[:MODEL]}, e.g. {@code nvm=3G:optane-dcpmm}; without a model, a tier
         * named {@code nvm} is {@code optane-dcpmm} and any other is the preset of its name.
         */
        public static Slot parse(String text) {
            Matcher m = SLOT.matcher(text == null ? "" : text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("a tier is NAME=SIZE[:MODEL] (e.g. dram=1G, nvm=3G:optane-dcpmm), not '"
                        + text + "'");
            }
            String model = m.group(3) != null ? m.group(3) : m.group(1).equals("nvm") ? "optane-dcpmm" : m.group(1);
            return new Slot(m.group(1), ByteSize.parse(m.group(2)).bytes(), model);
        }

        @Override
        public String toString() {
            return name + "=" + new ByteSize(bytes).toString().replace(" ", "") + ":" + model;
        }
    }

    public TierLayout {
        tiers = List.copyOf(tiers);
        if (tiers.isEmpty()) {
            throw new IllegalArgumentException("a tiered memory needs at least one tier");
        }
        if (tiers.size() > 8) {
            throw new IllegalArgumentException("at most 8 tiers, not " + tiers.size());
        }
        List<String> names = new ArrayList<>();
        for (Slot s : tiers) {
            if (names.contains(s.name())) {
                throw new IllegalArgumentException("tier '" + s.name() + "' is given twice");
            }
            names.add(s.name());
        }
        Objects.requireNonNull(policy, "policy");
        if (policy.isBlank()) {
            throw new IllegalArgumentException("the tiering policy is blank");
        }
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    /** The sum of the tiers' sizes. */
    public long totalBytes() {
        return tiers.stream().mapToLong(Slot::bytes).sum();
    }

    /** This layout as a VM device. */
    public DeviceSpec toDevice() {
        Map<String, String> p = new LinkedHashMap<>();
        // One property per tier: a model spec may itself hold commas (read=300ns,write=900ns).
        for (int i = 0; i < tiers.size(); i++) {
            p.put(TIER_PREFIX + i, tiers.get(i).toString());
        }
        p.put("policy", policy);
        options.forEach((k, v) -> p.put(OPTION_PREFIX + k, v));
        return new DeviceSpec(DEVICE_ID, DEVICE_TYPE, false, p);
    }

    /**
     * The layout a device of type {@link #DEVICE_TYPE} carries.
     *
     * @throws IllegalArgumentException if the device is of another type or malformed
     */
    public static TierLayout fromDevice(DeviceSpec device) {
        if (!DEVICE_TYPE.equals(device.type())) {
            throw new IllegalArgumentException("device '" + device.id() + "' is a " + device.type() + ", not " + DEVICE_TYPE);
        }
        List<Slot> slots = new ArrayList<>();
        for (String s; (s = device.properties().get(TIER_PREFIX + slots.size())) != null; ) {
            slots.add(Slot.parse(s));
        }
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("device '" + device.id() + "' names no tiers");
        }
        Map<String, String> options = new LinkedHashMap<>();
        device.properties().forEach((k, v) -> {
            if (k.startsWith(OPTION_PREFIX)) {
                options.put(k.substring(OPTION_PREFIX.length()), v);
            }
        });
        return new TierLayout(slots, device.properties().getOrDefault("policy", "first-touch"), options);
    }
}
