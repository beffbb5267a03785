package org.vmlab.api.storage;

import java.util.List;

/**
 * This node's NBD server.
 *
 * @param host         the address it listens on
 * @param port         its TCP port
 * @param exports      what it serves
 * @param connections  connections accepted so far
 * @param active       connections open now
 * @param requests     requests served
 * @param bytesRead    bytes read by clients
 * @param bytesWritten bytes written by clients
 * @param errors       requests answered with an error, and protocol violations
 * @since 1.2
 */
public record NbdServerStatus(String host, int port, List<ExportInfo> exports, long connections, int active,
                              long requests, long bytesRead, long bytesWritten, long errors) {
    public NbdServerStatus {
        exports = List.copyOf(exports);
    }
}
