package org.vmlab.hotplug;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import org.vmlab.api.VmlabException;

/** Runs one action per item on threads of its own and waits for all: the VMs of a job act together. */
final class Parallel {
    private Parallel() {
    }

    /**
     * The results by item, in order.
     *
     * @throws VmlabException the first failure (after every action ended), naming its item
     */
    static <T, R> Map<T, R> each(List<T> items, Function<T, String> name, Function<T, R> action) {
        Map<T, Object> outcomes = run(items, action);
        for (Map.Entry<T, Object> e : outcomes.entrySet()) {
            if (e.getValue() instanceof Failure f) {
                throw f.error() instanceof VmlabException v ? v
                        : new VmlabException(name.apply(e.getKey()) + ": " + f.error().getMessage(), f.error());
            }
        }
        @SuppressWarnings("unchecked")
        Map<T, R> ok = (Map<T, R>) (Map<T, ?>) outcomes;
        return ok;
    }

    /** Each item's result, or a {@link Failure}. */
    static <T, R> Map<T, Object> run(List<T> items, Function<T, R> action) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, items.size()), r -> {
            Thread t = new Thread(r, "vmlab-job");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<R>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit(() -> action.apply(item)));
            }
            Map<T, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < items.size(); i++) {
                try {
                    out.put(items.get(i), futures.get(i).get());
                } catch (ExecutionException e) {
                    out.put(items.get(i), new Failure(e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.put(items.get(i), new Failure(e));
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    record Failure(Throwable error) {
    }
}
