package org.vmlab.cluster;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.vmlab.api.VmlabException;
import org.vmlab.api.placement.PlacementPolicy;
import org.vmlab.api.provider.ProviderProperties;

/** The placement policies registered now, by name; the highest ranking is the default. */
final class PlacementPolicies {
    private record Entry(String name, int ranking, long serviceId, PlacementPolicy policy) {
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    void add(PlacementPolicy p, Map<String, Object> props) {
        Object name = props.get(ProviderProperties.NAME);
        if (name != null) {
            entries.add(new Entry(name.toString(), props.get("service.ranking") instanceof Integer r ? r : 0,
                    props.get("service.id") instanceof Long id ? id : 0L, p));
        }
    }

    void remove(PlacementPolicy p) {
        entries.removeIf(e -> e.policy() == p);
    }

    List<String> names() {
        return entries.stream().sorted(Comparator.comparingInt(Entry::ranking).reversed()
                .thenComparingLong(Entry::serviceId)).map(Entry::name).distinct().toList();
    }

    /** The named policy, or the default for null. */
    PlacementPolicy find(String name) {
        List<String> names = names();
        if (names.isEmpty()) {
            throw new VmlabException("no placement policy is installed (feature vmlab-placement)");
        }
        String wanted = name == null ? names.get(0) : name;
        return entries.stream().filter(e -> e.name().equals(wanted)).findFirst().map(Entry::policy)
                .orElseThrow(() -> new VmlabException("no placement policy named '" + wanted + "'; installed: " + names));
    }
}
