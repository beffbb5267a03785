package org.vmlab.experiment.plan;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import org.vmlab.api.ByteSize;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.experiment.spec.Spec;
import org.vmlab.experiment.spec.VmDecl;

/** Checks one filled-in VM entry against the installed backends and workloads. */
final class VmChecker {
    /** Runs add a suffix to make VM names unique; the spec's part stays short enough for it. */
    static final int MAX_NAME = 40;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final Spec spec;
    private final Installed installed;

    VmChecker(Spec spec, Installed installed) {
        this.spec = spec;
        this.installed = installed;
    }

    VmPlan check(String pointer, JsonNode node) {
        VmDecl d = bind(pointer, node);
        if (d.name() == null || !d.name().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0," + (MAX_NAME - 1) + "}")) {
            throw spec.error(pointer + "/name", d.name() == null ? "missing: every VM has a name"
                    : "bad VM name '" + d.name() + "': up to " + MAX_NAME + " letters, digits, '_', '.' or '-'");
        }
        if (d.backend() != null && !installed.backends().contains(d.backend())) {
            throw spec.error(pointer + "/backend", "no backend '" + d.backend() + "'; backends: " + String.join(", ", installed.backends()));
        }
        if (d.memory() == null) {
            throw spec.error(pointer + "/memory", "missing: how much memory the VM has, e.g. 256M");
        }
        long memory = size(pointer + "/memory", d.memory());
        if (memory <= 0 || memory % Pages.SIZE != 0) {
            throw spec.error(pointer + "/memory", "must be a positive multiple of 4K, not " + d.memory());
        }
        int vcpus = 1;
        if (d.vcpus() != null) {
            try {
                vcpus = Integer.parseInt(d.vcpus().strip());
            } catch (NumberFormatException e) {
                vcpus = -1;
            }
            if (vcpus < 1 || vcpus > VmSpec.MAX_VCPUS) {
                throw spec.error(pointer + "/vcpus", "must be a whole number from 1 to " + VmSpec.MAX_VCPUS + ", not " + d.vcpus());
            }
        }
        long disk = d.disk() == null ? 0 : size(pointer + "/disk", d.disk());
        if (disk < 0 || disk % Pages.SIZE != 0) {
            throw spec.error(pointer + "/disk", "must be a multiple of 4K, not " + d.disk());
        }
        if (d.diskFill() != null && !List.of("zero", "random").contains(d.diskFill())) {
            throw spec.error(pointer + "/disk-fill", "disk-fill is zero or random, not '" + d.diskFill() + "'");
        }
        if (d.diskFill() != null && disk == 0) {
            throw spec.error(pointer + "/disk-fill", "disk-fill needs a disk (disk: 256M)");
        }
        if (d.workload() == null) {
            if (!d.params().isEmpty()) {
                throw spec.error(pointer + "/params", "parameters given but the VM has no workload");
            }
        } else {
            List<ProviderInfo> workloads = installed.catalog().providers(Family.WORKLOAD);
            ProviderInfo w = workloads.stream().filter(p -> p.name().equals(d.workload())).findFirst()
                    .orElseThrow(() -> spec.error(pointer + "/workload", "no workload '" + d.workload() + "'; workloads: "
                            + String.join(", ", workloads.stream().map(ProviderInfo::name).toList())));
            try {
                ParameterSet.parameters("workload '" + w.name() + "'", w.settings()).validate(d.params());
            } catch (IllegalArgumentException e) {
                String at = pointer + "/params";
                for (String k : d.params().keySet()) {
                    if (e.getMessage().contains("'" + k + "'")) {
                        at = at + "/" + k;
                        break;
                    }
                }
                throw spec.error(at, e.getMessage());
            }
        }
        return new VmPlan(d.name(), d.backend(), memory, vcpus, disk, "random".equals(d.diskFill()), d.workload(), d.params());
    }

    private VmDecl bind(String pointer, JsonNode node) {
        if (node == null || !node.isObject()) {
            throw spec.error(pointer, "a VM is a mapping: name, memory, and optionally backend, vcpus, disk, workload, params");
        }
        try {
            return MAPPER.treeToValue(node, VmDecl.class);
        } catch (UnrecognizedPropertyException e) {
            throw spec.error(pointer + "/" + e.getPropertyName(), "unknown field '" + e.getPropertyName()
                    + "'; known: name, backend, memory, vcpus, disk, workload, params, if, disk-fill");
        } catch (JsonMappingException e) {
            StringBuilder p = new StringBuilder(pointer);
            e.getPath().forEach(r -> p.append('/').append(r.getFieldName() != null ? r.getFieldName() : r.getIndex()));
            throw spec.error(p.toString(), "expected " + (p.toString().endsWith("/params") ? "a mapping of parameters" : "a single value"));
        } catch (JsonProcessingException e) {
            throw spec.error(pointer, e.getOriginalMessage());
        }
    }

    private long size(String pointer, String text) {
        try {
            return ByteSize.parse(text.strip()).bytes();
        } catch (IllegalArgumentException e) {
            throw spec.error(pointer, "'" + text + "' is not a size such as 4096, 64K, 256M or 2G");
        }
    }
}
