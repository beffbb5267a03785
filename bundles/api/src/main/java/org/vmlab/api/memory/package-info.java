/**
 * Guest memory as vmlab engines see it: 4 KiB pages addressed by page frame number, bulk access,
 * and a dirty log. Backends implement it; engines, detectors and policies only consume it.
 *
 * <p>2.0.0: the hash implementation {@code Xxh64} left the api, which holds only interfaces and
 * value types; backends and engines compute {@link org.vmlab.api.memory.GuestMemory#pageHash}'s
 * XXH64 with lz4-java.
 */
@Export
@Version("2.1.0")
package org.vmlab.api.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
