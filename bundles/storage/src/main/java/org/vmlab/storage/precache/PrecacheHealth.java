package org.vmlab.storage.precache;

/** Whether a pre-caching session of this bundle is sending, for its status line. */
public interface PrecacheHealth {

    /** Why sending is stalled (backup site unreachable, ...), or null while it goes. */
    String problem();
}
