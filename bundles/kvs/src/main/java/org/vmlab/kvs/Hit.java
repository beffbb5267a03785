package org.vmlab.kvs;

/**
 * A copy of an item as a retrieval saw it, taken under the store's lock.
 *
 * @param flags        the client's flags
 * @param exptime      when it expires, seconds since the server started; 0 never
 * @param cas          its CAS unique
 * @param value        its data
 * @param lastAccess   when it was last touched before this access, seconds since the server started
 * @param fetchedBefore whether it had been fetched before this access
 * @param tier         the tier it was found in
 * @param clsid        its slab class
 */
record Hit(int flags, int exptime, long cas, byte[] value, int lastAccess, boolean fetchedBefore, String tier,
           int clsid) {
}
