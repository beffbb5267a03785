package org.vmlab.kvs;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** What a protocol handler can do with the connection a command came on. */
interface Session {

    /** The store's commands. */
    Operations ops();

    /** The server, for stats and settings. */
    KvsServerImpl server();

    void write(byte[] bytes);

    default void write(byte[] bytes, int off, int len) {
        write(java.util.Arrays.copyOfRange(bytes, off, off + len));
    }

    default void line(String ascii) {
        write((ascii + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Calls {@code handler} with the next {@code len} bytes of input (a data block and its CRLF). */
    void expectData(int len, Consumer<byte[]> handler);

    /** Drops the next {@code len} bytes of input (the data of a refused storage command). */
    void swallow(long len);

    /** Whether replies may still be added before the client has read what is queued. */
    boolean hasRoom();

    /** Runs {@code rest} once the client has read the queued replies (a long multi-get). */
    void suspend(Runnable rest);

    /** Closes the connection once the queued replies are written. */
    void close();
}
