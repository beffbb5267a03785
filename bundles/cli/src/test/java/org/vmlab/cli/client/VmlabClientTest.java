package org.vmlab.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.cli.protocol.ControlProtocol;
import org.vmlab.cli.protocol.ControlProtocol.Request;

/** The client against real Unix sockets whose far end behaves well, badly, or not at all. */
class VmlabClientTest {
    @TempDir
    Path dir;

    @Test
    void requestRoundTrips() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Request sent = new Request(ControlProtocol.FLAG_STDOUT_TTY, 99, "/home/r/exp ünï", List.of("policy:list", "ünïcode", ""));
        ControlProtocol.writeRequest(new DataOutputStream(bytes), sent);
        Request got = ControlProtocol.readRequest(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(sent, got);
        assertTrue(got.stdoutIsTerminal());
    }

    @Test
    void garbageRequestsAreRefusedWithAReason() {
        byte[] junk = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        var e = assertThrows(ControlProtocol.ProtocolException.class,
                () -> ControlProtocol.readRequest(new DataInputStream(new ByteArrayInputStream(junk))));
        assertTrue(e.getMessage().contains("not a vmlab control request"), e.getMessage());
        ByteArrayOutputStream huge = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(huge);
        try {
            out.writeInt(ControlProtocol.MAGIC);
            out.writeInt(ControlProtocol.VERSION);
            out.writeInt(0);
            out.writeInt(80);
            out.writeInt(0); // no working directory
            out.writeInt(1);
            out.writeInt(Integer.MAX_VALUE);
        } catch (IOException impossible) {
            throw new AssertionError(impossible);
        }
        var tooLong = assertThrows(ControlProtocol.ProtocolException.class,
                () -> ControlProtocol.readRequest(new DataInputStream(new ByteArrayInputStream(huge.toByteArray()))));
        assertTrue(tooLong.getMessage().contains("bad length"), tooLong.getMessage());
        ByteArrayOutputStream oldClient = new ByteArrayOutputStream();
        try {
            DataOutputStream o = new DataOutputStream(oldClient);
            o.writeInt(ControlProtocol.MAGIC);
            o.writeInt(1);
        } catch (IOException impossible) {
            throw new AssertionError(impossible);
        }
        var old = assertThrows(ControlProtocol.ProtocolException.class,
                () -> ControlProtocol.readRequest(new DataInputStream(new ByteArrayInputStream(oldClient.toByteArray()))));
        assertTrue(old.getMessage().contains("version 1"), old.getMessage());
    }

    @Test
    void copiesOutputAndReturnsTheCommandsStatus() throws Exception {
        Path socket = dir.resolve("ok.sock");
        Captured c = runAgainst(socket, peer -> {
            try {
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(peer));
                Request r = ControlProtocol.readRequest(new DataInputStream(Channels.newInputStream(peer)));
                byte[] msg = ("ran " + r.args() + "\n").getBytes(StandardCharsets.UTF_8);
                ControlProtocol.writeFrame(out, ControlProtocol.FRAME_STDOUT, msg, 0, msg.length);
                byte[] err = "warned\n".getBytes(StandardCharsets.UTF_8);
                ControlProtocol.writeFrame(out, ControlProtocol.FRAME_STDERR, err, 0, err.length);
                ControlProtocol.writeExit(out, 7);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "policy:list", "--json");
        assertEquals(7, c.status);
        assertEquals("ran [policy:list, --json]\n", c.stdout);
        assertEquals("warned\n", c.stderr);
    }

    @Test
    void aPeerThatHangsUpMidCommandIsReportedNotHungOn() throws Exception {
        Captured c = runAgainst(dir.resolve("hangup.sock"), peer -> {
            try {
                peer.read(ByteBuffer.allocate(256));
                peer.write(ByteBuffer.wrap(new byte[] {ControlProtocol.FRAME_STDOUT, 0, 0}));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "policy:list");
        assertEquals(VmlabClient.EXIT_NO_INSTANCE, c.status);
        assertTrue(c.stderr.startsWith("Error: lost the vmlab instance"), c.stderr);
    }

    @Test
    void aPeerThatSendsGarbageFramesIsRefused() throws Exception {
        Captured c = runAgainst(dir.resolve("garbage.sock"), peer -> {
            try {
                peer.read(ByteBuffer.allocate(256));
                peer.write(ByteBuffer.wrap(new byte[] {9, 0, 0, 0, 1, 42}));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "policy:list");
        assertEquals(VmlabClient.EXIT_NO_INSTANCE, c.status);
        assertTrue(c.stderr.contains("unknown frame type 9"), c.stderr);
    }

    @Test
    void noInstanceGivesExitThree() {
        Captured c = capture(() -> VmlabClient.run(new String[] {"--socket", dir.resolve("absent.sock").toString(), "policy:list"}));
        assertEquals(VmlabClient.EXIT_NO_INSTANCE, c.status);
        assertTrue(c.stderr.startsWith("Error: no vmlab instance answers"), c.stderr);
        assertEquals(ControlProtocol.EXIT_USAGE, capture(() -> VmlabClient.run(new String[] {"policy:list"})).status);
    }

    private record Captured(int status, String stdout, String stderr) {
    }

    private Captured runAgainst(Path socket, Consumer<SocketChannel> peer, String... args) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> {
                try (SocketChannel c = server.accept()) {
                    peer.accept(c);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            String[] argv = new String[args.length + 2];
            argv[0] = "--socket";
            argv[1] = socket.toString();
            System.arraycopy(args, 0, argv, 2, args.length);
            Captured c = capture(() -> VmlabClient.run(argv));
            serving.get(10, TimeUnit.SECONDS);
            return c;
        }
    }

    private static synchronized Captured capture(java.util.function.IntSupplier body) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = body.getAsInt();
            return new Captured(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
