package org.vmlab.api.kvs;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.parameter.Parameter;

/**
 * Starts and tracks tiered key-value servers speaking the memcached text and meta protocols.
 * Registered with {@code vmlab.family=kvs} and a unique {@code vmlab.name}.
 */
@ProviderType
public interface KvsService {

    /** The options {@link #start} takes (port, tier sizes, models, mode, limits). */
    List<Parameter> options();

    /**
     * Starts a server; it listens before this returns.
     *
     * @param name    the server's id, unique on this node; {@code null} for the next free {@code kvsN}
     * @param options checked against {@link #options()}
     * @throws IllegalArgumentException     naming a bad option
     * @throws org.vmlab.api.VmlabException if it cannot listen or get its memory
     */
    KvsServer start(String name, Map<String, String> options);

    /** The running servers, by id. */
    List<KvsServer> servers();

    default Optional<KvsServer> server(String id) {
        return servers().stream().filter(s -> s.id().equals(id)).findFirst();
    }
}
