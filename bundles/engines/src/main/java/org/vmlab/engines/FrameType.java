package org.vmlab.engines;

import org.vmlab.transport.TransportException;

/**
 * The frame types of vmlab's migration protocol on top of {@link org.vmlab.transport.FrameChannel}
 * (transport protocol version 4); the payload of each is one {@link Messages} record, raw pages
 * ({@link org.vmlab.transport.PageBatch}) or raw hypervisor stream, or nothing (a signal).
 *
 * <pre>
 * control (source -> destination): OPEN -> READY | ERROR
 * data (one connection per stream):  ATTACH, PAGES*, FLUSH
 * precopy switchover:  SWITCHOVER -> [HASHES*, VERIFY_READY]; COMMIT -> RESUMED | ABORT
 * postcopy switchover: POSTCOPY_SWITCH -> POSTCOPY_READY; COMMIT -> RESUMED; then, until every
 *                      missing page is in: destination REQUEST -> source PAGES on the control
 *                      connection (ahead of the push on the data streams); destination PROGRESS
 *                      every second; at the end COMPLETE [HASHES*, VERIFY_READY] -> DONE
 * native tunnel (one connection; the hypervisor's own stream):
 *                      NATIVE_OPEN -> READY | ERROR; STREAM*, STREAM_END -> LOADED;
 *                      [VERIFY -> HASHES*, VERIFY_READY]; COMMIT -> RESUMED | ABORT
 * page-cache teleport (control connection, during precopy; {@link TeleportMessages}):
 *                      SAN_OPEN -> SAN_READY | ERROR; TELEPORT -> TELEPORTED (the source keeps two in flight)
 * PING on any connection keeps an idle link alive; ERROR from the destination ends it.
 * </pre>
 *
 * The codes are the wire's: never renumber one.
 */
enum FrameType {
    OPEN(1), READY(2), ATTACH(3), PAGES(4), FLUSH(5), SWITCHOVER(6), HASHES(7), VERIFY_READY(8), COMMIT(9),
    ABORT(10), RESUMED(11), PING(12), ERROR(13), POSTCOPY_SWITCH(14), POSTCOPY_READY(15), REQUEST(16),
    PROGRESS(17), COMPLETE(18), DONE(19), NATIVE_OPEN(20), STREAM(21), STREAM_END(22), LOADED(23), VERIFY(24),
    SAN_OPEN(25), SAN_READY(26), TELEPORT(27), TELEPORTED(28);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    /** The type byte on the wire. */
    final int code;

    FrameType(int code) {
        this.code = code;
    }

    /**
     * The type of a received frame.
     *
     * @throws TransportException for a code this protocol does not know (a broken or foreign peer)
     */
    static FrameType of(int code) throws TransportException {
        FrameType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) {
            throw new TransportException("unknown frame type " + code);
        }
        return t;
    }
}
