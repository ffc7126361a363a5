package dev.palisade.kernel.nft;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.netlink.ErrnoException;
import dev.palisade.kernel.netlink.NetlinkSocket;
import dev.palisade.kernel.netlink.NlAttrs;
import dev.palisade.kernel.netlink.NlMsg;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * nftables set elements over netlink: thin wrappers named after the kernel
 * messages ({@code NFT_MSG_GETSET}, {@code NFT_MSG_NEWSETELEM},
 * {@code NFT_MSG_DELSETELEM}, {@code NFT_MSG_GETSETELEM} dump). Formats from
 * linux/netfilter/nf_tables.h.
 *
 * <p>Design: changes go in nfnetlink batches ({@code NFNL_MSG_BATCH_BEGIN},
 * messages, {@code NFNL_MSG_BATCH_END}), which the kernel applies as one
 * transaction: all or nothing. Each message carries as many elements as fit
 * in its 64 KiB element list; a batch is cut at {@value #MAX_BATCH_BYTES}
 * bytes (the socket's send buffer), so a million addresses are a few
 * transactions. In an interval set a prefix is two elements: its first
 * address, and the address after its last flagged
 * {@code NFT_SET_ELEM_INTERVAL_END} (none when the prefix reaches the top of
 * the address space), as nft itself stores them.
 * Not thread-safe: one owner thread per instance.
 */
public final class NftSets implements AutoCloseable {

    static final int NFT_MSG_NEWSET = 9, NFT_MSG_GETSET = 10, NFT_MSG_NEWSETELEM = 12, NFT_MSG_GETSETELEM = 13,
            NFT_MSG_DELSETELEM = 14;
    static final int NFTA_SET_TABLE = 1, NFTA_SET_NAME = 2, NFTA_SET_FLAGS = 3, NFTA_SET_KEY_LEN = 5, NFTA_SET_MAX = 20;
    static final int NFTA_SET_ELEM_LIST_TABLE = 1, NFTA_SET_ELEM_LIST_SET = 2, NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    static final int NFTA_LIST_ELEM = 1;
    static final int NFTA_SET_ELEM_KEY = 1, NFTA_SET_ELEM_FLAGS = 3, NFTA_SET_ELEM_TIMEOUT = 4,
            NFTA_SET_ELEM_EXPIRATION = 5, NFTA_SET_ELEM_MAX = 12;
    static final int NFTA_DATA_VALUE = 1;
    static final int NFT_SET_ELEM_INTERVAL_END = 1;
    static final int MAX_LIST_BYTES = 60_000;
    static final int MAX_BATCH_BYTES = 16 << 20;

    private final NetlinkSocket sock;

    public NftSets(NetlinkSocket sock) throws ErrnoException {
        this.sock = sock;
        sock.sendBuffer(MAX_BATCH_BYTES + (1 << 20));
        sock.receiveBuffer(16 << 20);
        sock.receiveTimeout(60_000);
    }

    /** Opens a socket in network namespace {@code netns} (null: the current one). */
    public static NftSets open(String netns) throws Exception {
        return new NftSets(NetlinkSocket.open(netns));
    }

    private static String msgName(int msg) {
        return switch (msg) {
            case NFT_MSG_NEWSETELEM -> "NFT_MSG_NEWSETELEM";
            case NFT_MSG_DELSETELEM -> "NFT_MSG_DELSETELEM";
            case NFT_MSG_GETSETELEM -> "NFT_MSG_GETSETELEM";
            case NFT_MSG_GETSET -> "NFT_MSG_GETSET";
            default -> "NFT_MSG_" + msg;
        };
    }

    /** NFT_MSG_GETSET: the set's flags and key length. */
    public NftSet getSet(int family, String table, String name) throws ErrnoException {
        NlMsg m = new NlMsg(128);
        int seq = sock.nextSeq();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_NFTABLES, NFT_MSG_GETSET, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK, seq, family, 0);
        m.string(NFTA_SET_TABLE, table).string(NFTA_SET_NAME, name);
        m.end(s);
        sock.send(m);
        int[] found = {-1, -1};
        String what = "NFT_MSG_GETSET(" + NftSetName.of(family, table, name) + ")";
        sock.awaitAcks(seq, seq, x -> what, (b, off, len) -> {
            if (NlMsg.msgType(b, off) != ((NlMsg.NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSET)) return;
            NlAttrs a = NlAttrs.parse(b, off + NlMsg.NLMSG_HDRLEN + 4, off + len, NFTA_SET_MAX);
            found[0] = a.be32(NFTA_SET_FLAGS, 0);
            found[1] = a.be32(NFTA_SET_KEY_LEN, 0);
        });
        if (found[1] < 0) throw new ErrnoException(what, 61 /* ENODATA */, "the kernel answered without the set");
        return new NftSet(family, table, name, found[0], found[1]);
    }

    /** Adds elements in one transaction per {@value #MAX_BATCH_BYTES} bytes (NFT_MSG_NEWSETELEM; re-adding is no error). */
    public void add(NftSet set, Collection<SetElement> elements) throws ErrnoException {
        apply(set, List.of(), elements);
    }

    /** Deletes elements (NFT_MSG_DELSETELEM); deleting one that is not there fails the transaction with ENOENT. */
    public void delete(NftSet set, Collection<IpPrefix> prefixes) throws ErrnoException {
        apply(set, prefixes, List.of());
    }

    /**
     * Deletes then adds, in one transaction as long as the batch fits in
     * {@value #MAX_BATCH_BYTES} bytes (else in several, deletes first).
     */
    public void apply(NftSet set, Collection<IpPrefix> delete, Collection<SetElement> add) throws ErrnoException {
        for (IpPrefix p : delete) check(set, p, 0);
        for (SetElement e : add) check(set, e.prefix(), e.timeoutMillis());
        Batch batch = new Batch(set);
        for (IpPrefix p : delete) batch.element(NFT_MSG_DELSETELEM, p, 0);
        for (SetElement e : add) batch.element(NFT_MSG_NEWSETELEM, e.prefix(), e.timeoutMillis());
        batch.commit();
    }

    /** One set's part of {@link #applyAll}: deletes, then adds. */
    public record Change(NftSet set, Collection<IpPrefix> delete, Collection<SetElement> add) {
        public Change {
            delete = List.copyOf(delete);
            add = List.copyOf(add);
        }
    }

    /**
     * Applies the changes of several sets in one transaction (as long as it fits
     * in {@value #MAX_BATCH_BYTES} bytes): all of them are in the kernel, or none.
     */
    public void applyAll(List<Change> changes) throws ErrnoException {
        if (changes.isEmpty()) return;
        for (Change c : changes) {
            for (IpPrefix p : c.delete()) check(c.set(), p, 0);
            for (SetElement e : c.add()) check(c.set(), e.prefix(), e.timeoutMillis());
        }
        Batch batch = new Batch(changes.getFirst().set());
        for (Change c : changes) {
            batch.target(c.set());
            for (IpPrefix p : c.delete()) batch.element(NFT_MSG_DELSETELEM, p, 0);
            for (SetElement e : c.add()) batch.element(NFT_MSG_NEWSETELEM, e.prefix(), e.timeoutMillis());
        }
        batch.commit();
    }

    /**
     * Adds {@code p} and deletes it again in one transaction: no packet ever
     * sees it, but the code and the kernel path of a set change have run
     * (a warm-up). {@code p} must not be in the set: the delete would remove it.
     */
    public void touch(NftSet set, IpPrefix p) throws ErrnoException {
        check(set, p, 0);
        Batch batch = new Batch(set);
        batch.element(NFT_MSG_NEWSETELEM, p, 0);
        batch.element(NFT_MSG_DELSETELEM, p, 0);
        batch.commit();
    }

    private static void check(NftSet set, IpPrefix p, long timeout) {
        if (p.v6() != set.v6()) {
            throw new IllegalArgumentException("set " + set + " holds " + (set.v6() ? "IPv6" : "IPv4")
                    + " addresses, not " + p);
        }
        if (!set.interval() && !p.isHost()) {
            throw new IllegalArgumentException("set " + set + " has no 'flags interval', so it cannot hold prefix " + p
                    + " (it would match one address only)");
        }
        if (timeout > 0 && !set.timeout()) {
            throw new IllegalArgumentException("set " + set + " has no 'flags timeout', so " + p
                    + " cannot get a timeout");
        }
    }

    /** One or more nfnetlink batches under construction. */
    private final class Batch {
        NftSet set;
        final NlMsg m = new NlMsg(1 << 16);
        final Map<Integer, String> desc = new HashMap<>();
        int beginSeq, firstSeq, lastSeq, count;
        int msgStart = -1, listStart, msgType;

        Batch(NftSet set) {
            this.set = set;
            startBatch();
        }

        void startBatch() {
            m.clear();
            desc.clear();
            count = 0;
            beginSeq = sock.nextSeq();
            int s = m.begin(NlMsg.NFNL_MSG_BATCH_BEGIN, NlMsg.NLM_F_REQUEST, beginSeq);
            m.nfgen(0, NlMsg.NFNL_SUBSYS_NFTABLES);
            m.end(s);
            firstSeq = beginSeq + 1;
            lastSeq = beginSeq;
        }

        /** The set the next elements go to (a new message when it changes). */
        void target(NftSet s) {
            if (s == set) return;
            closeMsg();
            set = s;
        }

        void element(int type, IpPrefix p, long timeout) throws ErrnoException {
            byte[] start = p.address().toBytes();
            IpAddress last = p.last();
            byte[] end = null;
            if (set.interval()) end = increment(last.toBytes());
            int need = 64 + start.length * 2 + 32;
            if (msgStart >= 0 && (msgType != type || m.size() - listStart + need > MAX_LIST_BYTES)) closeMsg();
            if (m.size() + need + 64 > MAX_BATCH_BYTES) {
                closeMsg();
                commit();
                startBatch();
            }
            if (msgStart < 0) openMsg(type);
            elem(start, 0, timeout);
            if (end != null) elem(end, NFT_SET_ELEM_INTERVAL_END, 0);
        }

        private void elem(byte[] key, int flags, long timeout) {
            int e = m.nest(NFTA_LIST_ELEM);
            int k = m.nest(NFTA_SET_ELEM_KEY);
            m.attr(NFTA_DATA_VALUE, key);
            m.nestEnd(k);
            if (flags != 0) m.be32(NFTA_SET_ELEM_FLAGS, flags);
            if (timeout > 0) m.be64(NFTA_SET_ELEM_TIMEOUT, timeout);
            m.nestEnd(e);
        }

        void openMsg(int type) {
            int seq = sock.nextSeq();
            lastSeq = seq;
            msgType = type;
            msgStart = m.beginNf(NlMsg.NFNL_SUBSYS_NFTABLES, type,
                    NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_ACK | (type == NFT_MSG_NEWSETELEM ? NlMsg.NLM_F_CREATE : 0),
                    seq, set.family(), 0);
            m.string(NFTA_SET_ELEM_LIST_TABLE, set.table()).string(NFTA_SET_ELEM_LIST_SET, set.name());
            listStart = m.nest(NFTA_SET_ELEM_LIST_ELEMENTS);
            desc.put(seq, msgName(type) + "(" + set + ")");
            count++;
        }

        void closeMsg() {
            if (msgStart < 0) return;
            m.nestEnd(listStart);
            m.end(msgStart);
            msgStart = -1;
        }

        void commit() throws ErrnoException {
            closeMsg();
            if (count == 0) return;
            int endSeq = sock.nextSeq();
            int s = m.begin(NlMsg.NFNL_MSG_BATCH_END, NlMsg.NLM_F_REQUEST, endSeq);
            m.nfgen(0, NlMsg.NFNL_SUBSYS_NFTABLES);
            m.end(s);
            sock.send(m);
            String batchWhat = "NFNL_MSG_BATCH_BEGIN(" + set + ")";
            sock.awaitAcks(firstSeq, lastSeq, count, beginSeq,
                    seq -> seq == beginSeq ? batchWhat : desc.getOrDefault(seq, "nfnetlink batch (" + set + ")"), null);
            count = 0;
        }
    }

    /** The address after {@code b}, or null when {@code b} is all ones. */
    static byte[] increment(byte[] b) {
        byte[] r = b.clone();
        for (int i = r.length - 1; i >= 0; i--) {
            if (++r[i] != 0) return r;
        }
        return null;
    }

    /** NFT_MSG_GETSETELEM dump: the set's elements, intervals put back together as prefixes. */
    public List<SetElement> list(NftSet set) throws ErrnoException {
        NlMsg m = new NlMsg(128);
        int seq = sock.nextSeq();
        int s = m.beginNf(NlMsg.NFNL_SUBSYS_NFTABLES, NFT_MSG_GETSETELEM, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_DUMP, seq,
                set.family(), 0);
        m.string(NFTA_SET_ELEM_LIST_TABLE, set.table()).string(NFTA_SET_ELEM_LIST_SET, set.name());
        m.end(s);
        sock.send(m);
        List<Raw> raw = new ArrayList<>();
        sock.readDump(seq, "NFT_MSG_GETSETELEM(" + set + ")", (b, off, len) -> {
            NlAttrs a = NlAttrs.parse(b, off + NlMsg.NLMSG_HDRLEN + 4, off + len, 4);
            if (!a.has(NFTA_SET_ELEM_LIST_ELEMENTS)) return;
            int lo = a.offset(NFTA_SET_ELEM_LIST_ELEMENTS);
            NlAttrs.forEach(b, lo, lo + a.length(NFTA_SET_ELEM_LIST_ELEMENTS), (t, eo, el) -> {
                if (t != NFTA_LIST_ELEM) return;
                NlAttrs e = NlAttrs.parse(b, eo, eo + el, NFTA_SET_ELEM_MAX);
                byte[] key = e.nested(NFTA_SET_ELEM_KEY, 2).bytes(NFTA_DATA_VALUE);
                if (key == null || key.length != set.keyLen()) return;
                raw.add(new Raw(key, (e.be32(NFTA_SET_ELEM_FLAGS, 0) & NFT_SET_ELEM_INTERVAL_END) != 0,
                        e.be64(NFTA_SET_ELEM_TIMEOUT, 0), e.be64(NFTA_SET_ELEM_EXPIRATION, 0)));
            });
        });
        return set.interval() ? intervals(raw) : hosts(raw);
    }

    record Raw(byte[] key, boolean end, long timeout, long expires) {}

    private static List<SetElement> hosts(List<Raw> raw) {
        List<SetElement> r = new ArrayList<>(raw.size());
        for (Raw x : raw) r.add(new SetElement(IpPrefix.host(IpAddress.ofBytes(x.key())), x.timeout(), x.expires()));
        return r;
    }

    /** Pairs each start element with the end element after it (ends before starts at one key). */
    static List<SetElement> intervals(List<Raw> raw) {
        raw.sort(Comparator.<Raw, IpAddress>comparing(x -> IpAddress.ofBytes(x.key())).thenComparing(x -> !x.end()));
        List<SetElement> r = new ArrayList<>(raw.size() / 2 + 1);
        Raw open = null;
        for (Raw x : raw) {
            if (!x.end()) {
                if (open != null) addRange(r, open, null); // XXX a start without an end: runs to the next start
                open = x;
            } else if (open != null) {
                addRange(r, open, x.key());
                open = null;
            }
        }
        if (open != null) addRange(r, open, null);
        return r;
    }

    private static void addRange(List<SetElement> out, Raw start, byte[] endExclusive) {
        for (IpPrefix p : rangeToPrefixes(start.key(), endExclusive)) {
            out.add(new SetElement(p, start.timeout(), start.expires()));
        }
    }

    /** The fewest prefixes covering {@code [start, end)}; a null end means the top of the address space. */
    static List<IpPrefix> rangeToPrefixes(byte[] start, byte[] endExclusive) {
        int bits = start.length * 8;
        List<IpPrefix> r = new ArrayList<>(1);
        if (bits == 32) {
            long s = Integer.toUnsignedLong(IpAddress.ofBytes(start).v4());
            long e = endExclusive == null ? 1L << 32 : Integer.toUnsignedLong(IpAddress.ofBytes(endExclusive).v4());
            while (s < e) {
                int len = 32 - Math.min(Long.numberOfTrailingZeros(s | (1L << 32)), 63 - Long.numberOfLeadingZeros(e - s));
                r.add(new IpPrefix(IpAddress.ofV4((int) s), len));
                s += 1L << (32 - len);
            }
            return r;
        }
        BigInteger s = new BigInteger(1, start);
        BigInteger e = endExclusive == null ? BigInteger.ONE.shiftLeft(128) : new BigInteger(1, endExclusive);
        while (s.compareTo(e) < 0) {
            int tz = s.signum() == 0 ? 128 : s.getLowestSetBit();
            int fit = e.subtract(s).bitLength() - 1;
            int size = Math.min(tz, fit);
            byte[] b = s.toByteArray();
            byte[] a = new byte[16];
            int n = Math.min(b.length, 16);
            System.arraycopy(b, b.length - n, a, 16 - n, n);
            r.add(new IpPrefix(IpAddress.ofBytes(a), 128 - size));
            s = s.add(BigInteger.ONE.shiftLeft(size));
        }
        return r;
    }

    @Override
    public void close() {
        sock.close();
    }

    /** Formats a set's name for messages before its flags are known. */
    static final class NftSetName {
        static String of(int family, String table, String name) {
            String fam = family == NftSet.NFPROTO_INET ? "inet" : family == NftSet.NFPROTO_IPV4 ? "ip"
                    : family == NftSet.NFPROTO_IPV6 ? "ip6" : "family" + family;
            return fam + " " + table + " " + name;
        }
    }
}
