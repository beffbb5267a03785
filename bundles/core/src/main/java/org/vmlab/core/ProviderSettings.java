package org.vmlab.core;

import java.util.List;

import org.vmlab.api.kvs.KvsService;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.placement.PlacementPolicy;
import org.vmlab.api.provider.Family;
import org.vmlab.api.tiering.TieringPolicy;
import org.vmlab.api.workload.Workload;

/** The settings a provider service object describes, by its family's interface. */
final class ProviderSettings {
    private ProviderSettings() {
    }

    /**
     * A workload's parameters, an engine's, an ordering or tiering policy's or a key-value service's
     * options; empty for other
     * families, for a service that is not of its family's type (e.g. wired to another api
     * version), or for one whose description fails: listing must not break on one bad provider.
     */
    static List<Parameter> of(Family family, Object service) {
        try {
            List<Parameter> settings = switch (family) {
                case WORKLOAD -> service instanceof Workload w ? w.parameters() : null;
                case ENGINE -> service instanceof TransferEngine e ? e.options() : null;
                case ORDERING -> service instanceof OrderingPolicy o ? o.options() : null;
                case PLACEMENT -> service instanceof PlacementPolicy p ? p.options() : null;
                case TIERING -> service instanceof TieringPolicy t ? t.options() : null;
                case KVS -> service instanceof KvsService k ? k.options() : null;
                case STORAGE -> service instanceof org.vmlab.api.storage.StoragePrecacher s ? s.options() : null;
                default -> null;
            };
            return settings == null ? List.of() : List.copyOf(settings);
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
