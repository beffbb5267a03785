package org.vmlab.cluster;

import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.transport.SharedSecret;

/**
 * Migration orders through the cluster: the leader {@link #issue issues} one into the orders map,
 * the source node sees it, checks signature, epoch and quorum, runs the migration and writes the
 * outcome into the same entry, which the leader {@link #await awaits}. Orders expire after a day.
 */
final class OrderDesk implements EntryAddedListener<String, String> {
    private static final Logger LOG = LoggerFactory.getLogger(OrderDesk.class);
    private static final long TTL_HOURS = 24;
    private static final long POLL_MILLIS = 150;

    private final ClusterSettings settings;
    private final SharedSecret secret;
    private final IMap<String, String> orders;
    private final LeaderElection election;
    private final Supplier<MigrationService> migrations;
    private final Runnable publish;
    private final ExecutorService pool;

    OrderDesk(ClusterSettings settings, SharedSecret secret, HazelcastMember member, LeaderElection election,
              Supplier<MigrationService> migrations, Runnable publish, ExecutorService pool) {
        this.settings = settings;
        this.secret = secret;
        this.orders = member.map(HazelcastMember.ORDERS);
        this.election = election;
        this.migrations = migrations;
        this.publish = publish;
        this.pool = pool;
    }

    /** Puts a signed order for its source node; returns it as issued. */
    Order issue(String vm, String from, String to, Endpoint toEndpoint, String engine, boolean verify, String rate,
                long epoch, Duration timeout) {
        String id = "order-" + vm + "-" + UUID.randomUUID().toString().substring(0, 8);
        Order o = Order.issue(id, vm, from, to, toEndpoint.toString(), engine, verify, rate, settings.node(), epoch,
                timeout.toMillis(), secret);
        orders.set(id, Records.write(o), TTL_HOURS, TimeUnit.HOURS);
        return o;
    }

    /**
     * Waits for the order's outcome; gives up (returning the order as last seen, not final) when
     * {@code sourceGone} says its node left, or when its time is up.
     */
    Order await(Order issued, Predicate<String> sourceGone) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(issued.timeoutMs() + 15_000);
        Order last = issued;
        while (System.nanoTime() < deadline) {
            Order now = Records.read(orders.get(issued.id()), Order.class);
            if (now != null) {
                last = now;
                if (now.isFinal()) {
                    return now;
                }
            }
            if (sourceGone.test(issued.from())) {
                return last.withOutcome(last.status(), last.migrationId(), last.bytes(), last.timeMs(), last.verified(),
                        "node " + issued.from() + " left the cluster during the move");
            }
            Thread.sleep(POLL_MILLIS);
        }
        return last.withOutcome(last.status(), last.migrationId(), last.bytes(), last.timeMs(), last.verified(),
                "no outcome from " + issued.from() + " within " + (issued.timeoutMs() / 1000 + 15) + " s");
    }

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
        Order o = Records.read(event.getValue(), Order.class);
        if (o != null && settings.node().equals(o.from()) && Order.ISSUED.equals(o.status())) {
            pool.execute(() -> execute(o));
        }
    }

    private void execute(Order o) {
        String refused = refusal(o);
        if (refused != null) {
            LOG.warn("cluster order {} ({} to {}) refused: {}", o.id(), o.vm(), o.to(), refused);
            write(o.withOutcome(Order.REFUSED, "-", 0, 0, "-", refused));
            return;
        }
        MigrationPlan.Builder plan = MigrationPlan.builder(o.vm()).id(o.id()).destination(Endpoint.parse(o.toEndpoint()))
                .engine(o.engine()).verify(o.verify());
        if (o.rate() != null) {
            plan.network(LinkSpec.of(DataRate.parse(o.rate())));
        }
        Migration m;
        try {
            m = migrations.get().start(plan.build(), MigrationListener.NONE);
        } catch (RuntimeException e) {
            write(o.withOutcome(Order.FAILED, "-", 0, 0, "-", e.getMessage()));
            return;
        }
        LOG.info("cluster order {}: migrating {} to {} ({}) for {} in epoch {}", o.id(), o.vm(), o.to(),
                o.toEndpoint(), o.leader(), o.epoch());
        write(o.withOutcome(Order.RUNNING, m.id(), 0, 0, "-", ""));
        try {
            MigrationReport r = m.result().toCompletableFuture().get(o.timeoutMs(), TimeUnit.MILLISECONDS);
            publish.run();
            boolean ok = r.status() == MigrationStatus.COMPLETED;
            write(o.withOutcome(ok ? Order.COMPLETED : Order.FAILED, m.id(), r.bytesNetwork(), r.totalTimeMs(),
                    r.verified().name().toLowerCase(Locale.ROOT), ok ? "" : r.failureReason()));
        } catch (TimeoutException e) {
            m.cancel();
            write(o.withOutcome(Order.FAILED, m.id(), 0, o.timeoutMs(), "-", "timed out after " + o.timeoutMs() + " ms; cancelled"));
        } catch (InterruptedException e) {
            m.cancel();
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            write(o.withOutcome(Order.FAILED, m.id(), 0, 0, "-", String.valueOf(e.getCause())));
        }
    }

    /** Why this node must not run the order, or null. */
    private String refusal(Order o) {
        if (!o.signedBy(secret)) {
            return "bad signature (not signed with this cluster's secret)";
        }
        String stale = election.staleReason(o.leader(), o.epoch());
        if (stale != null) {
            return "stale decision: " + stale;
        }
        if (migrations.get() == null) {
            return "no migration service on " + settings.node() + " (feature vmlab-engines)";
        }
        return null;
    }

    private void write(Order o) {
        try {
            orders.set(o.id(), Records.write(o), TTL_HOURS, TimeUnit.HOURS);
        } catch (RuntimeException e) {
            LOG.warn("cannot record the outcome of cluster order {}: {}", o.id(), e.toString());
        }
    }
}
