package org.vmlab.kvs;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.vmlab.api.VmlabException;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsService;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.tiering.TieringService;

/**
 * Starts tiered key-value servers on this node; stopping the component stops them all. Outside
 * OSGi, construct it with a {@link TieringService} and {@link #close()} it.
 */
@Component(service = KvsService.class, property = {"vmlab.family=kvs", "vmlab.name=tiered-memcached",
        "vmlab.description=Fogcached-style KVS: memcached text and meta protocols, Dual-LRU over DRAM and emulated NVM"})
public final class DefaultKvsService implements KvsService {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final TieringService tiering;
    private final Map<String, KvsServerImpl> servers = new ConcurrentHashMap<>();

    @Activate
    public DefaultKvsService(@Reference TieringService tiering) {
        this.tiering = Objects.requireNonNull(tiering, "tiering");
    }

    @Override
    public List<Parameter> options() {
        return KvsOptions.PARAMETERS;
    }

    @Override
    public synchronized KvsServer start(String name, Map<String, String> options) {
        String id = name == null ? nextId() : name;
        if (!NAME.matcher(id).matches()) {
            throw new IllegalArgumentException("bad server name '" + id
                    + "': use 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        if (servers.containsKey(id)) {
            throw new VmlabException("a key-value server '" + id + "' is running already (kvs:stop " + id + ")");
        }
        KvsOptions o = KvsOptions.of("kvs '" + id + "'", options);
        KvsServerImpl[] self = new KvsServerImpl[1];
        KvsServerImpl s = KvsServerImpl.start(id, o, tiering, () -> servers.remove(id, self[0]));
        self[0] = s;
        servers.put(id, s);
        return s;
    }

    private String nextId() {
        for (int i = 1; ; i++) {
            if (!servers.containsKey("kvs" + i)) {
                return "kvs" + i;
            }
        }
    }

    @Override
    public List<KvsServer> servers() {
        return servers.values().stream().sorted(java.util.Comparator.comparing(KvsServerImpl::id))
                .map(s -> (KvsServer) s).toList();
    }

    @Deactivate
    public void close() {
        for (KvsServerImpl s : List.copyOf(servers.values())) {
            s.close();
        }
    }
}
