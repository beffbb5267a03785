package org.vmlab.api.migration;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Everything one migration is asked to do. Written by the shell or an experiment, recorded with
 * the results, so that the plan plus the bundle versions are enough to run it again. Start from
 * {@link #builder(String)}, which fills in the defaults.
 *
 * @param id            unique among this node's migrations: 1 to 63 letters, digits,
 *                      {@code _ . -}
 * @param vmId          the {@link org.vmlab.api.vm.Vm#id()} of the VM to migrate
 * @param destination   the destination's receiver, or {@code null} for this node's own receiver
 *                      (a local migration)
 * @param engine        the {@code vmlab.name} of the transfer engine, or {@code null} for the
 *                      engine family's default; {@link Migration#plan()} shows the resolved name
 * @param ordering      the {@code vmlab.name} of the ordering policy, or {@code null} for the
 *                      ordering family's default; resolved like {@code engine}
 * @param detector      the {@code vmlab.name} of the page-cache detector, or {@code null} for
 *                      none (no page-cache pages are sent by reference)
 * @param network       the shape of the network path
 * @param san           the shape of the SAN path, or {@code null} if there is none
 * @param downtimeLimit the longest the VM may stay paused, {@code > 0}; precopy engines switch
 *                      over once the remaining pages fit in it
 * @param maxRounds     the most precopy rounds before switching over anyway, {@code >= 1}
 * @param streams       parallel data-plane connections, 1 to {@value #MAX_STREAMS}
 * @param compress      whether page content is compressed on the wire
 * @param verify        whether the destination's memory is compared with the source's at the
 *                      pause
 * @param options       engine-specific settings (e.g. the postcopy fault mode), copied
 */
public record MigrationPlan(String id, String vmId, Endpoint destination, String engine,
                            String ordering, String detector, LinkSpec network, LinkSpec san,
                            Duration downtimeLimit, int maxRounds, int streams, boolean compress,
                            boolean verify, Map<String, String> options) {

    public static final Duration DEFAULT_DOWNTIME_LIMIT = Duration.ofMillis(300);
    public static final int DEFAULT_MAX_ROUNDS = 30;
    public static final int DEFAULT_STREAMS = 1;
    public static final int MAX_STREAMS = 64;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public MigrationPlan {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("bad migration id '" + id
                    + "': use 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        Objects.requireNonNull(vmId, "vmId");
        if (vmId.isBlank()) {
            throw new IllegalArgumentException("vmId is blank");
        }
        requireNullOrName("engine", engine);
        requireNullOrName("ordering", ordering);
        requireNullOrName("detector", detector);
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(downtimeLimit, "downtimeLimit");
        if (downtimeLimit.isNegative() || downtimeLimit.isZero()) {
            throw new IllegalArgumentException("downtimeLimit must be > 0: " + downtimeLimit);
        }
        if (maxRounds < 1) {
            throw new IllegalArgumentException("maxRounds must be >= 1: " + maxRounds);
        }
        if (streams < 1 || streams > MAX_STREAMS) {
            throw new IllegalArgumentException("streams must be 1.." + MAX_STREAMS + ": " + streams);
        }
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    /** A builder for migrating {@code vmId}, holding the defaults. */
    public static Builder builder(String vmId) {
        return new Builder(vmId);
    }

    /** A builder holding this plan's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Whether the destination is this node's own receiver. */
    public boolean isLocal() {
        return destination == null;
    }

    private static void requireNullOrName(String field, String value) {
        if (value != null && value.isBlank()) {
            throw new IllegalArgumentException(field + " is blank (use null for the default)");
        }
    }

    /**
     * Builds a {@link MigrationPlan}. Defaults: a random id ({@code m-} and 12 hex digits), the
     * local receiver, the default engine and ordering, no detector, an unlimited network and no
     * SAN, {@link #DEFAULT_DOWNTIME_LIMIT}, {@link #DEFAULT_MAX_ROUNDS}, {@link #DEFAULT_STREAMS},
     * no compression, no verification, no options. Values are checked by {@link #build()}.
     */
    public static final class Builder {
        private String id;
        private String vmId;
        private Endpoint destination;
        private String engine;
        private String ordering;
        private String detector;
        private LinkSpec network = LinkSpec.UNLIMITED;
        private LinkSpec san;
        private Duration downtimeLimit = DEFAULT_DOWNTIME_LIMIT;
        private int maxRounds = DEFAULT_MAX_ROUNDS;
        private int streams = DEFAULT_STREAMS;
        private boolean compress;
        private boolean verify;
        private final Map<String, String> options = new LinkedHashMap<>();

        private Builder(String vmId) {
            this.vmId = vmId;
        }

        private Builder(MigrationPlan p) {
            id = p.id;
            vmId = p.vmId;
            destination = p.destination;
            engine = p.engine;
            ordering = p.ordering;
            detector = p.detector;
            network = p.network;
            san = p.san;
            downtimeLimit = p.downtimeLimit;
            maxRounds = p.maxRounds;
            streams = p.streams;
            compress = p.compress;
            verify = p.verify;
            options.putAll(p.options);
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder vmId(String vmId) {
            this.vmId = vmId;
            return this;
        }

        /** The destination's receiver; {@code null} for this node's own. */
        public Builder destination(Endpoint destination) {
            this.destination = destination;
            return this;
        }

        public Builder engine(String engine) {
            this.engine = engine;
            return this;
        }

        public Builder ordering(String ordering) {
            this.ordering = ordering;
            return this;
        }

        public Builder detector(String detector) {
            this.detector = detector;
            return this;
        }

        public Builder network(LinkSpec network) {
            this.network = network;
            return this;
        }

        /** The SAN path; {@code null} for none. */
        public Builder san(LinkSpec san) {
            this.san = san;
            return this;
        }

        public Builder downtimeLimit(Duration downtimeLimit) {
            this.downtimeLimit = downtimeLimit;
            return this;
        }

        public Builder maxRounds(int maxRounds) {
            this.maxRounds = maxRounds;
            return this;
        }

        public Builder streams(int streams) {
            this.streams = streams;
            return this;
        }

        public Builder compress(boolean compress) {
            this.compress = compress;
            return this;
        }

        public Builder verify(boolean verify) {
            this.verify = verify;
            return this;
        }

        /** Sets one engine option; a {@code null} value removes it. */
        public Builder option(String key, String value) {
            Objects.requireNonNull(key, "key");
            if (value == null) {
                options.remove(key);
            } else {
                options.put(key, value);
            }
            return this;
        }

        /** Replaces all engine options. */
        public Builder options(Map<String, String> options) {
            this.options.clear();
            if (options != null) {
                this.options.putAll(options);
            }
            return this;
        }

        /**
         * The plan; each call without an explicit id gets a new random one.
         *
         * @throws IllegalArgumentException if a value is invalid
         */
        public MigrationPlan build() {
            String planId = id != null ? id
                    : "m-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            return new MigrationPlan(planId, vmId, destination, engine, ordering, detector,
                    network, san, downtimeLimit, maxRounds, streams, compress, verify, options);
        }
    }
}
