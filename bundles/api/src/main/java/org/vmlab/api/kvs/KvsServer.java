package org.vmlab.api.kvs;

import java.net.InetSocketAddress;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/** One running key-value server. */
@ProviderType
public interface KvsServer extends AutoCloseable {

    String id();

    /** Where it listens (the real port when 0 was asked for). */
    InetSocketAddress address();

    /** Its effective options. */
    Map<String, String> options();

    KvsStats stats();

    /** Stops listening, closes every connection and frees its memory; idempotent. */
    @Override
    void close();
}
