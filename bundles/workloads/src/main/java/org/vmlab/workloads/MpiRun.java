package org.vmlab.workloads;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;
import org.vmlab.api.hotplug.GuestAgent;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;

/**
 * A run of the {@link MpiWorkload}: one rank task. Wire format, big-endian: on connect a hello
 * {@code [int HELLO][int rank]}, then messages {@code [int MSG][int rank][long iteration]
 * [int length][length bytes]}, whose first 8 body bytes carry the value {@link MessageLedger}
 * checks. Each rank sends on the connections it opens to its peers and receives on the
 * connections they open to it. With an {@code ivshmem} pass-through device attached, messages to
 * peers whose device path is open go through shared-memory rings instead (the fast path); TCP
 * stays the fallback path over the VMM-mediated network. The run is its guest's agent
 * ({@link GuestAgent}): it holds at a barrier, closes and re-opens the device path on request.
 */
public final class MpiRun extends AbstractRun implements GuestAgent {

    private static final Logger LOG = LoggerFactory.getLogger(MpiRun.class);

    static final int HELLO = 0x4d504948; // "MPIH"
    static final int MSG = 0x4d50494d;   // "MPIM"
    static final long RETRY_NANOS = 50_000_000L;
    static final long STEP_BUDGET_NANOS = 200_000;
    static final int IO_BUDGET_BYTES = 256 * 1024;

    static final int S_DATA_FIRST = 0;
    static final int S_DATA_COUNT = 1;
    static final int S_RANK = 2;
    static final int G_ITERATIONS = 0;
    static final int G_CURSOR = 1;
    static final int G_ACC = 2;

    private final int rank;
    private final List<InetSocketAddress> peers;
    private final int listen;
    private final long computeNanos;
    private final int messageSize;
    private final long iterationLimit;
    private final GuestHeader header;
    private final ByteBuffer payload;
    private volatile ServerSocketChannel server;
    private long bindRetryAt;
    private boolean bindWarned;
    private final List<Out> outs = new ArrayList<>();
    private final List<MessageStream> ins = new ArrayList<>();
    /** Highest iteration received, by peer rank. */
    private final Map<Integer, Long> received = new ConcurrentHashMap<>();
    private final long startNanos = System.nanoTime();
    private volatile long iterations;
    private volatile boolean finished;
    private final MessageLedger ledger;
    private final RankAgent agent;
    private final DevicePath path;

    MpiRun(Vm vm, ParameterValues values, Map<String, String> effective, GuestHeader found) {
        super(MpiWorkload.NAME, vm, effective);
        this.rank = (int) values.integer("rank");
        this.peers = parsePeers(values);
        this.listen = (int) values.integer("listen");
        this.path = new DevicePath(rank, listen);
        if (!peers.isEmpty() && listen == 0) {
            throw values.bad("listen", "the other ranks need this rank's port when peers are given");
        }
        this.computeNanos = (long) (values.decimal("compute-ms") * 1e6);
        this.messageSize = (int) values.bytes("message-size");
        this.iterationLimit = values.integer("iterations");
        if (found == null) {
            long pages = values.bytes("memory") / Pages.SIZE;
            FrameRange region = AbstractWorkload.allocate(MpiWorkload.NAME, vm, pages, "memory");
            header = GuestHeader.create(vm.memory(), MpiWorkload.NAME, region, 1,
                    new long[] {region.first() + 1, region.count() - 1, rank}, effective);
        } else {
            header = found;
            if (header.staticWord(S_RANK) != rank) {
                throw values.bad("rank", "the guest's state belongs to rank " + header.staticWord(S_RANK));
            }
        }
        this.iterations = header.global(G_ITERATIONS);
        this.ledger = new MessageLedger(header);
        this.agent = new RankAgent(header, rank);
        this.payload = ByteBuffer.allocateDirect(messageSize);
        long x = rank * 0x9E3779B97F4A7C15L;
        while (payload.remaining() >= 8) {
            x += 0x9E3779B97F4A7C15L;
            payload.putLong(Mix.mix64(x));
        }
        payload.clear();
        if (listen != 0) {
            try {
                this.server = bind(values, listen);
            } catch (IllegalArgumentException e) {
                if (found == null) {
                    throw e;
                }
                // resumed on a migration destination while the source still holds the port:
                // bind again from the steps until it is free
                LOG.info("mpi rank {} on VM {}: port {} still taken, binding when it is free", rank,
                        vm.id(), listen);
            }
        }
        for (InetSocketAddress p : peers) {
            outs.add(new Out(p));
        }
    }

