package org.vmlab.transport;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One received frame: a type byte chosen by the protocol above and its payload.
 *
 * @param type    the frame type, 0 to 255
 * @param payload the payload (read-only view)
 */
public record Frame(int type, ByteBuffer payload) {
    public Frame {
        Objects.requireNonNull(payload, "payload");
        payload = payload.asReadOnlyBuffer();
    }

    public int length() {
        return payload.remaining();
    }

    /** A copy of the payload. */
    public byte[] bytes() {
        byte[] b = new byte[payload.remaining()];
        payload.duplicate().get(b);
        return b;
    }
}
