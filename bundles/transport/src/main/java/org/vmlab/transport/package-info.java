/**
 * The migration data plane: framed TCP connections with a versioned handshake and mutual
 * HMAC-SHA256 authentication by a shared secret ({@link org.vmlab.transport.FrameChannel},
 * {@link org.vmlab.transport.SharedSecret}), a per-link token-bucket rate limit
 * ({@link org.vmlab.transport.RateLimiter}) and page records with zero-page markers and optional
 * deflate compression ({@link org.vmlab.transport.PageBatch}).
 */
@Export
@Version("1.0.0")
package org.vmlab.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
