package dev.palisade.kernel.nfqueue;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.kernel.netlink.ErrnoException;
import dev.palisade.kernel.netlink.NetlinkSocket;
import dev.palisade.kernel.netlink.Netns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Reads one NFQUEUE queue on its own platform thread and hands each packet
 * to a {@link Diverter}; one reader per queue, so several queues run on
 * several threads.
 *
 * <p>Design: the diverter answers through a callback, at once (on the reader
 * thread, inside {@code divert}) or later from any thread. Answers given at
 * once are the common case (an accept-everything diverter, a tripwire), and
 * they are sent as one {@code NFQNL_MSG_VERDICT_BATCH} per burst instead of
 * one message per packet. A batch verdict covers every waiting packet up to
 * an id, so it is only used while no packet is awaiting a late answer:
 * {@code outstanding} counts those; a packet that goes late first flushes the
 * batch of the packets before it, and while any are outstanding each answer
 * is its own message. A late answer is sent by the thread that gives it.
 * Costs: one syscall per packet received, one per burst of same-verdict
 * answers (up to {@value #MAX_BATCH} packets).
 */
public final class NfQueueReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NfQueueReader.class);
    static final int MAX_BATCH = 64;

    /** How a queue is bound: packet bytes copied, flags, the kernel's queue length. */
    public record Options(int copyRange, boolean failOpen, boolean gso, int maxLen) {
        public Options {
            if (copyRange < 0 || copyRange > 0xffff) {
                throw new IllegalArgumentException("copy range " + copyRange + ": expected 0 to 65535 bytes");
            }
            if (maxLen < 0) throw new IllegalArgumentException("queue max length " + maxLen + ": expected >= 0");
        }

        /** Whole packets, fail-open, GSO packets accepted, a 4096-packet queue. */
        public static final Options DEFAULT = new Options(0xffff, true, true, 4096);

        int flags() {
            return (failOpen ? NfQueue.FLAG_FAIL_OPEN : 0) | (gso ? NfQueue.FLAG_GSO : 0);
        }
    }

    private volatile NfQueue q;
    private final Diverter diverter;
    private final Thread thread;
    private volatile boolean running = true;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicLong packets = new AtomicLong(), errors = new AtomicLong();
    private long pendingMaxId = -1;
    private int pendingCount;
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    private NfQueueReader(int queue, Diverter diverter, Options opts, String netns) throws Exception {
        this.diverter = diverter;
        CompletableFuture<NfQueue> bound = new CompletableFuture<>();
        thread = Thread.ofPlatform().name("nfqueue-" + queue + "-" + diverter.name()).daemon(true).unstarted(() -> {
            try {
                Netns.enter(netns);
                NetlinkSocket s = NetlinkSocket.open();
                try {
                    s.receiveBuffer(8 << 20);
                    s.receiveTimeout(200);
                    q = NfQueue.bind(s, queue, opts.copyRange(), opts.flags(), opts.maxLen());
                    bound.complete(q);
                } catch (Throwable e) {
                    s.close();
                    throw e;
                }
            } catch (Throwable e) {
                bound.completeExceptionally(e);
                return;
            }
            loop();
        });
        thread.start();
        try {
            bound.get();
        } catch (ExecutionException e) {
            thread.join();
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        }
    }

    /**
     * Binds queue {@code queue} in network namespace {@code netns} (null: the
     * current one) and starts reading it. Throws {@link QueueTakenException}
     * when another process has the queue.
     */
    public static NfQueueReader start(int queue, Diverter diverter, Options opts, String netns) throws Exception {
        return new NfQueueReader(queue, diverter, opts, netns);
    }

    public int queue() {
        return q.queue();
    }

    /** Packets read so far. */
    public long packets() {
        return packets.get();
    }

    /** Packets whose diverter threw or answered badly (they were accepted or dropped per fail-open). */
    public long errors() {
        return errors.get();
    }

    public long overruns() {
        return q.overruns();
    }

    /** Answers awaited from diverters right now. */
    public int outstanding() {
        return outstanding.get();
    }

    private final class Answer implements Consumer<Verdict> {
        final long id;
        final AtomicInteger state = new AtomicInteger(); // 0 in divert, 1 late, 2 answered
        Verdict sync;

        Answer(long id) {
            this.id = id;
        }

        @Override
        public void accept(Verdict v) {
            if (v == null) throw new NullPointerException("verdict for packet " + id + " is null");
            if (Thread.currentThread() == thread && state.get() == 0) {
                state.set(2);
                sync = v;
                return;
            }
            int was;
            do {
                was = state.get();
                if (was == 2) throw new IllegalStateException("packet " + id + " on queue " + q.queue() + " already has a verdict");
            } while (!state.compareAndSet(was, 2));
            send(id, v);
            if (was == 1) outstanding.decrementAndGet();
        }
    }

    private void send(long id, Verdict v) {
        try {
            // instanceof, not a pattern switch: a switch's call site is linked (bootstrap, class loading of
            // every case) at its first execution, which was the first diverted packet's cost (~ms)
            if (v instanceof Verdict.Rewrite r) {
                byte[] b = r.packet().clone();
                dev.palisade.core.packet.Checksums.fixChecksums(b); // a packet it cannot decode goes back as given
                q.verdict(id, NfQueue.NF_ACCEPT, b);
            } else {
                q.verdict(id, v instanceof Verdict.Drop ? NfQueue.NF_DROP : NfQueue.NF_ACCEPT, null);
            }
        } catch (ErrnoException e) {
            errors.incrementAndGet();
            log.warn("queue {}: verdict for packet {}: {}", q.queue(), id, e.getMessage());
        }
    }

    private void flush() {
        if (pendingCount == 0) return;
        try {
            q.verdictBatch(pendingMaxId, NfQueue.NF_ACCEPT);
        } catch (ErrnoException e) {
            errors.incrementAndGet();
            log.warn("queue {}: batch verdict up to {}: {}", q.queue(), pendingMaxId, e.getMessage());
        }
        pendingCount = 0;
    }

    /**
     * Loads and initialises, before the first packet, the classes its path uses, so that the first
     * packet (a tripwire's first scanner) is handled as fast as the later ones.
     */
    private void warmUp() {
        new Answer(-1); // its class; never used
        for (Class<?> c : new Class<?>[] {QueuedPacket.class, DivertedPacket.class, Verdict.Pass.class, Verdict.Drop.class,
                Verdict.Rewrite.class, dev.palisade.core.packet.Checksums.class}) {
            try {
                java.lang.invoke.MethodHandles.lookup().ensureInitialized(c);
            } catch (IllegalAccessException e) {
                log.debug("warm-up of {}: {}", c.getName(), e.toString());
            }
        }
    }

    private void loop() {
        q.interfaceName(1); // links the name lookup's native call now (index 1 is lo in every namespace), not at the first packet
        warmUp();
        started.complete(null);
        while (running) {
            QueuedPacket p;
            try {
                p = q.receive(pendingCount > 0);
            } catch (ErrnoException e) {
                if (running) log.error("queue {}: reading stopped: {}", q.queue(), e.getMessage());
                break;
            }
            if (p == null) {
                flush();
                continue;
            }
            packets.incrementAndGet();
            Answer a = new Answer(p.id());
            try {
                diverter.divert(new DivertedPacket(p.queue(), p.id(), p.data(), q.interfaceName(p.inIndex()),
                        q.interfaceName(p.outIndex()), p.timestampNanos()), a);
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                log.warn("queue {}: diverter {} failed on packet {}: {}", q.queue(), diverter.name(), p.id(), e.toString());
                if (a.state.compareAndSet(0, 2)) a.sync = Verdict.PASS; // XXX fail-open for a broken diverter
            }
            Verdict v = a.sync;
            if (v != null) {
                if (v instanceof Verdict.Pass && outstanding.get() == 0) {
                    pendingMaxId = p.id();
                    if (++pendingCount >= MAX_BATCH) flush();
                } else {
                    flush();
                    send(p.id(), v);
                }
            } else {
                flush();
                outstanding.incrementAndGet();
                if (!a.state.compareAndSet(0, 1)) outstanding.decrementAndGet(); // answered meanwhile
            }
        }
        flush();
    }

    /** Stops reading, unbinds the queue and closes its socket (packets still waiting follow the queue's rules). */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        q.close();
    }
}
