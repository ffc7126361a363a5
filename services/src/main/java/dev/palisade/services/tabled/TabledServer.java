package dev.palisade.services.tabled;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.tabled.RejectReason;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.tabled.TabledApplier;
import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledDecision;
import dev.palisade.core.tabled.TabledOp;
import dev.palisade.core.tabled.TabledProtocol;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pftabled service: one UDP socket (IPv4 and IPv6 unless bound to one
 * address), one receive thread running {@link TabledProtocol}, and the
 * accepted commands applied to {@link Tables}.
 *
 * <p>Why lanes: palisaded's tables return from {@code add} only once the
 * change is on disk (group commit), so applying one command at a time from
 * the receive thread would run at one command per commit. Accepted add and
 * delete commands go instead to one of {@code lanes} virtual threads, chosen
 * by (table, prefix): commands for the same entry stay in order, the rest
 * commit together. They are handed over in batches of up to 64: a batch
 * leaves when full, when its oldest command has waited 2 ms, or after a
 * millisecond without datagrams, because waking a thread per datagram cost
 * more than verifying it. A command thus waits at most about 2 ms. A flush waits until every lane is idle and runs alone,
 * so it is ordered against everything before and after it. When a lane's
 * queue is full the receive thread waits: the kernel's socket buffer absorbs
 * the burst, then drops (counted by the kernel, not here). With
 * {@code lanes = 0} commands are applied on the receive thread.
 * XXX {@link Tables} has no batch add: with a store that commits on every
 * call, each lane waits for one commit per command, so throughput is about
 * lanes / commit latency; a batch method on Tables would let a lane commit
 * its whole batch at once.
 *
 * <p>Never dies on a datagram: every outcome is counted
 * ({@link TabledCounters}); rejections are logged with the peer's address,
 * at most 20 lines per 10 s.
 */
