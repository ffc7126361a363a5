package dev.palisade.kernel.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A netlink socket ({@code NETLINK_NETFILTER} unless told otherwise) over libc through the FFM API.
 *
 * <p>Sending copies a built message into a per-thread native buffer (so
 * verdicts may be sent from any thread while one thread reads); receiving
 * reads into this socket's own native buffer and returns a direct view of
 * it, valid until the next receive; only one thread may receive at a time.
 * The socket is opened with {@code NETLINK_CAP_ACK} (errors do not echo whole
 * batches back) and {@code NETLINK_EXT_ACK} (the kernel's error text).
 */
public final class NetlinkSocket implements AutoCloseable {

    public static final int NETLINK_NETFILTER = 12;
    /** rtnetlink: links, addresses, routes. */
    public static final int NETLINK_ROUTE = 0;
    private static final int RECV_SIZE = 1 << 18;

    private final int fd;
    private final int portId;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment kernelAddr;
    private final MemorySegment recvSeg;
    private final ByteBuffer recvView;
    private final AtomicInteger seq = new AtomicInteger((int) (System.nanoTime() & 0x3fffffff));
    private final ThreadLocal<MemorySegment[]> sendSeg = ThreadLocal.withInitial(() -> new MemorySegment[1]);
    private volatile boolean closed;

    private NetlinkSocket(int fd, int groups) throws ErrnoException {
        this.fd = fd;
        kernelAddr = arena.allocate(12);
        kernelAddr.set(JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
        MemorySegment local = arena.allocate(12);
        local.set(JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
        local.set(JAVA_INT, 8, groups);
        Libc.bind(fd, local, 12);
        MemorySegment lenp = arena.allocate(JAVA_INT);
        lenp.set(JAVA_INT, 0, 12);
        Libc.getsockname(fd, local, lenp);
        portId = local.get(JAVA_INT, 4);
        recvSeg = arena.allocate(RECV_SIZE, 8);
        recvView = recvSeg.asByteBuffer().order(ByteOrder.nativeOrder());
        try {
            Libc.setsockopt(fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, 1);
            Libc.setsockopt(fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, 1);
        } catch (ErrnoException e) {
            // XXX old kernels lack these options; errors then carry the request back, which we skip over
        }
    }

    /** Opens a socket in the calling thread's network namespace. */
    public static NetlinkSocket open() throws ErrnoException {
        return open(NETLINK_NETFILTER, 0);
    }

    /**
     * Opens a socket of netlink {@code protocol} in the calling thread's network
     * namespace, bound to the multicast {@code groups} (a bit mask, {@code 1 << (group - 1)}; 0: none).
     */
    public static NetlinkSocket open(int protocol, int groups) throws ErrnoException {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protocol);
        try {
            return new NetlinkSocket(fd, groups);
        } catch (ErrnoException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Opens a socket in network namespace {@code netns} (null: the current one). */
    public static NetlinkSocket open(String netns) throws Exception {
        return Netns.call(netns, NetlinkSocket::open);
    }

    /** As {@link #open(int, int)} in network namespace {@code netns} (null: the current one). */
    public static NetlinkSocket open(String netns, int protocol, int groups) throws Exception {
        return Netns.call(netns, () -> open(protocol, groups));
    }

    public int fd() {
        return fd;
    }

    public int portId() {
        return portId;
    }

    public int nextSeq() {
        return seq.incrementAndGet();
    }

    /** Sets the kernel-side receive buffer (SO_RCVBUFFORCE as root, else SO_RCVBUF). */
    public void receiveBuffer(int bytes) throws ErrnoException {
        try {
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bytes);
        } catch (ErrnoException e) {
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes);
        }
    }

    public void sendBuffer(int bytes) throws ErrnoException {
        try {
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, bytes);
        } catch (ErrnoException e) {
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, bytes);
        }
    }

    /** A receive timeout, so that a blocking receive returns {@code -EAGAIN} after it. */
    public void receiveTimeout(long millis) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(16);
            tv.set(JAVA_LONG, 0, millis / 1000);
            tv.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, tv);
        }
    }

    public void noEnobufs(boolean on) throws ErrnoException {
        Libc.setsockopt(fd, Libc.SOL_NETLINK, Libc.NETLINK_NO_ENOBUFS, on ? 1 : 0);
    }

    /** Sends bytes 0 to {@code size()} of {@code msg}. */
    public void send(NlMsg msg) throws ErrnoException {
        send(msg.buffer(), 0, msg.size());
    }

    public void send(ByteBuffer b, int off, int len) throws ErrnoException {
        if (closed) throw new ErrnoException("sendto", Errno.EBADF, "socket closed");
        MemorySegment[] holder = sendSeg.get();
        MemorySegment seg = holder[0];
        if (seg == null || seg.byteSize() < len) {
            seg = Arena.ofAuto().allocate(Math.max(len, 8192), 8);
            holder[0] = seg;
        }
        MemorySegment.copy(MemorySegment.ofBuffer(b.duplicate().clear()), off, seg, 0, len);
        Libc.sendto(fd, seg, len, 0, kernelAddr, 12);
    }

    /**
     * Receives one datagram; returns a view of the native receive buffer
     * (position 0, limit = bytes read), or null with the errno in
     * {@link #lastError()} for EAGAIN (timeout, or nothing with {@code dontWait}),
     * EINTR and ENOBUFS (the kernel dropped messages: our queue overflowed).
     */
    public ByteBuffer receive(boolean dontWait) throws ErrnoException {
        long n = Libc.recv(fd, recvSeg, RECV_SIZE, dontWait ? Libc.MSG_DONTWAIT : 0);
        if (n < 0) {
            int e = (int) -n;
            if (e == Errno.EAGAIN || e == Errno.EINTR || e == Errno.ENOBUFS) {
                lastError = e;
                return null;
            }
            throw new ErrnoException("recvfrom", e);
        }
        lastError = 0;
        recvView.clear().limit((int) n);
        return recvView;
    }

    private int lastError;

    /** The errno of the last receive that returned null. */
    public int lastError() {
        return lastError;
    }

    /**
     * Reads the kernel's answers to requests with sequence numbers
     * {@code firstSeq..lastSeq} that asked for an ACK (each one answers
     * exactly once) until all have answered; throws the first error,
     * described by {@code describe.apply(seq)}, after reading them all.
     * Other messages (a dump reply, say) go to {@code other} if not null.
     */
    public void awaitAcks(int firstSeq, int lastSeq, IntFunction<String> describe, MessageVisitor other)
            throws ErrnoException {
        awaitAcks(firstSeq, lastSeq, lastSeq - firstSeq + 1, -1, describe, other);
    }

    /**
     * As above, waiting for {@code expected} answers in the range; an error
     * answering {@code fatalSeq} (a batch header the kernel refused as a
     * whole) ends the wait at once.
     */
    public void awaitAcks(int firstSeq, int lastSeq, int expected, int fatalSeq, IntFunction<String> describe,
                          MessageVisitor other) throws ErrnoException {
        int pending = expected;
        NetlinkException first = null;
        while (pending > 0) {
            ByteBuffer b = receive(false);
            if (b == null) {
                if (lastError == Errno.EAGAIN) {
                    throw new ErrnoException("recvfrom", Errno.ETIMEDOUT,
                            "no answer from the kernel for " + describe.apply(lastSeq));
                }
                if (lastError == Errno.ENOBUFS) {
                    throw new ErrnoException("recvfrom", Errno.ENOBUFS, "acks lost, receive buffer overflowed");
                }
                continue;
            }
            int p = 0;
            while (p + NlMsg.NLMSG_HDRLEN <= b.limit()) {
                int len = NlMsg.msgLen(b, p);
                if (len < NlMsg.NLMSG_HDRLEN || p + len > b.limit()) break;
                int type = NlMsg.msgType(b, p);
                int s = NlMsg.msgSeq(b, p);
                if (type == NlMsg.NLMSG_ERROR && s == fatalSeq && fatalSeq != -1) {
                    int err = -b.getInt(p + NlMsg.NLMSG_HDRLEN);
                    if (err != 0) throw new NetlinkException(describe.apply(s), err, extAck(b, p, len));
                } else if (type == NlMsg.NLMSG_ERROR && s - firstSeq >= 0 && lastSeq - s >= 0) {
                    pending--;
                    int err = -b.getInt(p + NlMsg.NLMSG_HDRLEN);
                    if (err != 0 && first == null) {
                        first = new NetlinkException(describe.apply(s), err, extAck(b, p, len));
                    }
                } else if (other != null && type != NlMsg.NLMSG_ERROR) {
                    other.visit(b, p, len);
                }
                p += NlMsg.align(len);
            }
        }
        if (first != null) throw first;
    }

    /** The kernel's extended-ack text in an error message at {@code p}, or null. */
    static String extAck(ByteBuffer b, int p, int len) {
        int flags = NlMsg.msgFlags(b, p);
        if ((flags & NlMsg.NLM_F_ACK_TLVS) == 0) return null;
        int inner = p + NlMsg.NLMSG_HDRLEN + 4;
        int innerLen = NlMsg.msgLen(b, inner);
        int tlv = inner + ((flags & NlMsg.NLM_F_CAPPED) != 0 ? NlMsg.NLMSG_HDRLEN : NlMsg.align(innerLen));
        if (tlv >= p + len) return null;
        return NlAttrs.parse(b, tlv, p + len, 2).string(NlMsg.NLMSGERR_ATTR_MSG);
    }

    /**
     * Reads a dump answering request {@code seq}: each message goes to
     * {@code visitor} until NLMSG_DONE; an error ends it with an exception
     * described by {@code what}.
     */
    public void readDump(int seq, String what, MessageVisitor visitor) throws ErrnoException {
        while (true) {
            ByteBuffer b = receive(false);
            if (b == null) {
                if (lastError == Errno.EAGAIN) throw new ErrnoException(what, Errno.ETIMEDOUT, "dump did not finish");
                if (lastError == Errno.ENOBUFS) throw new ErrnoException(what, Errno.ENOBUFS, "dump overran the receive buffer");
                continue;
            }
            int p = 0;
            while (p + NlMsg.NLMSG_HDRLEN <= b.limit()) {
                int len = NlMsg.msgLen(b, p);
                if (len < NlMsg.NLMSG_HDRLEN || p + len > b.limit()) break;
                int type = NlMsg.msgType(b, p);
                if (NlMsg.msgSeq(b, p) == seq) {
                    if (type == NlMsg.NLMSG_DONE) return;
                    if (type == NlMsg.NLMSG_ERROR) {
                        int err = -b.getInt(p + NlMsg.NLMSG_HDRLEN);
                        if (err != 0) throw new NetlinkException(what, err, extAck(b, p, len));
                    } else {
                        visitor.visit(b, p, len);
                    }
                }
                p += NlMsg.align(len);
            }
        }
    }

    /** Sees one netlink message: {@code b} from {@code off}, {@code len} bytes including its header. */
    @FunctionalInterface
    public interface MessageVisitor {
        void visit(ByteBuffer b, int off, int len);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Libc.close(fd);
    }
}
