package org.vmlab.engines;

import java.io.EOFException;
import java.io.IOException;

import org.vmlab.engines.Messages.Message;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.TransportException;

/**
 * One connection of the migration protocol: typed messages over a {@link FrameChannel}. Waiting
 * for the next frame skips PINGs and turns the peer's ERROR into an exception carrying its reason.
 */
final class MigrationChannel implements AutoCloseable {

    /** Reads a message from a frame. */
    interface Reader<T> {
        T read(Frame f) throws IOException;
    }

    private final FrameChannel channel;

    MigrationChannel(FrameChannel channel) {
        this.channel = channel;
    }

    FrameChannel frames() {
        return channel;
    }

    void send(Message m) throws IOException {
        channel.send(m.type().code, m.bytes());
    }

    /** A frame without payload. */
    void send(FrameType signal) throws IOException {
        channel.send(signal.code);
    }

    /** A bulk payload (a page batch, a piece of hypervisor stream), sent without a copy. */
    void send(FrameType type, byte[] payload, int off, int len) throws IOException {
        channel.send(type.code, payload, off, len);
    }

    /** Sends an ABORT or ERROR as a last word: the link may already be gone. */
    void sendQuietly(Message m) {
        try {
            send(m);
        } catch (IOException | RuntimeException ignored) {
            // the peer also gives up when the connection drops
        }
    }

    /** Sends a last signal (DONE): the peer may close first. */
    void sendQuietly(FrameType signal) {
        try {
            send(signal);
        } catch (IOException | RuntimeException ignored) {
            // nothing more is expected of the peer
        }
    }

    /** The next frame, whatever it is (PING included), at most {@code maxLength} bytes. */
    Frame receive(int maxLength) throws IOException {
        return channel.receive(maxLength);
    }

    Frame receive() throws IOException {
        return channel.receive();
    }

    /** The next frame, valid only until the next receive (for readers that consume it at once). */
    Frame receiveReusing() throws IOException {
        return channel.receiveReusing();
    }

    /** Sends a page batch as one frame. */
    void send(FrameType type, org.vmlab.transport.PageBatch.Writer batch) throws IOException {
        batch.sendOn(channel, type.code);
    }

    /**
     * The next frame other than a PING.
     *
     * @throws TransportException with the peer's reason if it is an ERROR
     */
    Frame next() throws IOException {
        while (true) {
            Frame f = channel.receive();
            FrameType t = FrameType.of(f.type());
            if (t == FrameType.ERROR) {
                throw new TransportException("destination failed: " + Messages.Reason.read(f));
            }
            if (t != FrameType.PING) {
                return f;
            }
        }
    }

    /** The next frame other than a PING, which must be of {@code type}. */
    Frame expect(FrameType type) throws IOException {
        return requireType(next(), type);
    }

    /** The next message, which must be of {@code type}. */
    <T> T expect(FrameType type, Reader<T> reader) throws IOException {
        return read(expect(type), reader);
    }

    /** {@code f}, checked to be of {@code type}. */
    static Frame requireType(Frame f, FrameType type) throws TransportException {
        FrameType got = FrameType.of(f.type());
        if (got != type) {
            throw new TransportException("expected " + type + " from the peer, got " + got);
        }
        return f;
    }

    /** Reads a message; a payload that ends early is a protocol error, not an EOF. */
    static <T> T read(Frame f, Reader<T> reader) throws IOException {
        try {
            return reader.read(f);
        } catch (EOFException | java.nio.BufferUnderflowException e) {
            throw new TransportException("truncated " + FrameType.of(f.type()) + " frame");
        }
    }

    long bytesSent() {
        return channel.bytesSent();
    }

    long lastSendNanos() {
        return channel.lastSendNanos();
    }

    boolean isClosed() {
        return channel.isClosed();
    }

    @Override
    public void close() {
        channel.close();
    }
}