    private static List<InetSocketAddress> parsePeers(ParameterValues values) {
        String text = values.text("peers").trim();
        List<InetSocketAddress> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        for (String item : text.split(",")) {
            String s = item.trim();
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw values.bad("peers", "'" + s + "' is not host:port");
            }
            String host = s.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw values.bad("peers", "'" + s + "' has no numeric port");
            }
            if (port < 1 || port > 65535) {
                throw values.bad("peers", "port " + port + " of '" + s + "' is out of range 1..65535");
            }
            InetSocketAddress a = new InetSocketAddress(host, port);
            if (a.isUnresolved()) {
                throw values.bad("peers", "host '" + host + "' cannot be resolved");
            }
            out.add(a);
        }
        return out;
    }

    private void retryBind(long now) {
        if (now < bindRetryAt) {
            return;
        }
        bindRetryAt = now + RETRY_NANOS;
        try {
            server = bind(null, listen);
        } catch (IllegalArgumentException e) {
            if (!bindWarned && now - startNanos > 10_000_000_000L) {
                bindWarned = true;
                LOG.warn("mpi rank {} on VM {}: port {} is still taken after 10 s; retrying", rank, vm.id(), listen);
            }
        }
    }

    private static ServerSocketChannel bind(ParameterValues values, int port) {
        ServerSocketChannel s = null;
        try {
            s = ServerSocketChannel.open();
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            s.configureBlocking(false);
            return s;
        } catch (IOException e) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
            if (values == null) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            throw values.bad("listen", "cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
        }
    }

    @Override
    GuestHeader guestState() {
        return header;
    }

    @Override
    protected void startTasks() {
        submit("rank-" + rank, new Rank());
    }

    @Override
    protected void closeResources() {
        agent.refuseAll("the mpi run on VM '" + vm.id() + "' stopped");
        path.close();
        close(server);
        for (Out o : outs) {
            close(o.ch);
        }
        for (MessageStream i : ins) {
            close(i.ch);
        }
    }

    private static void close(java.nio.channels.Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Iterations completed, as guest memory records them (continues across resume). */
    public long iterations() {
        return iterations;
    }

    /** Whether the run reached its {@code iterations} limit (it keeps serving peers). */
    public boolean finished() {
        return finished;
    }

    /** The port this rank listens on, or 0. */
    public int listenPort() {
        return listen;
    }

    /** Whether messages now go through a pass-through device (the fast path). */
    public boolean fastPath() {
        return path.isOpen();
    }

    /** Messages delivered once, gaps found and corrupt values seen (all 0 in a correct run). */
    public long delivered() {
        return ledger.delivered();
    }

    public long lost() {
        return ledger.lost();
    }

    public long corrupt() {
        return ledger.corrupt();
    }

    /** The rank's result: the sum of the values of every message delivered, in hex. */
    public String result() {
        return ledger.values().get("result");
    }

    @Override
    public AgentReply handle(AgentRequest request, Duration timeout) {
        return agent.ask(request, timeout, "the mpi agent of VM '" + vm.id() + "'");
    }

    /** The number of peers this rank has received a hello from. */
    public int peersHeard() {
        return received.size();
    }

    /** One outgoing connection, to a peer's listen port: this rank's messages go here. */
    private final class Out {
        final InetSocketAddress address;
        SocketChannel ch;
        boolean connected;
        long retryAt;
        long sent = -1; // highest iteration fully written on this connection
        final Deque<Queued> queue = new ArrayDeque<>();
        int failures;
        int ringPeer = -1; // the peer rank whose ring epoch we last saw
        long ringEpoch;

        Out(InetSocketAddress address) {
            this.address = address;
        }

        void enqueue(long iter) {
            ByteBuffer head = ByteBuffer.allocate(20);
            head.putInt(MSG).putInt(rank).putLong(iter).putInt(messageSize).flip();
            ByteBuffer value = ByteBuffer.allocate(8).putLong(0, MessageLedger.value(rank, iter));
            value.limit(Math.min(8, messageSize));
            ByteBuffer body = payload.duplicate().position(value.limit());
            queue.add(new Queued(new ByteBuffer[] {head, value, body}, iter, fastRing(this), fastPeer(this)));
        }

        void broken(long now, IOException e) {
            close(ch);
            ch = null;
            connected = false;
            queue.clear();
            sent = -1;
            retryAt = now + RETRY_NANOS;
            if (++failures == 100) {
                LOG.info("mpi rank {} on VM {}: peer {} not reachable yet ({}), still retrying",
                        rank, vm.id(), address, e.toString());
            }
        }
    }

    /** A message (or hello) waiting to be written, and the ring it goes through (null: TCP). */
    private record Queued(ByteBuffer[] bufs, long iter, ShmRing ring, int peer) {
        /** Whether it was meant for a ring but nothing is written yet and the peer closed its path: send it by TCP. */
        boolean strandedBy(ShmFabric f) {
            return ring != null && bufs[0].position() == 0 && (f == null || !f.isOpen(peer));
        }
    }

    /** The ring to this Out's peer when both device paths are open, else null (TCP). */
    private ShmRing fastRing(Out o) {
        int peer = fastPeer(o);
        return peer < 0 ? null : path.ringTo(peer);
    }

    /** The rank of this Out's peer when both device paths are open, else -1. */
    private int fastPeer(Out o) {
        return path.openPeer(o.address.getPort());
    }

    private final class Rank implements GuestTask, RankAgent.Rank {
        private final GuestMemory mem = vm.memory();
        private final long first = header.staticWord(S_DATA_FIRST);
        private final long count = header.staticWord(S_DATA_COUNT);
        private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
        private final ByteBuffer probe = ByteBuffer.allocate(64);
        /** The footprint: the compute loop's memory, filled with data before the first iteration. */
        private final PrivateMemory footprint = new PrivateMemory(mem, header, MessageLedger.G_FILLED, 0, first, count);
        private long cursor = header.global(G_CURSOR);
        private long acc = header.global(G_ACC);
        private long spent;
        private boolean exchanging;
        private boolean started;

        @Override
        public boolean step() {
            long start = System.nanoTime();
            long deadline = start + STEP_BUDGET_NANOS;
            if (!started) {
                started = true;
                passthrough().ifPresent(d -> openPath(d));
            }
            boolean progress = pump(start, deadline);
            boolean held = agent.step(this);
            if (finished || held) {
                idle(progress);
                return true;
            }
            if (!footprint.ready()) {
                footprint.fillStep();
                return true;
            }
            if (!exchanging) {
                compute(deadline);
                if (spent >= computeNanos) {
                    exchanging = true;
                    for (Out o : outs) {
                        if (o.connected) {
                            o.enqueue(iterations);
                        }
                    }
                    progress |= pump(System.nanoTime(), deadline + STEP_BUDGET_NANOS);
                }
                progress = true;
            }
            if (exchanging) {
                if (barrierReached()) {
                    exchanging = false;
                    spent = 0;
                    iterations++;
                    header.setGlobal(G_ITERATIONS, iterations);
                    ops.add(1);
                    if (iterationLimit > 0 && iterations >= iterationLimit) {
                        finished = true;
                        LOG.info("mpi rank {} on VM {}: {} iterations done", rank, vm.id(), iterations);
                    }
                } else {
                    idle(progress);
                }
            }
            return true;
        }

        @Override
        public long iteration() {
            return iterations;
        }

        @Override
        public boolean finished() {
            return finished;
        }

        @Override
        public boolean between() {
            return !exchanging;
        }

        @Override
        public boolean peerAhead() {
            for (long r : received.values()) {
                if (r >= iterations) {
                    return true;
                }
            }
            return midMessage(path.incoming()) || midMessage(ins);
        }

        /** Whether a message is arriving on one of these streams (it may be the one this rank needs). */
        private boolean midMessage(List<MessageStream> streams) {
            for (MessageStream in : streams) {
                if (in.bodyLeft > 0 || (in.peer >= 0 && in.head.position() > 0)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public Optional<DeviceSpec> device() {
            return passthrough();
        }

        @Override
        public boolean pathOpen() {
            return path.isOpen();
        }

        @Override
        public Map<String, String> counters() {
            return ledger.values();
        }

        private Optional<DeviceSpec> passthrough() {
            return vm.devices().stream()
                    .filter(d -> d.passthrough() && "ivshmem".equals(d.type()) && d.properties().containsKey("path"))
                    .findFirst();
        }

        @Override
        public void openPath(DeviceSpec d) {
            closePath();
            path.open(Path.of(d.properties().get("path")));
            LOG.debug("mpi rank {} on VM {}: fast path {} through {}", rank, vm.id(), path.isOpen() ? "open" : "unavailable", d.id());
        }

        @Override
        public void closePath() {
            path.close();
            for (Out o : outs) {
                o.ringPeer = -1;
            }
        }

        private void idle(boolean progress) {
            if (!progress) {
                LockSupport.parkNanos(50_000);
            }
        }

        private boolean barrierReached() {
            long cur = iterations;
            for (Out o : outs) {
                if (o.sent < cur) {
                    return false;
                }
            }
            int have = 0;
            for (long r : received.values()) {
                if (r >= cur) {
                    have++;
                }
            }
            return have >= peers.size();
        }

        /** A slice of the compute loop: reads and rewrites words of the rank's memory. */
        private void compute(long deadline) {
            long t0 = System.nanoTime();
            long budget = Math.min(deadline, t0 + Math.max(0, computeNanos - spent));
            int n = 0;
            do {
                long off = Pages.offset(first + cursor);
                long a = mem.getLong(off + 8) ^ mem.getLong(off + 2048) ^ mem.getLong(off + 4088);
                acc = Mix.mix64(acc + a + iterations);
                mem.putLong(off, acc);
                cursor = cursor + 1 == count ? 0 : cursor + 1;
                n++;
            } while (((n & 15) != 0 || System.nanoTime() < budget) && n < 100_000);
            spent += System.nanoTime() - t0;
            header.setGlobal(G_CURSOR, cursor);
            header.setGlobal(G_ACC, acc);
        }

        /** Non-blocking network work: accept, connect, write, read. Returns whether anything moved. */
        private boolean pump(long now, long deadline) {
            boolean progress = false;
            if (server == null && listen != 0) {
                retryBind(now);
            }
            if (server != null) {
                for (int i = 0; i < 8; i++) {
                    SocketChannel c;
                    try {
                        c = server.accept();
                    } catch (IOException e) {
                        break;
                    }
                    if (c == null) {
                        break;
                    }
                    try {
                        c.configureBlocking(false);
                        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        ins.add(new MessageStream(c));
                        progress = true;
                    } catch (IOException e) {
                        close(c);
                    }
                }
            }
            int budget = IO_BUDGET_BYTES;
            for (Out o : outs) {
                progress |= connect(o, now);
                if (o.connected && peerClosed(o, now)) {
                    continue;
                }
                if (o.connected) {
                    resendIfReopened(o);
                }
                if (o.connected) {
                    int w = write(o, now, budget);
                    budget -= w;
                    progress |= w > 0;
                }
            }
            for (MessageStream in : path.incoming()) {
                int r = read(in, budget);
                if (r < 0) {
                    in.resync();
                } else {
                    budget -= r;
                    progress |= r > 0;
                }
            }
            for (int i = 0; i < ins.size() && System.nanoTime() < deadline + STEP_BUDGET_NANOS; i++) {
                MessageStream in = ins.get(i);
                int r = read(in, budget);
                if (r < 0) {
                    close(in.ch);
                    ins.remove(i--);
                } else {
                    budget -= r;
                    progress |= r > 0;
                }
            }
            return progress;
        }

        /**
         * Whether the peer closed the connection this rank sends on (it never sends on it, so
         * end of stream or an error means it went away, e.g. a migrated rank's old instance).
         */
        private boolean peerClosed(Out o, long now) {
            try {
                probe.clear();
                if (o.ch.read(probe) >= 0) {
                    return false;
                }
                o.broken(now, new IOException("closed by the peer"));
            } catch (IOException e) {
                o.broken(now, e);
            }
            return true;
        }

        /** A peer that (re)opened its side of our ring dropped what was in it: send the last messages again. */
        private void resendIfReopened(Out o) {
            if (!path.isOpen()) {
                return;
            }
            int peer = fastPeer(o);
            if (peer < 0) {
                o.ringPeer = -1;
                return;
            }
            long epoch = path.ringTo(peer).epoch();
            if (peer == o.ringPeer && epoch == o.ringEpoch) {
                return;
            }
            o.ringPeer = peer;
            o.ringEpoch = epoch;
            if (iterations > 0) {
                o.enqueue(iterations - 1);
            }
            if (exchanging) {
                o.enqueue(iterations);
            }
        }

        private boolean connect(Out o, long now) {
            if (o.connected) {
                return false;
            }
            try {
                if (o.ch == null) {
                    if (now < o.retryAt) {
                        return false;
                    }
                    o.ch = SocketChannel.open();
                    o.ch.configureBlocking(false);
                    o.ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    if (!o.ch.connect(o.address)) {
                        return false;
                    }
                } else if (!o.ch.finishConnect()) {
                    return false;
                }
            } catch (IOException e) {
                o.broken(now, e);
                return false;
            }
            o.connected = true;
            o.failures = 0;
            ByteBuffer hello = ByteBuffer.allocate(8).putInt(HELLO).putInt(rank).flip();
            o.queue.add(new Queued(new ByteBuffer[] {hello}, -1L, null, -1));
            // resend what a restarted peer may have missed; receivers drop duplicates
            if (iterations > 0) {
                o.enqueue(iterations - 1);
            }
            if (exchanging) {
                o.enqueue(iterations);
            }
            return true;
        }

        private int write(Out o, long now, int budget) {
            int total = 0;
            try {
                while (!o.queue.isEmpty() && total < budget) {
                    Queued q = o.queue.peek();
                    if (q.strandedBy(path.fabric())) {
                        o.queue.poll();
                        q = new Queued(q.bufs(), q.iter(), null, -1);
                        o.queue.addFirst(q);
                    }
                    ByteBuffer[] bufs = q.bufs();
                    long w = q.ring() != null ? q.ring().write(bufs) : o.ch.write(bufs);
                    total += (int) w;
                    if (bufs[bufs.length - 1].hasRemaining()) {
                        break;
                    }
                    o.queue.poll();
                    long it = q.iter();
                    if (it >= 0) {
                        o.sent = Math.max(o.sent, it);
                    }
                }
            } catch (IOException e) {
                o.broken(now, e);
            }
            if (total > 0) {
                bytes.add(total);
            }
            return total;
        }

        /** Reads what is there from one incoming connection; -1 when it is closed or bad. */
        private int read(MessageStream in, int budget) {
            int total = 0;
            try {
                while (total < budget) {
                    if (in.bodyLeft > 0) {
                        ByteBuffer into = in.value.hasRemaining() ? in.value
                                : scratch.clear().limit((int) Math.min(scratch.capacity(), in.bodyLeft));
                        int r = in.read(into);
                        if (r < 0) {
                            return -1;
                        }
                        if (r == 0) {
                            break;
                        }
                        total += r;
                        in.bodyLeft -= r;
                        if (in.bodyLeft == 0) {
                            delivered(in);
                        }
                        continue;
                    }
                    int r = in.read(in.head);
                    if (r < 0) {
                        return -1;
                    }
                    if (in.head.hasRemaining()) {
                        break;
                    }
                    in.head.flip();
                    if (in.peer < 0) {
                        if (in.head.getInt() != HELLO) {
                            return -1;
                        }
                        in.peer = in.head.getInt();
                        received.putIfAbsent(in.peer, -1L);
                        in.head.clear().limit(20);
                        continue;
                    }
                    if (in.head.getInt() != MSG || in.head.getInt() != in.peer) {
                        return -1;
                    }
                    in.iter = in.head.getLong();
                    int len = in.head.getInt();
                    if (len < 0) {
                        return -1;
                    }
                    in.head.clear().limit(20);
                    in.bodyLeft = len;
                    in.bodyLength = len;
                    in.value.clear().limit((int) Math.min(8, len));
                    if (len == 0) {
                        delivered(in);
                    }
                }
            } catch (IOException e) {
                return -1;
            }
            if (total > 0) {
                bytes.add(total);
            }
            return total;
        }

        private void delivered(MessageStream in) {
            ledger.deliver(in.peer, in.iter, in.bodyLength >= 8 ? in.value.getLong(0) : null);
            received.merge(in.peer, in.iter, Math::max);
        }
    }
}
