/**
 * The migration data plane: framed TCP connections with a versioned handshake and mutual
 * HMAC-SHA256 authentication by a shared secret ({@link org.vmlab.transport.FrameChannel},
 * {@link org.vmlab.transport.SharedSecret}), optional TLS 1.3 with pinned certificates
 * ({@link org.vmlab.transport.TlsContext}), a per-link token-bucket rate limit over every byte on
 * the socket ({@link org.vmlab.transport.RateLimiter}) and page records with zero-page markers and
 * optional LZ4 compression ({@link org.vmlab.transport.PageBatch},
 * {@link org.vmlab.transport.Lz4Block}).
 */
@Export
@Version("1.3.0")
package org.vmlab.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