public final class TabledServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TabledServer.class);
    private static final int MAX_DATAGRAM = 2048;

    /**
     * Where and how the server runs.
     *
     * @param bind         address and port; the IPv6 wildcard {@code ::} means every address, IPv4 and
     *                     IPv6 (one dual-stack socket); {@code 0.0.0.0} means every IPv4 address only
     * @param createTables create a missing table on add
     * @param verbose      log every applied command (pftabled's {@code -v})
     * @param lanes        virtual threads applying commands; 0 to apply on the receive thread
     * @param queuePerLane commands waiting per lane (in batches of 64) before the receive thread waits
     */
    public record Settings(InetSocketAddress bind, boolean createTables, boolean verbose, int lanes, int queuePerLane) {
        public Settings {
            if (bind == null) throw new IllegalArgumentException("bind address must not be null");
            if (lanes < 0 || lanes > 1024) throw new IllegalArgumentException("lanes " + lanes + " out of range 0..1024");
            if (queuePerLane < 1) throw new IllegalArgumentException("queuePerLane must be at least 1, got " + queuePerLane);
        }

        /** Every address (IPv6 wildcard, dual-stack), the given port, 16 lanes. */
        public static Settings of(int port) {
            return new Settings(new InetSocketAddress(ANY6, port), false, false, 16, 1024);
        }

        public Settings withBind(InetSocketAddress b) {
            return new Settings(b, createTables, verbose, lanes, queuePerLane);
        }

        public Settings withCreateTables(boolean c) {
            return new Settings(bind, c, verbose, lanes, queuePerLane);
        }

        public Settings withVerbose(boolean v) {
            return new Settings(bind, createTables, v, lanes, queuePerLane);
        }

        public Settings withLanes(int n) {
            return new Settings(bind, createTables, verbose, n, queuePerLane);
        }
    }

    private record Work(TableCommand command, IpAddress peer, Origin origin, int version) {}

    private final TabledProtocol protocol;
    private final TabledApplier applier;
    private final Settings settings;
    private final Clock clock;
    private final DatagramChannel channel;
    private final TabledCounters counters = new TabledCounters();
    private final LogLimiter logLimiter = new LogLimiter(20, 10_000);
    private final AtomicLong pending = new AtomicLong();
    private static final int BATCH = 64;
    /** The longest an accepted command waits in a batch while datagrams keep coming. */
    private static final long MAX_BATCH_DELAY_NANOS = 2_000_000;
    private int batched; // commands in batches not yet handed out (receive thread only)
    private long batchedSince; // nanoTime of the first of them
    private final BlockingQueue<List<Work>>[] queues;
    private final List<Work>[] batches; // receive thread only
    private final Selector selector;
    private final Thread[] laneThreads;
    private final Thread receiver;
    private volatile boolean closed;

    private TabledServer(TabledConfig config, Settings settings, Tables tables, Clock clock) throws IOException {
        this.protocol = new TabledProtocol(config);
        this.applier = new TabledApplier(tables, settings.createTables());
        this.settings = settings;
        this.clock = clock;
        this.channel = open(settings.bind());
        Selector sel = null;
        try {
            channel.configureBlocking(false);
            sel = Selector.open();
            channel.register(sel, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            if (sel != null) sel.close();
            channel.close();
            throw e;
        }
        this.selector = sel;
        @SuppressWarnings("unchecked")
        BlockingQueue<List<Work>>[] q = new BlockingQueue[settings.lanes()];
        this.queues = q;
        @SuppressWarnings("unchecked")
        List<Work>[] b = new List[settings.lanes()];
        this.batches = b;
        this.laneThreads = new Thread[settings.lanes()];
        for (int i = 0; i < settings.lanes(); i++) {
            queues[i] = new ArrayBlockingQueue<>(Math.max(1, settings.queuePerLane() / BATCH));
            batches[i] = new ArrayList<>(BATCH);
            BlockingQueue<List<Work>> queue = queues[i];
            laneThreads[i] = Thread.ofVirtual().name("pftabled-lane-" + i).start(() -> lane(queue));
        }
        this.receiver = Thread.ofPlatform().name("pftabled-receive").daemon(true).start(this::receiveLoop);
    }

    /**
     * Binds the socket and starts serving.
     *
     * @throws IOException when the address cannot be bound (the message names it)
     */
    public static TabledServer start(TabledConfig config, Settings settings, Tables tables, Clock clock) throws IOException {
        return new TabledServer(config, settings, tables, clock);
    }

    private static final InetAddress ANY6;

    static {
        try {
            ANY6 = InetAddress.getByAddress(new byte[16]);
        } catch (java.net.UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static DatagramChannel open(InetSocketAddress bind) throws IOException {
        InetAddress a = bind.getAddress();
        if (a instanceof java.net.Inet6Address && a.isAnyLocalAddress()) {
            try {
                return bind(DatagramChannel.open(), bind);
            } catch (IOException | UnsupportedOperationException e) {
                // no IPv6 on this host: every IPv4 address instead
                log.warn("pftabled: cannot bind the IPv6 wildcard ({}); listening on IPv4 only", e.getMessage());
                return bind(DatagramChannel.open(StandardProtocolFamily.INET), new InetSocketAddress("0.0.0.0", bind.getPort()));
            }
        }
        return bind(a instanceof Inet4Address ? DatagramChannel.open(StandardProtocolFamily.INET)
                : DatagramChannel.open(StandardProtocolFamily.INET6), bind);
    }

    private static DatagramChannel bind(DatagramChannel ch, InetSocketAddress bind) throws IOException {
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            ch.bind(bind);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot bind UDP " + describe(bind) + ": " + e.getMessage(), e);
        }
        return ch;
    }

    private static String describe(InetSocketAddress a) {
        return (a.getAddress() == null ? "*" : a.getAddress().getHostAddress()) + " port " + a.getPort();
    }

    /** The bound address (with the real port when bound to port 0). */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("socket closed", e);
        }
    }

    public TabledCounters counters() {
        return counters;
    }

    private void receiveLoop() {
        ByteBuffer buf = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        byte[] bytes = new byte[MAX_DATAGRAM];
        while (!closed) {
            InetSocketAddress from;
            try {
                buf.clear();
                from = (InetSocketAddress) channel.receive(buf);
                if (from == null) { // drained: wait for the next datagram
                    if (batched == 0) {
                        selector.select();
                    } else if (selector.select(1) == 0) {
                        handOffAll(); // a quiet millisecond: hand out what is batched
                    }
                    selector.selectedKeys().clear();
                    continue;
                }
            } catch (ClosedChannelException | java.nio.channels.ClosedSelectorException e) {
                break;
            } catch (IOException e) {
                if (closed) break;
                warn(null, "receive failed: " + e.getMessage());
                continue;
            } catch (InterruptedException e) {
                break;
            }
            buf.flip();
            int len = buf.remaining();
            buf.get(bytes, 0, len);
            try {
                handle(bytes, len, from);
                if (batched != 0 && System.nanoTime() - batchedSince > MAX_BATCH_DELAY_NANOS) handOffAll();
            } catch (RuntimeException | StackOverflowError e) {
                counters.countInternalError();
                log.error("pftabled: internal error on a datagram from {} ({} bytes), dropped", from, len, e);
            } catch (InterruptedException e) {
                break;
            }
        }
        try {
            handOffAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // the last sender, its address and its origin: a busy client sends many datagrams in a row
    // (the channel hands back the same InetSocketAddress object while the sender does not change)
    private InetSocketAddress lastFrom;
    private IpAddress lastPeer;
    private Origin lastOrigin;

    private void handle(byte[] bytes, int len, InetSocketAddress from) throws InterruptedException {
        counters.countReceived();
        if (from != lastFrom) {
            lastPeer = IpAddress.ofBytes(from.getAddress().getAddress()).unmapV4();
            lastOrigin = new Origin.Pftabled(lastPeer.toString());
            lastFrom = from;
        }
        IpAddress peer = lastPeer;
        TabledDecision decision = protocol.handle(bytes, 0, len, peer, clock.millis());
        switch (decision) {
            case TabledDecision.Rejected r -> rejected(r.reason(), r.detail(), peer);
            case TabledDecision.Accepted a -> dispatch(new Work(a.command(), peer, lastOrigin, a.version()));
        }
    }

    private void dispatch(Work w) throws InterruptedException {
        if (queues.length == 0) {
            apply(w);
            return;
        }
        if (w.command().op() == TabledOp.FLUSH) {
            handOffAll();
            while (pending.get() != 0) LockSupport.parkNanos(50_000);
            apply(w);
            return;
        }
        int h = w.command().table().hashCode() * 31 + w.command().prefix().hashCode();
        int lane = Math.floorMod(h ^ (h >>> 16), queues.length);
        pending.incrementAndGet();
        List<Work> batch = batches[lane];
        if (batched++ == 0) batchedSince = System.nanoTime();
        batch.add(w);
        if (batch.size() >= BATCH) handOff(lane);
    }

    /** Gives a lane its batch (the receive thread waits when the lane is BATCHES_PER_LANE batches behind). */
    private void handOff(int lane) throws InterruptedException {
        List<Work> batch = batches[lane];
        if (batch.isEmpty()) return;
        batches[lane] = new ArrayList<>(BATCH);
        queues[lane].put(batch);
    }

    private void handOffAll() throws InterruptedException {
        for (int i = 0; i < batches.length; i++) handOff(i);
        batched = 0;
    }

    private void lane(BlockingQueue<List<Work>> queue) {
        while (true) {
            List<Work> batch;
            try {
                batch = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (batch == null) {
                if (closed) return;
                continue;
            }
            for (Work w : batch) {
                try {
                    apply(w);
                } catch (RuntimeException e) {
                    counters.countInternalError();
                    log.error("pftabled: internal error applying {} from {}", w.command(), w.peer(), e);
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    private void apply(Work w) {
        TabledApplier.Result result = applier.apply(w.command(), w.origin(), clock.instant());
        switch (result) {
            case TabledApplier.Done d -> {
                counters.countApplied(d.effect());
                if (settings.verbose()) {
                    log.info("pftabled: {} from {} (version {}): {}{}", w.command(), w.peer(), w.version(), d.effect().label(),
                            d.effect() == TabledApplier.Effect.FLUSHED ? " " + d.count() + " entries" : "");
                } else if (log.isDebugEnabled()) {
                    log.debug("pftabled: {} from {}: {}", w.command(), w.peer(), d.effect().label());
                }
            }
            case TabledApplier.Refused r -> rejected(r.reason(), r.detail(), w.peer());
        }
    }

    private void rejected(RejectReason reason, String detail, IpAddress peer) {
        counters.countRejected(reason);
        warn(peer, reason.text() + ": " + detail);
    }

    private void warn(IpAddress peer, String message) {
        long suppressed = logLimiter.tryAcquire(System.currentTimeMillis());
        if (suppressed < 0) return;
        if (suppressed > 0) log.warn("pftabled: {} similar messages suppressed", suppressed);
        if (peer == null) log.warn("pftabled: {}", message);
        else log.warn("pftabled: dropped datagram from {}: {}", peer, message);
    }

    /** Waits until every accepted command has been applied (tests, shutdown). */
    public boolean awaitIdle(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (pending.get() != 0) {
            if (System.nanoTime() > deadline) return false;
            LockSupport.parkNanos(100_000);
        }
        return true;
    }

    /** Stops receiving, lets the lanes finish what they hold, closes the socket. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        selector.wakeup();
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("pftabled: closing the socket: {}", e.getMessage());
        }
        try {
            receiver.join(5000);
            for (Thread t : laneThreads) t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
        } catch (IOException e) {
            log.warn("pftabled: closing the selector: {}", e.getMessage());
        }
    }
}
