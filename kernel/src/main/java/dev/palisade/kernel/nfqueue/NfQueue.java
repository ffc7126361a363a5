package dev.palisade.kernel.nfqueue;

import dev.palisade.kernel.netlink.Errno;
import dev.palisade.kernel.netlink.ErrnoException;
import dev.palisade.kernel.netlink.Libc;
import dev.palisade.kernel.netlink.NetlinkException;
import dev.palisade.kernel.netlink.NetlinkSocket;
import dev.palisade.kernel.netlink.NlAttrs;
import dev.palisade.kernel.netlink.NlMsg;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One bound nfnetlink_queue queue: thin wrappers, one method per message
 * ({@code NFQNL_MSG_CONFIG}, {@code NFQNL_MSG_VERDICT},
 * {@code NFQNL_MSG_VERDICT_BATCH}), and the parser of
 * {@code NFQNL_MSG_PACKET}. Formats from linux/netfilter/nfnetlink_queue.h.
 *
 * <p>Verdict methods are safe from any thread (each sender thread has its own
 * native buffer); {@link #receive} belongs to one reader thread.
 */
public final class NfQueue implements AutoCloseable {

    static final int NFQNL_MSG_PACKET = 0, NFQNL_MSG_VERDICT = 1, NFQNL_MSG_CONFIG = 2, NFQNL_MSG_VERDICT_BATCH = 3;
    static final int NFQA_PACKET_HDR = 1, NFQA_VERDICT_HDR = 2, NFQA_MARK = 3, NFQA_TIMESTAMP = 4,
            NFQA_IFINDEX_INDEV = 5, NFQA_IFINDEX_OUTDEV = 6, NFQA_PAYLOAD = 10, NFQA_CAP_LEN = 13,
            NFQA_SKB_INFO = 14, NFQA_MAX = 32;
    static final int NFQA_CFG_CMD = 1, NFQA_CFG_PARAMS = 2, NFQA_CFG_QUEUE_MAXLEN = 3, NFQA_CFG_MASK = 4,
            NFQA_CFG_FLAGS = 5;
    static final int NFQNL_CFG_CMD_BIND = 1, NFQNL_CFG_CMD_UNBIND = 2;
    static final int NFQNL_COPY_PACKET = 2;
    static final int NFQA_SKB_GSO = 0x4;
    public static final int NF_DROP = 0, NF_ACCEPT = 1;

    /** NFQA_CFG_F_* flags. */
    public static final int FLAG_FAIL_OPEN = 0x1, FLAG_CONNTRACK = 0x2, FLAG_GSO = 0x4;

    private final NetlinkSocket sock;
    private final int queue;
    private final ConcurrentHashMap<Integer, String> ifNames = new ConcurrentHashMap<>();
    private final ThreadLocal<NlMsg> out = ThreadLocal.withInitial(() -> new NlMsg(256));

    private NfQueue(NetlinkSocket sock, int queue) {
        this.sock = sock;
        this.queue = queue;
    }

    /**
     * Binds queue {@code queue} on {@code sock} (which this object then owns)
     * and configures it: copy-packet mode up to {@code copyRange} bytes, the
     * {@code FLAG_*} flags, at most {@code maxLen} packets waiting (0: the kernel's default).
     * Throws {@link QueueTakenException} when another socket holds the queue.
     */
    public static NfQueue bind(NetlinkSocket sock, int queue, int copyRange, int flags, int maxLen) throws ErrnoException {
        if (queue < 0 || queue > 65535) throw new IllegalArgumentException("queue number " + queue + ": expected 0 to 65535");
        NfQueue q = new NfQueue(sock, queue);
        q.configCmd(NFQNL_CFG_CMD_BIND);
        q.configParams(copyRange);
        if (flags != 0) q.configFlags(flags, FLAG_FAIL_OPEN | FLAG_GSO | FLAG_CONNTRACK);
        if (maxLen > 0) q.configMaxLen(maxLen);
        return q;
    }

    public int queue() {
        return queue;
    }

    public NetlinkSocket socket() {
        return sock;
    }

    private void request(NlMsg m, String what) throws ErrnoException {
        sock.send(m);
        int seq = NlMsg.msgSeq(m.buffer(), 0);
        try {
            sock.awaitAcks(seq, seq, s -> what, null);
        } catch (NetlinkException e) {
            if (what.contains("BIND") && !what.contains("UNBIND") && (e.errno() == Errno.EPERM || e.errno() == Errno.EBUSY)) {
                throw new QueueTakenException(queue, e.errno());
            }
            throw e;
        }
    }

    private NlMsg config() {
        NlMsg m = new NlMsg(64);
        return m;
    }

    /** NFQNL_MSG_CONFIG with NFQA_CFG_CMD (bind, unbind). */
    public void configCmd(int cmd) throws ErrnoException {
        NlMsg m = config();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK,
                sock.nextSeq(), Libc.AF_INET /* XXX ignored by modern kernels */, queue);
        m.attr(NFQA_CFG_CMD, new byte[] {(byte) cmd, 0, 0, 0}, 0, 4);
        m.end(s);
        request(m, "NFQNL_MSG_CONFIG(queue " + queue + (cmd == NFQNL_CFG_CMD_BIND ? " BIND)" : " UNBIND)"));
    }

    /** NFQNL_MSG_CONFIG with NFQA_CFG_PARAMS: copy-packet mode, {@code range} bytes. */
    public void configParams(int range) throws ErrnoException {
        NlMsg m = config();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK,
                sock.nextSeq(), 0, queue);
        m.attr(NFQA_CFG_PARAMS, new byte[] {(byte) (range >>> 24), (byte) (range >>> 16), (byte) (range >>> 8),
                (byte) range, NFQNL_COPY_PACKET});
        m.end(s);
        request(m, "NFQNL_MSG_CONFIG(queue " + queue + " PARAMS)");
    }

    /** NFQNL_MSG_CONFIG with NFQA_CFG_FLAGS and NFQA_CFG_MASK. */
    public void configFlags(int flags, int mask) throws ErrnoException {
        NlMsg m = config();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK,
                sock.nextSeq(), 0, queue);
        m.be32(NFQA_CFG_FLAGS, flags).be32(NFQA_CFG_MASK, mask);
        m.end(s);
        request(m, "NFQNL_MSG_CONFIG(queue " + queue + " FLAGS)");
    }

    /** NFQNL_MSG_CONFIG with NFQA_CFG_QUEUE_MAXLEN. */
    public void configMaxLen(int maxLen) throws ErrnoException {
        NlMsg m = config();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK,
                sock.nextSeq(), 0, queue);
        m.be32(NFQA_CFG_QUEUE_MAXLEN, maxLen);
        m.end(s);
        request(m, "NFQNL_MSG_CONFIG(queue " + queue + " QUEUE_MAXLEN)");
    }

    /**
     * NFQNL_MSG_VERDICT for packet {@code id}: {@link #NF_ACCEPT} or
     * {@link #NF_DROP}, with new packet bytes when {@code payload} is not
     * null. No ACK is asked: a verdict for a vanished id is not worth a round trip.
     */
    public void verdict(long id, int verdict, byte[] payload) throws ErrnoException {
        NlMsg m = out.get().clear();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NFQNL_MSG_VERDICT, NlMsg.NLM_F_REQUEST, 0, 0, queue);
        verdictHdr(m, verdict, id);
        if (payload != null) m.attr(NFQA_PAYLOAD, payload);
        m.end(s);
        sock.send(m);
    }

    /** NFQNL_MSG_VERDICT_BATCH: {@code verdict} for every waiting packet with id up to {@code maxId}. */
    public void verdictBatch(long maxId, int verdict) throws ErrnoException {
        NlMsg m = out.get().clear();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_QUEUE, NFQNL_MSG_VERDICT_BATCH, NlMsg.NLM_F_REQUEST, 0, 0, queue);
        verdictHdr(m, verdict, maxId);
        m.end(s);
        sock.send(m);
    }

    private static void verdictHdr(NlMsg m, int verdict, long id) {
        m.attr(NFQA_VERDICT_HDR, new byte[] {(byte) (verdict >>> 24), (byte) (verdict >>> 16), (byte) (verdict >>> 8),
                (byte) verdict, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
    }

    /**
     * Waits for the next packet ({@code dontWait}: returns at once). Returns
     * null on timeout, nothing waiting, or a lost-messages notice
     * ({@link #overruns()} counts those).
     */
    public QueuedPacket receive(boolean dontWait) throws ErrnoException {
        while (true) {
            ByteBuffer b = sock.receive(dontWait);
            if (b == null) {
                if (sock.lastError() == Errno.ENOBUFS) overruns++;
                return null;
            }
            int p = 0;
            // nfqueue sends one packet per datagram; anything else (a stray ack) is skipped.
            while (p + NlMsg.NLMSG_HDRLEN <= b.limit()) {
                int len = NlMsg.msgLen(b, p);
                if (len < NlMsg.NLMSG_HDRLEN || p + len > b.limit()) break;
                if (NlMsg.msgType(b, p) == ((NlMsg.NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
                    return parse(b, p, len);
                }
                p += NlMsg.align(len);
            }
        }
    }

    private long overruns;

    /** How many times the kernel reported lost messages (our socket buffer overflowed). */
    public long overruns() {
        return overruns;
    }

    /** Parses one NFQNL_MSG_PACKET message at {@code p}; missing attributes give zero values, never an exception. */
    static QueuedPacket parse(ByteBuffer b, int p, int len) {
        int family = b.get(p + NlMsg.NLMSG_HDRLEN) & 0xff;
        int q = NlMsg.be16(b, p + NlMsg.NLMSG_HDRLEN + 2);
        NlAttrs a = NlAttrs.parse(b, p + NlMsg.NLMSG_HDRLEN + 4, p + len, NFQA_MAX);
        long id = 0;
        int hw = 0, hook = 0;
        if (a.has(NFQA_PACKET_HDR) && a.length(NFQA_PACKET_HDR) >= 7) {
            int o = a.offset(NFQA_PACKET_HDR);
            id = NlMsg.be32(b, o) & 0xffffffffL;
            hw = NlMsg.be16(b, o + 4);
            hook = b.get(o + 6) & 0xff;
        }
        long ts = 0;
        if (a.has(NFQA_TIMESTAMP) && a.length(NFQA_TIMESTAMP) >= 16) {
            int o = a.offset(NFQA_TIMESTAMP);
            ts = NlMsg.be64(b, o) * 1_000_000_000L + NlMsg.be64(b, o + 8) * 1000L;
        }
        byte[] data = a.has(NFQA_PAYLOAD) ? a.bytes(NFQA_PAYLOAD) : new byte[0];
        boolean gso = (a.be32(NFQA_SKB_INFO, 0) & NFQA_SKB_GSO) != 0;
        return new QueuedPacket(q, id, hw, hook, family, a.be32(NFQA_IFINDEX_INDEV, 0), a.be32(NFQA_IFINDEX_OUTDEV, 0),
                a.be32(NFQA_MARK, 0), ts, data, gso);
    }

    /** The name of interface {@code index} in the queue's namespace, cached; null for 0 or unknown. */
    public String interfaceName(int index) {
        if (index <= 0) return null;
        String n = ifNames.get(index);
        if (n == null) {
            n = Libc.ifName(sock.fd(), index);
            if (n == null) return null;
            ifNames.put(index, n);
        }
        return n;
    }

    /** Forgets cached interface names (call when interfaces change). */
    public void forgetInterfaceNames() {
        ifNames.clear();
    }

    /** Unbinds the queue (packets waiting are dropped or, with fail-open... see docs) and closes the socket. */
    @Override
    public void close() {
        try {
            configCmd(NFQNL_CFG_CMD_UNBIND);
        } catch (ErrnoException e) {
            // closing the socket unbinds it as well
        } finally {
            sock.close();
        }
    }
}
