package org.vmlab.storage;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.DataRate;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.transport.LinkModel;

/**
 * The WAN model a storage link goes through, as options: when any is given the service relays
 * the link through a {@link org.vmlab.transport.WanLink} on loopback.
 */
final class LinkParameters {
    private LinkParameters() {
    }

    static final Parameter RATE = Parameter.text("link-rate", "",
            "emulated WAN bottleneck rate, e.g. 100m (empty: the link as it is)");
    static final Parameter RTT = Parameter.duration("link-rtt", "0ms", "emulated WAN round-trip time, e.g. 150ms");
    static final Parameter JITTER = Parameter.duration("link-jitter", "0ms",
            "emulated WAN jitter: up to this much extra one-way delay per segment");
    static final Parameter LOSS = Parameter.decimal("link-loss", "0", 0, 0.5,
            "emulated WAN loss: probability that a 64 KiB segment costs one retransmission timeout");

    static final List<Parameter> ALL = List.of(RATE, RTT, JITTER, LOSS);

    /** Splits {@code given} into the link model (if any option is set) and the rest. */
    static LinkModel take(Map<String, String> given, Map<String, String> rest) {
        Map<String, String> mine = new HashMap<>();
        for (Map.Entry<String, String> e : given.entrySet()) {
            if (ALL.stream().anyMatch(p -> p.name().equals(e.getKey()))) {
                mine.put(e.getKey(), e.getValue());
            } else {
                rest.put(e.getKey(), e.getValue());
            }
        }
        if (mine.isEmpty()) {
            return null;
        }
        ParameterValues v = ParameterSet.options("the WAN link", ALL).validate(mine);
        String rate = v.text(RATE.name());
        Duration rtt = v.duration(RTT.name());
        return new LinkModel(rate.isEmpty() ? DataRate.UNLIMITED : DataRate.parse(rate), rtt,
                v.duration(JITTER.name()), v.decimal(LOSS.name()), LinkModel.DEFAULT_WINDOW);
    }
}
