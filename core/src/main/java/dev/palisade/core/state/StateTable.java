package dev.palisade.core.state;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.packet.Checksums;
import dev.palisade.core.packet.Packet;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.random.RandomGenerator;

/**
 * pf's state table: the flows a {@code keep state} / {@code modulate state}
 * rule let through, so that their later packets pass without rule
 * evaluation, and TCP packets only when they fit the connection.
 *
 * <h2>Semantics (after OpenBSD sys/net/pf.c)</h2>
 * <ul>
 * <li><b>Keys</b>: address family, protocol, two addresses and two ports
 *   (ICMP queries: the query id and the request type; other protocols: 0),
 *   oriented as pf orients them by direction: for a packet going in, its
 *   source is side 0; going out, its destination is. One key per state then
 *   matches the creating direction's packets and their replies travelling
 *   the other way. States float across interfaces unless {@code if-bound}.
 * <li><b>TCP</b>: Guido van Rooij's window tracking as in
 *   {@code pf_tcp_track_full()}: per peer seqlo (highest sequence number
 *   sent + 1), seqhi (highest it may send: the other's ack + window),
 *   max_win, window scale; a packet passes when its data ends inside the
 *   receiver's window, starts no more than one window back, and its ack is
 *   within MAXACKWINDOW (65535 + 1500) of what the other side sent; a RST
 *   only with the exact sequence number (or one off), as modern pf. The
 *   TCPS_* machine per peer picks the timeout (tcp.first ... tcp.closed).
 *   A "loose" second test admits packets right after a flush or around
 *   close without refreshing the expiry. A SYN on a state whose both ends
 *   are closed removes it and goes back to the rules (state reuse).
 * <li><b>sloppy</b>: the state machine without the window checks
 *   ({@code pf_tcp_track_sloppy}).
 * <li><b>modulate state</b>: the initiator's ISN is replaced by a random
 *   one on the SYN, the responder's on its first packet; every later packet
 *   has seq shifted and ack (and SACK block edges) shifted back, with an
 *   incremental checksum fix.
 *   The packet bytes are rewritten in place.
 * <li><b>UDP/other</b>: SINGLE/MULTIPLE pseudo-states (udp.first,
 *   udp.single, udp.multiple; other.*). <b>ICMP queries</b>: icmp.first,
 *   then icmp.error once answered.
 * <li><b>ICMP errors</b> match the state of the packet they quote (its
 *   reverse key); for TCP the quoted sequence number must lie in the
 *   sender's window, else the error is dropped as a bad state.
 * <li><b>Expiry</b>: last activity + timeout, scaled down linearly between
 *   adaptive.start and adaptive.end states (0 at the end), as
 *   {@code pf_state_expires()}. Expired states are dropped lazily on lookup
 *   and by {@link #purge(int)}.
 * <li><b>Limits</b>: a global state limit ({@code set limit states},
 *   default 100000) and a per-rule {@code max}.
 * </ul>
 *
 * <h2>Layout: why arrays</h2>
 * A million states must fit in 300 MB and a lookup must take well under
 * 100 ns. Objects per state (a header, a key object, two peer objects, a
 * map entry) cost ~250 bytes and scatter over the heap. Here a state is a
 * record of 16 longs (128 bytes, two cache lines) in one {@code long[]},
 * aligned so the keys and flags share one line, found through an
 * open-addressing hash index of ints (linear probing, load at most 1/2,
 * backward-shift deletion so no tombstones) whose entries are checked
 * against a stored 32-bit hash before the keys are compared. A first layout
 * with one array per field (struct of arrays) measured 177 bytes per state
 * but touched ~20 cache lines per lookup, which cost microseconds once the
 * table outgrew the caches; one record per state touches two.
 * Freed ids are reused. Nothing is allocated per packet.
 *
 * <p>A lookup still costs two dependent cache misses once the table outgrows the
 * caches (index slot, then record). {@link #probeIndex} and {@link #touchRecord}
 * let a caller with a batch of packets ({@code replay}) take the misses of the
 * whole batch side by side before it tests the packets in order.
 *
 * <p>Not thread safe: one table per evaluating thread, as pf's per-CPU
 * processing is serialised on its table lock.
 *
 * <p>Source tracking (max-src-*, overload) is the evaluator's: it hears every
 * removal through {@link #onRemove}.
 *
 * <p>XXX not modelled: synproxy, NAT
 * (one key per state, never a wire/stack pair), rule-specific adaptive counts (the global
 * count is used), fragments (no reassembly: a
 * non-first fragment never matches a state).
 */
public final class StateTable {

    private IntConsumer removeListener;
    /** Widest acknowledgement skew accepted (pf: 0xffff + 1500). */
    public static final int MAXACKWINDOW = 0xffff + 1500;
    /** pf's default {@code set limit states}. */
    public static final int DEFAULT_LIMIT = 100_000;

    /** {@link #create} failures (negative results). */
    public static final int CREATE_LIMIT = -1, CREATE_RULE_LIMIT = -2, CREATE_EXISTS = -3, CREATE_UNSUPPORTED = -4;

    private static final int WSCALE_FLAG = 0x80, WSCALE_MASK = 0x0f, MAX_WINSHIFT = 14;

    // meta bits
    private static final int M_V6 = 1, M_IN = 1 << 9, M_SLOPPY = 1 << 10, M_LIVE = 1 << 11;
    private static final int M_KEY = 0x1ff; // v6 bit + proto << 1
    private static final int M_TIMEOUT_SHIFT = 16;

    private static final Timeout[] TIMEOUTS = Timeout.values();

    // One record of W = 16 longs (128 bytes, two cache lines) per state, the first record starting
    // BASE longs into the array so that records sit on 64-byte boundaries in a region-aligned array
    // (array data begins 16 bytes into the object); the keys and flags share the first line.
    private static final int W = 16, BASE = 6;
    private static final int K_A0HI = 0, K_A0LO = 1, K_A1HI = 2, K_A1LO = 3, // key addresses
            F_PORTS_HASH = 4, // ports << 32 | stored hash
            F_META_STATES = 5, // meta << 32 | pstate0 | pstate1 << 8 | wscale0 << 16 | wscale1 << 24
            F_RULE_TMO_IF = 6, // rule << 32 | timeouts index << 16 | if-bound interface (0xffff floating)
            F_EXPIRE = 7,
            F_PEER = 8, // per side (2 longs each): seqlo << 32 | seqhi, seqdiff << 32 | maxwin
            F_PACKETS = 12, F_BYTES = 14; // per side
    private static final int FLOATING = 0xffff;

    private final InstantSource clock;
    private final RandomGenerator random;
    private final Timeouts timeouts;
    private int limit;

    private long[] rec;
    private long[] created; // cold: only for display
    private int cap;
    private Timeouts[] tmoTable = {null}; // index 0: the table's global timeouts
    private final Map<Timeouts, Integer> tmoIndex = new HashMap<>();

    // Open addressing, linear probing: tag << 24 | (id + 1), 0 = empty, tag = the hash's top 8 bits.
    // The tag beside the id lets a probe pass over other states' slots without reading their
    // records (255 in 256 times): a record is a cache line elsewhere (often cold: a state that is
    // idle or dying), so before the tags a lookup that probed past one neighbour, or missed (every
    // new flow's first packet), paid a memory access per slot probed. 4-byte slots keep the index
    // small (2 MB for 130k states): it is read at random once per packet. Ids fit in 24 bits
    // (MAX_LIMIT).
    private int[] index;
    private static final int GROW_TO = 1 << 18;
    /** Most states a table can hold: ids are 24 bits in the index. */
    public static final int MAX_LIMIT = (1 << 24) - 1;
    private int mask;
    private int size;
    private int nextUnused;
    private int[] free = new int[16];
    private int freeTop;
    private int[] ruleStates = new int[16];
    private int purgeCursor;

    // counters (pfctl -s info)
    private long searches, inserts, removals, stateMismatch, stateLimit, stateInsert;

    // last lookup
    private int lastId = -1;
    private boolean lastForward, lastRewritten, lastHandshakeMismatch;

    // peers of the packet being tracked, loaded from and stored to the record
    private int sLo, sHi, sDiff, sWin, sState, sWs;
    private int dLo, dHi, dDiff, dWin, dState, dWs;

    /** A table with pf's default timeouts and limit. */
    public StateTable(InstantSource clock, RandomGenerator random) {
        this(DEFAULT_LIMIT, Timeouts.defaults(), clock, random);
    }

    /**
     * @param limit    most states at once ({@code set limit states})
     * @param timeouts global timeouts ({@code set timeout})
     * @param clock    time source for expiry
     * @param random   source of modulated sequence numbers
     */
    public StateTable(int limit, Timeouts timeouts, InstantSource clock, RandomGenerator random) {
        checkLimit(limit);
        this.limit = limit;
        this.timeouts = timeouts;
        this.clock = clock;
        this.random = random;
        cap = 1024;
        rec = new long[BASE + cap * W];
        created = new long[cap];
        index = new int[2048];
        mask = index.length - 1;
    }

    // ------------------------------------------------------------------ record fields

    private int meta(int id) { return (int) (rec[(BASE + id * W) + F_META_STATES] >>> 32); }
    private void setMeta(int id, int m) { int b = (BASE + id * W) + F_META_STATES; rec[b] = ((long) m << 32) | (rec[b] & 0xffffffffL); }
    private int hashAt(int id) { return (int) rec[(BASE + id * W) + F_PORTS_HASH]; }
    private int rule(int id) { return (int) (rec[(BASE + id * W) + F_RULE_TMO_IF] >>> 32); }
    private Timeouts timeoutsOf(int id) {
        int i = ((int) rec[(BASE + id * W) + F_RULE_TMO_IF]) >>> 16;
        return i == 0 ? timeouts : tmoTable[i];
    }
    private boolean live(int id) { return id >= 0 && id < nextUnused && (meta(id) & M_LIVE) != 0; }

    private void loadPeers(int id, int s) {
        int b = (BASE + id * W);
        long s0 = rec[b + F_PEER + 2 * s], s1 = rec[b + F_PEER + 2 * s + 1];
        long d0 = rec[b + F_PEER + 2 * (1 - s)], d1 = rec[b + F_PEER + 2 * (1 - s) + 1];
        sLo = (int) (s0 >>> 32); sHi = (int) s0; sDiff = (int) (s1 >>> 32); sWin = (int) s1;
        dLo = (int) (d0 >>> 32); dHi = (int) d0; dDiff = (int) (d1 >>> 32); dWin = (int) d1;
        int st = (int) rec[b + F_META_STATES];
        sState = (st >>> (8 * s)) & 0xff;
        dState = (st >>> (8 * (1 - s))) & 0xff;
        sWs = (st >>> (16 + 8 * s)) & 0xff;
        dWs = (st >>> (16 + 8 * (1 - s))) & 0xff;
    }

    private void storePeers(int id, int s) {
        int b = (BASE + id * W);
        rec[b + F_PEER + 2 * s] = ((long) sLo << 32) | (sHi & 0xffffffffL);
        rec[b + F_PEER + 2 * s + 1] = ((long) sDiff << 32) | (sWin & 0xffffffffL);
        rec[b + F_PEER + 2 * (1 - s)] = ((long) dLo << 32) | (dHi & 0xffffffffL);
        rec[b + F_PEER + 2 * (1 - s) + 1] = ((long) dDiff << 32) | (dWin & 0xffffffffL);
        int st = (sState << (8 * s)) | (dState << (8 * (1 - s))) | (sWs << (16 + 8 * s)) | (dWs << (16 + 8 * (1 - s)));
        rec[b + F_META_STATES] = (rec[b + F_META_STATES] & 0xffffffff00000000L) | (st & 0xffffffffL);
    }

    // ------------------------------------------------------------------ keys

    private static int hashOf(long x0, long y0, long x1, long y1, int ports, int key) {
        long h = x0 * 0x9E3779B97F4A7C15L;
        h = (h ^ y0) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ x1) * 0x165667B19E3779F9L;
        h = (h ^ y1) * 0x9E3779B97F4A7C15L;
        h = (h ^ ((long) ports << 9 | key)) * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return (int) (h ^ (h >>> 32));
    }

    private int find(int key, long x0, long y0, long x1, long y1, int prt, int ifIndex) {
        searches++;
        int h = hashOf(x0, y0, x1, y1, prt, key);
        long ph = ((long) prt << 32) | (h & 0xffffffffL);
        int i = h & mask;
        int[] ix = index;
        long[] r = rec;
        int tag = h >>> 24;
        for (int slot; (slot = ix[i]) != 0; i = (i + 1) & mask) {
            if (slot >>> 24 != tag) continue;
            int e = slot & 0xffffff;
            int b = BASE + (e - 1) * W;
            if (r[b + F_PORTS_HASH] == ph && r[b + K_A0LO] == y0 && r[b + K_A1LO] == y1 && r[b + K_A0HI] == x0
                    && r[b + K_A1HI] == x1) {
                int bound = (int) r[b + F_RULE_TMO_IF] & 0xffff;
                if ((((int) (r[b + F_META_STATES] >>> 32)) & M_KEY) == key && (bound == FLOATING || bound == (ifIndex & 0xffff))) {
                    return e - 1;
                }
            }
        }
        return -1;
    }

    private void indexInsert(int id) {
        if ((size + 1) * 2 > index.length) {
            int[] old = index;
            index = new int[Math.max(old.length * 2, Integer.highestOneBit(cap * 2 - 1) << 1)]; // sized for cap at once
            mask = index.length - 1;
            for (int e : old) {
                if (e != 0) place(e, hashAt((e & 0xffffff) - 1));
            }
        }
        int h = hashAt(id);
        place((h >>> 24) << 24 | (id + 1), h);
    }

    private void place(int e, int h) {
        int i = h & mask;
        while (index[i] != 0) i = (i + 1) & mask;
        index[i] = e;
    }

    private void indexRemove(int id) {
        int i = hashAt(id) & mask;
        while ((index[i] & 0xffffff) != id + 1) i = (i + 1) & mask;
        // backward-shift deletion for linear probing
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            int e = index[j];
            if (e == 0) break;
            int home = hashAt((e & 0xffffff) - 1) & mask;
            boolean between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!between) {
                index[i] = e;
                i = j;
            }
        }
        index[i] = 0;
    }

    /** ICMP query ports: requests (id, type), replies (type, id) so both map to one key. */
    private static int icmpPorts(Packet p) {
        int t = p.icmpType();
        int vt;
        boolean reply;
        if (p.v6()) {
            if (t == 128 || t == 129) {
                vt = 128;
                reply = t == 129;
            } else {
                vt = t;
                reply = false;
            }
        } else {
            switch (t) {
                case 8, 0 -> { vt = 8; reply = t == 0; }
                case 13, 14 -> { vt = 13; reply = t == 14; }
                case 15, 16 -> { vt = 15; reply = t == 16; }
                case 17, 18 -> { vt = 17; reply = t == 18; }
                default -> { vt = t; reply = false; }
            }
        }
        int id = Math.max(p.icmpId(), 0);
        return reply ? (vt << 16) | id : (id << 16) | vt;
    }

    private static boolean isIcmp(Packet p) {
        return (p.proto() == Packet.PROTO_ICMP && !p.v6()) || (p.proto() == Packet.PROTO_ICMPV6 && p.v6());
    }

    /** Source port/destination port of a packet as the key sees them, or -1 when it cannot have a state. */
    private static int packetPorts(Packet p) {
        int proto = p.proto();
        if (proto == Packet.PROTO_TCP || proto == Packet.PROTO_UDP) {
            return p.hasTransport() ? (p.srcPort() << 16) | p.dstPort() : -1;
        }
        if (isIcmp(p)) {
            return p.hasTransport() ? icmpPorts(p) : -1;
        }
        return 0;
    }

    private static int keyBits(Packet p) {
        return (p.v6() ? M_V6 : 0) | (p.proto() << 1);
    }

    private int findFor(Packet p, boolean in, int prt, int ifIndex) {
        int key = keyBits(p);
        if (in) {
            return find(key, p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), prt, ifIndex);
        }
        return find(key, p.dstHi(), p.dstLo(), p.srcHi(), p.srcLo(), (prt << 16) | (prt >>> 16), ifIndex);
    }

    // ------------------------------------------------------------------ prefetch

    /**
     * The first half of a software prefetch: computes the hash {@link #test}
     * would compute for {@code p} and reads its home slot of the index,
     * returning what it holds (0 for an empty slot). Nothing changes. A caller
     * that holds a batch of packets calls this for all of them, then
     * {@link #touchRecord} with the results, then {@link #test} in order: the
     * cache misses of the batch's lookups then overlap instead of following
     * each other (a lookup's index miss and record miss are dependent, but
     * sixteen lookups' misses are not). Purely a hint: the result only says
     * where to look, and any packet, even one the table cannot hold, is fine.
     */
    public int probeIndex(Packet p, boolean in) {
        if (!p.ok() || p.fragmentOffset() != 0) return 0;
        int proto = p.proto();
        int prt;
        if (proto == Packet.PROTO_TCP || proto == Packet.PROTO_UDP) {
            if (!p.hasTransport()) return 0;
            prt = (p.srcPort() << 16) | p.dstPort();
        } else {
            prt = 0; // ICMP and others: their first packet creates a state, errors look elsewhere; no hint
            if (isIcmp(p)) return 0;
        }
        int key = keyBits(p);
        int h = in ? hashOf(p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), prt, key)
                : hashOf(p.dstHi(), p.dstLo(), p.srcHi(), p.srcLo(), (prt << 16) | (prt >>> 16), key);
        int[] ix = index;
        int tag = h >>> 24;
        for (int i = h & mask; ; i = (i + 1) & mask) { // the first slot with this tag: its record is the one to touch
            int slot = ix[i];
            if (slot == 0 || slot >>> 24 == tag) return slot & 0xffffff;
        }
    }

    /**
     * The second half of the prefetch: reads both cache lines of the record
     * an index entry of {@link #probeIndex} names; returns a value to fold
     * into something the caller keeps (so the reads are not optimised away).
     */
    public long touchRecord(int entry) {
        if (entry <= 0 || entry > nextUnused) return 0;
        int b = BASE + (entry - 1) * W;
        return rec[b + F_PORTS_HASH] ^ rec[b + F_PEER];
    }

    // ------------------------------------------------------------------ lookup

    /**
     * Looks {@code p} up as pf_test_state does and, when a state matches,
     * tracks it (window checks, state machine, counters, expiry). With
     * {@code modulate state} the packet's bytes are rewritten.
     *
     * @param p       a decoded packet
     * @param in      true when the packet goes in on its interface, false out
     * @param ifIndex the interface (matters for if-bound states only)
     */
    public StateVerdict test(Packet p, boolean in, int ifIndex) {
        lastId = -1;
        lastForward = false;
        lastRewritten = false;
        lastHandshakeMismatch = false;
        if (!p.ok() || p.fragmentOffset() != 0) {
            return StateVerdict.NO_STATE;
        }
        if (isIcmp(p) && p.isIcmpError()) {
            return testIcmpError(p, in, ifIndex);
        }
        int prt = packetPorts(p);
        if (prt == -1) {
            return StateVerdict.NO_STATE;
        }
        int id = findFor(p, in, prt, ifIndex);
        if (id < 0) {
            return StateVerdict.NO_STATE;
        }
        long now = clock.millis();
        if (now >= expiresAt(id)) {
            remove(id);
            return StateVerdict.NO_STATE;
        }
        int meta = meta(id);
        boolean fwd = ((meta & M_IN) != 0) == in;
        int s = fwd ? 0 : 1;
        lastId = id;
        lastForward = fwd;
        loadPeers(id, s);
        StateVerdict v;
        int proto = p.proto();
        if (proto == Packet.PROTO_TCP) {
            v = (meta & M_SLOPPY) != 0 ? trackSloppy(p, id, now) : trackFull(p, id, now);
        } else if (isIcmp(p)) {
            rec[(BASE + id * W) + F_EXPIRE] = now;
            setTimeout(id, Timeout.ICMP_ERROR);
            v = StateVerdict.PASS;
        } else {
            if (sState < TcpStates.SINGLE) sState = TcpStates.SINGLE;
            if (dState == TcpStates.SINGLE) dState = TcpStates.MULTIPLE;
            rec[(BASE + id * W) + F_EXPIRE] = now;
            boolean multi = sState == TcpStates.MULTIPLE && dState == TcpStates.MULTIPLE;
            if (proto == Packet.PROTO_UDP) {
                setTimeout(id, multi ? Timeout.UDP_MULTIPLE : Timeout.UDP_SINGLE);
            } else {
                setTimeout(id, multi ? Timeout.OTHER_MULTIPLE : Timeout.OTHER_SINGLE);
            }
            v = StateVerdict.PASS;
        }
        if (v == StateVerdict.REUSED) {
            lastId = -1;
            return v;
        }
        storePeers(id, s);
        if (v == StateVerdict.PASS) {
            rec[(BASE + id * W) + F_PACKETS + s]++;
            rec[(BASE + id * W) + F_BYTES + s] += p.ipLength();
        } else {
            stateMismatch++;
        }
        return v;
    }

    private static boolean seqGeq(int a, int b) {
        return a - b >= 0;
    }

    private static boolean seqGt(int a, int b) {
        return a - b > 0;
    }

    private void setTimeout(int id, Timeout t) {
        int m = meta(id);
        setMeta(id, (m & ((1 << M_TIMEOUT_SHIFT) - 1)) | (t.ordinal() << M_TIMEOUT_SHIFT));
    }

    private Timeout timeoutOf(int id) {
        return TIMEOUTS[meta(id) >>> M_TIMEOUT_SHIFT];
    }

    private void tcpTimeout(int id) {
        Timeout t;
        if (sState >= TcpStates.FIN_WAIT_2 && dState >= TcpStates.FIN_WAIT_2) t = Timeout.TCP_CLOSED;
        else if (sState >= TcpStates.CLOSING && dState >= TcpStates.CLOSING) t = Timeout.TCP_FINWAIT;
        else if (sState < TcpStates.ESTABLISHED || dState < TcpStates.ESTABLISHED) t = Timeout.TCP_OPENING;
        else if (sState >= TcpStates.CLOSING || dState >= TcpStates.CLOSING) t = Timeout.TCP_CLOSING;
        else t = Timeout.TCP_ESTABLISHED;
        setTimeout(id, t);
    }

    private static int wscaleOption(Packet p) {
        int w = p.wscale();
        return w < 0 ? 0 : Math.min(w, MAX_WINSHIFT) | WSCALE_FLAG;
    }

    private void rewriteSeqAck(Packet p, int seq, int ack) {
        byte[] b = p.buffer();
        int t = p.transportOffset();
        Checksums.replace32(b, t + 16, t + 4, seq);
        Checksums.replace32(b, t + 16, t + 8, ack);
        lastRewritten = true;
    }

    /** pf_tcp_track_full on the loaded peers (s = the packet's sender). */
    private StateVerdict trackFull(Packet p, int id, long now) {
        int flags = p.tcpFlags();
        boolean syn = (flags & Packet.TH_SYN) != 0, fin = (flags & Packet.TH_FIN) != 0;
        boolean ackf = (flags & Packet.TH_ACK) != 0, rst = (flags & Packet.TH_RST) != 0;
        if (syn && !ackf && sState >= TcpStates.FIN_WAIT_2 && dState >= TcpStates.FIN_WAIT_2) {
            remove(id);
            return StateVerdict.REUSED;
        }
        int win = p.window();
        int sws, dws;
        if (sWs != 0 && dWs != 0 && !syn) {
            sws = sWs & WSCALE_MASK;
            dws = dWs & WSCALE_MASK;
        } else {
            sws = dws = 0;
        }
        int seq = (int) p.seq();
        int origSeq = seq;
        int ack;
        int end;
        int plen = p.payloadLength();
        if (sLo == 0) {
            // first packet from this end
            if (dDiff != 0 && sDiff == 0) {
                int diff;
                do {
                    diff = random.nextInt() - seq;
                } while (diff == 0);
                sDiff = diff;
                ack = (int) p.ack() - dDiff;
                rewriteSeqAck(p, seq + diff, ack);
            } else {
                ack = (int) p.ack();
            }
            end = seq + plen;
            if (syn) {
                end++;
                if ((dWs & WSCALE_FLAG) != 0) {
                    sWs = wscaleOption(p);
                    if ((sWs & WSCALE_FLAG) != 0) {
                        // remove the scale factor from the initial window
                        sws = sWs & WSCALE_MASK;
                        win = (win + (1 << sws) - 1) >>> sws;
                        dws = dWs & WSCALE_MASK;
                    } else {
                        // the other end scales but this one does not: fix up the other window
                        dWin <<= dWs & WSCALE_MASK;
                        dWs = 0;
                    }
                }
            }
            if (fin) end++;
            sLo = seq;
            if (sState < TcpStates.SYN_SENT) sState = TcpStates.SYN_SENT;
            int w = Math.max(1, dWin << dws);
            if (sHi == 1 || seqGeq(end + w, sHi)) sHi = end + w;
            if (win > sWin) sWin = win;
        } else {
            ack = (int) p.ack() - dDiff;
            if (sDiff != 0) {
                rewriteSeqAck(p, seq + sDiff, ack);
            }
            end = seq + plen;
            if (syn) end++;
            if (fin) end++;
        }
        if (!ackf) {
            ack = dLo; // let it pass the ack skew check
        } else if ((ack == 0 && rst) || dState < TcpStates.SYN_SENT) {
            ack = dLo; // broken stacks: RST|ACK with ack 0, FIN|ACK after a timed-out SYN
        }
        if (seq == end) {
            // no data: ease the sequencing restrictions
            seq = sLo;
            end = seq;
        }
        int ackskew = dLo - ack;
        if (dDiff != 0 && p.tcpHeaderLength() > 20) {
            modulateSack(p, dDiff);
        }
        if (seqGeq(sHi, end)
                && seqGeq(seq, sLo - (dWin << dws))
                && ackskew >= -MAXACKWINDOW
                && ackskew <= (MAXACKWINDOW << sws)
                && (!rst || origSeq == sLo || origSeq == sLo + 1 || origSeq + 1 == sLo)) {
            if (sWin < win) sWin = win;
            if (seqGt(end, sLo)) sLo = end;
            if (seqGeq(ack + (win << sws), dHi)) dHi = ack + Math.max(win << sws, 1);
            if (syn && sState < TcpStates.SYN_SENT) sState = TcpStates.SYN_SENT;
            if (fin && sState < TcpStates.CLOSING) sState = TcpStates.CLOSING;
            if (ackf) {
                if (dState == TcpStates.SYN_SENT) dState = TcpStates.ESTABLISHED;
                else if (dState == TcpStates.CLOSING) dState = TcpStates.FIN_WAIT_2;
            }
            if (rst) sState = dState = TcpStates.TIME_WAIT;
            rec[(BASE + id * W) + F_EXPIRE] = now;
            tcpTimeout(id);
            return StateVerdict.PASS;
        }
        if ((dState < TcpStates.SYN_SENT || dState >= TcpStates.FIN_WAIT_2 || sState >= TcpStates.FIN_WAIT_2)
                && seqGeq(sHi + MAXACKWINDOW, end)
                && seqGeq(seq, sLo - MAXACKWINDOW)) {
            // loose match: shotgunned SYNs, a stream picked up after a flush, stragglers after close.
            // The expiry is not refreshed, so a flood cannot keep the state alive.
            if (sWin < win) sWin = win;
            if (seqGt(end, sLo)) sLo = end;
            if (seqGeq(ack + (win << sws), dHi)) dHi = ack + Math.max(win << sws, 1);
            if (fin && sState < TcpStates.CLOSING) sState = TcpStates.CLOSING;
            if (rst) sState = dState = TcpStates.TIME_WAIT;
            return StateVerdict.PASS;
        }
        if (sState == TcpStates.SYN_SENT && dState == TcpStates.SYN_SENT) {
            // handshake mismatch: pf answers with a RST (see lastHandshakeMismatch) and forgets this end
            lastHandshakeMismatch = !rst;
            sLo = 0;
            sHi = 1;
            sWin = 1;
        }
        return StateVerdict.BAD_STATE;
    }

    /**
     * SACK blocks name the other side's sequence numbers: shift them back by
     * its modulator as pf_modulate_sack does, fixing the checksum.
     */
    private void modulateSack(Packet p, int diff) {
        byte[] b = p.buffer();
        int t = p.transportOffset();
        int o = t + 20;
        int end = t + p.tcpHeaderLength();
        while (o < end) {
            int kind = b[o] & 0xff;
            if (kind == 0) return;
            if (kind == 1) {
                o++;
                continue;
            }
            if (o + 1 >= end) return;
            int len = b[o + 1] & 0xff;
            if (len < 2 || o + len > end) return;
            if (kind == 5) {
                for (int e = o + 2; e + 4 <= o + len; e += 4) {
                    int edge = (b[e] & 0xff) << 24 | (b[e + 1] & 0xff) << 16 | (b[e + 2] & 0xff) << 8 | (b[e + 3] & 0xff);
                    Checksums.replace32(b, t + 16, e, edge - diff);
                    lastRewritten = true;
                }
            }
            o += len;
        }
    }

    /** pf_tcp_track_sloppy on the loaded peers. */
    private StateVerdict trackSloppy(Packet p, int id, long now) {
        int flags = p.tcpFlags();
        boolean syn = (flags & Packet.TH_SYN) != 0;
        if (syn && (flags & Packet.TH_ACK) == 0 && sState >= TcpStates.FIN_WAIT_2 && dState >= TcpStates.FIN_WAIT_2) {
            remove(id);
            return StateVerdict.REUSED;
        }
        if (syn && sState < TcpStates.SYN_SENT) sState = TcpStates.SYN_SENT;
        if ((flags & Packet.TH_FIN) != 0 && sState < TcpStates.CLOSING) sState = TcpStates.CLOSING;
        if ((flags & Packet.TH_ACK) != 0) {
            if (dState == TcpStates.SYN_SENT) {
                dState = TcpStates.ESTABLISHED;
            } else if (dState == TcpStates.CLOSING) {
                dState = TcpStates.FIN_WAIT_2;
            } else if (sState == TcpStates.SYN_SENT && dState < TcpStates.SYN_SENT) {
                // only one half of the connection is seen: an ACK after the SYN establishes it
                dState = sState = TcpStates.ESTABLISHED;
            } else if (sState == TcpStates.CLOSING && dState == TcpStates.ESTABLISHED && dLo == 0) {
                // half-seen close
                dState = TcpStates.CLOSING;
            }
        }
        if ((flags & Packet.TH_RST) != 0) sState = dState = TcpStates.TIME_WAIT;
        rec[(BASE + id * W) + F_EXPIRE] = now;
        tcpTimeout(id);
        return StateVerdict.PASS;
    }

    private StateVerdict testIcmpError(Packet p, boolean in, int ifIndex) {
        Packet q = p.embedded();
        if (q == null || q.fragmentOffset() != 0) {
            return StateVerdict.NO_STATE;
        }
        int prt;
        int qproto = q.proto();
        if (qproto == Packet.PROTO_TCP || qproto == Packet.PROTO_UDP) {
            if (!q.hasTransport()) return StateVerdict.NO_STATE;
            prt = (q.srcPort() << 16) | q.dstPort();
        } else if (isIcmp(q)) {
            if (!q.hasTransport() || q.isIcmpError()) return StateVerdict.NO_STATE;
            prt = icmpPorts(q);
        } else {
            prt = 0;
        }
        // the quoted packet travelled the other way
        boolean qin = !in;
        int id = findFor(q, qin, prt, ifIndex);
        if (id < 0) {
            return StateVerdict.NO_STATE;
        }
        long now = clock.millis();
        if (now >= expiresAt(id)) {
            remove(id);
            return StateVerdict.NO_STATE;
        }
        int meta = meta(id);
        boolean qfwd = ((meta & M_IN) != 0) == qin;
        int s = qfwd ? 0 : 1; // the peer that sent the quoted packet
        lastId = id;
        lastForward = !qfwd;
        // the error must go to the quoted packet's sender
        if (p.dstHi() != q.srcHi() || p.dstLo() != q.srcLo()) {
            stateMismatch++;
            return StateVerdict.BAD_STATE;
        }
        if (qproto == Packet.PROTO_TCP && (meta & M_SLOPPY) == 0) {
            loadPeers(id, s);
            int dws = (sWs != 0 && dWs != 0) ? dWs & WSCALE_MASK : 0;
            int seq = (int) q.seq() - sDiff;
            if (sDiff != 0) {
                // demodulate the quoted sequence number so the receiver recognises its own packet
                Checksums.replace32(p.buffer(), p.transportOffset() + 2, q.transportOffset() + 4, seq);
                lastRewritten = true;
            }
            if (!seqGeq(sHi, seq) || !seqGeq(seq, sLo - (dWin << dws))) {
                stateMismatch++;
                return StateVerdict.BAD_STATE;
            }
        }
        int e = lastForward ? 0 : 1;
        rec[(BASE + id * W) + F_PACKETS + e]++;
        rec[(BASE + id * W) + F_BYTES + e] += p.ipLength();
        return StateVerdict.PASS;
    }

    // ------------------------------------------------------------------ create

    /**
     * Creates the state for {@code p}, which a {@code keep state} rule just
     * passed (pf_create_state). With {@code modulate} and a SYN, the packet's
     * sequence number is rewritten in place.
     *
     * @return the new state's id, or {@link #CREATE_LIMIT}, {@link #CREATE_RULE_LIMIT},
     *         {@link #CREATE_EXISTS} (a state with this key exists), {@link #CREATE_UNSUPPORTED}
     *         (undecodable, a non-first fragment, an ICMP error, a TCP/UDP packet without ports)
     */
    public int create(Packet p, boolean in, int ifIndex, StateOptions opt) {
        lastRewritten = false;
        if (!p.ok() || p.fragmentOffset() != 0 || (isIcmp(p) && p.isIcmpError())) {
            return CREATE_UNSUPPORTED;
        }
        int prt = packetPorts(p);
        if (prt == -1) {
            return CREATE_UNSUPPORTED;
        }
        if (size >= limit) {
            stateLimit++;
            return CREATE_LIMIT;
        }
        int r = opt.ruleId();
        if (opt.maxStates() > 0 && r < ruleStates.length && ruleStates[r] >= opt.maxStates()) {
            stateLimit++;
            return CREATE_RULE_LIMIT;
        }
        if (opt.ifBound() && (ifIndex < 0 || ifIndex >= FLOATING)) {
            throw new IllegalArgumentException("if-bound state needs an interface index 0.." + (FLOATING - 1) + ", got " + ifIndex);
        }
        int bound = opt.ifBound() ? ifIndex : FLOATING;
        long x0, y0, x1, y1;
        int kp;
        if (in) {
            x0 = p.srcHi(); y0 = p.srcLo(); x1 = p.dstHi(); y1 = p.dstLo(); kp = prt;
        } else {
            x0 = p.dstHi(); y0 = p.dstLo(); x1 = p.srcHi(); y1 = p.srcLo(); kp = (prt << 16) | (prt >>> 16);
        }
        int key = keyBits(p);
        int existing = find(key, x0, y0, x1, y1, kp, ifIndex);
        if (existing >= 0) {
            if (clock.millis() < expiresAt(existing)) {
                stateInsert++;
                return CREATE_EXISTS;
            }
            remove(existing);
        }
        int id;
        if (freeTop > 0) {
            id = free[--freeTop];
        } else {
            if (nextUnused == cap) {
                // a table that outgrows its first 1024 states goes straight to its limit (up to 256k states,
                // 32 MB), not through eight doublings, each a copy (and an index rebuild reading every
                // record): ~5% of a replay of 1M packets; small tables (tests, short captures) stay small
                cap = cap < GROW_TO ? Math.max(cap * 2, Math.min(limit, GROW_TO)) : cap * 2;
                rec = Arrays.copyOf(rec, BASE + cap * W);
                created = Arrays.copyOf(created, cap);
            }
            id = nextUnused++;
        }
        long now = clock.millis();
        int b = (BASE + id * W);
        Arrays.fill(rec, b, b + W, 0L);
        rec[b + K_A0HI] = x0;
        rec[b + K_A0LO] = y0;
        rec[b + K_A1HI] = x1;
        rec[b + K_A1LO] = y1;
        int h = hashOf(x0, y0, x1, y1, kp, key);
        rec[b + F_PORTS_HASH] = ((long) kp << 32) | (h & 0xffffffffL);
        int meta = key | (in ? M_IN : 0) | (opt.sloppy() ? M_SLOPPY : 0) | M_LIVE;
        rec[b + F_META_STATES] = (long) meta << 32;
        rec[b + F_RULE_TMO_IF] = ((long) r << 32) | ((long) timeoutsIndex(opt.timeouts()) << 16) | (bound & 0xffff);
        rec[b + F_EXPIRE] = now;
        created[id] = now;
        rec[b + F_PACKETS] = 1;
        rec[b + F_BYTES] = p.ipLength();
        sLo = sHi = sDiff = sWin = sState = sWs = 0;
        dLo = dHi = dDiff = dWin = dState = dWs = 0;
        int proto = p.proto();
        if (proto == Packet.PROTO_TCP) {
            int flags = p.tcpFlags();
            sLo = (int) p.seq();
            sHi = sLo + p.payloadLength() + 1;
            if ((flags & (Packet.TH_SYN | Packet.TH_ACK)) == Packet.TH_SYN && opt.modulate()) {
                int diff;
                do {
                    diff = random.nextInt() - sLo;
                } while (diff == 0);
                sDiff = diff;
                byte[] bb = p.buffer();
                int t = p.transportOffset();
                Checksums.replace32(bb, t + 16, t + 4, sLo + diff);
                lastRewritten = true;
            }
            if ((flags & Packet.TH_SYN) != 0) {
                sHi++;
                sWs = wscaleOption(p);
            }
            sWin = Math.max(p.window(), 1);
            if ((sWs & WSCALE_MASK) != 0) {
                // remove the scale factor from the initial window
                int sh = sWs & WSCALE_MASK;
                sWin = (sWin + (1 << sh) - 1) >>> sh;
            }
            if ((flags & Packet.TH_FIN) != 0) sHi++;
            dHi = 1;
            dWin = 1;
            sState = TcpStates.SYN_SENT;
            dState = TcpStates.CLOSED;
            setTimeout(id, Timeout.TCP_FIRST);
        } else if (proto == Packet.PROTO_UDP) {
            sState = TcpStates.SINGLE;
            dState = TcpStates.NO_TRAFFIC;
            setTimeout(id, Timeout.UDP_FIRST);
        } else if (isIcmp(p)) {
            setTimeout(id, Timeout.ICMP_FIRST);
        } else {
            sState = TcpStates.SINGLE;
            dState = TcpStates.NO_TRAFFIC;
            setTimeout(id, Timeout.OTHER_FIRST);
        }
        storePeers(id, 0);
        indexInsert(id);
        size++;
        if (r >= ruleStates.length) ruleStates = Arrays.copyOf(ruleStates, Math.max(r + 1, ruleStates.length * 2));
        ruleStates[r]++;
        inserts++;
        lastId = id;
        lastForward = true;
        return id;
    }

    private int timeoutsIndex(Timeouts t) {
        if (t == null) return 0;
        Integer i = tmoIndex.get(t);
        if (i == null) {
            if (tmoTable.length > 0xffff) {
                throw new IllegalStateException("more than 65535 distinct rule timeout sets");
            }
            i = tmoTable.length;
            tmoTable = Arrays.copyOf(tmoTable, i + 1);
            tmoTable[i] = t;
            tmoIndex.put(t, i);
        }
        return i;
    }

    // ------------------------------------------------------------------ expiry

    /** When state {@code id} expires (epoch millis), with adaptive scaling. */
    public long expiresAt(int id) {
        Timeouts t = timeoutsOf(id);
        int ord = meta(id) >>> M_TIMEOUT_SHIFT;
        long timeoutMs = t.get(ord) * 1000L;
        int start = t.get(Timeout.ADAPTIVE_START.ordinal());
        int end = t.get(Timeout.ADAPTIVE_END.ordinal());
        long last = rec[(BASE + id * W) + F_EXPIRE];
        if (end > 0 && start < end && size > start) {
            if (size >= end) {
                return last; // expires now
            }
            timeoutMs = timeoutMs * (end - size) / (end - start);
        }
        return last + timeoutMs;
    }

    /**
     * Calls {@code listener} with the id of every state about to be removed
     * (expiry, purge, flush, a reused key, {@link #remove}), while its entry
     * can still be read: the evaluator's source nodes count states down with
     * it. One listener; null removes it.
     */
    public void onRemove(IntConsumer listener) {
        this.removeListener = listener;
    }

    /** Removes state {@code id}. */
    public void remove(int id) {
        if (!live(id)) {
            throw new IllegalArgumentException("no live state with id " + id);
        }
        if (removeListener != null) removeListener.accept(id);
        indexRemove(id);
        ruleStates[rule(id)]--;
        setMeta(id, 0);
        if (freeTop == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeTop++] = id;
        size--;
        removals++;
    }

    /**
     * Removes expired states, looking at most at {@code max} ids from where
     * the previous call stopped (pf purges a fraction of the table per
     * interval). Returns how many were removed.
     */
    public int purge(int max) {
        long now = clock.millis();
        int removed = 0;
        for (int n = 0; n < max && nextUnused > 0; n++) {
            if (purgeCursor >= nextUnused) purgeCursor = 0;
            int id = purgeCursor++;
            if (live(id) && now >= expiresAt(id)) {
                remove(id);
                removed++;
            }
        }
        return removed;
    }

    /** Removes every state (pfctl -F states). */
    public void clear() {
        for (int id = 0; id < nextUnused; id++) {
            if (live(id)) remove(id);
        }
    }

    // ------------------------------------------------------------------ views

    /** States now in the table. */
    public int size() { return size; }
    /** The state limit. */
    public int limit() { return limit; }
    /** Changes the state limit ({@code set limit states}); existing states stay. */
    public void setLimit(int limit) {
        checkLimit(limit);
        this.limit = limit;
    }

    private static void checkLimit(int limit) {
        if (limit <= 0 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("state limit must be 1.." + MAX_LIMIT + ", got " + limit);
        }
    }
    /** The global timeouts. */
    public Timeouts timeouts() { return timeouts; }
    /** States rule {@code ruleId} holds now. */
    public int ruleStates(int ruleId) { return ruleId >= 0 && ruleId < ruleStates.length ? ruleStates[ruleId] : 0; }
    /** The state the last {@link #test}/{@link #create} matched or made, or -1. */
    public int lastId() { return lastId; }
    /** Whether the last matched packet went in the state's creating direction. */
    public boolean lastForward() { return lastForward; }
    /**
     * Whether the last {@link #test} was a BAD_STATE during the handshake
     * (both ends SYN_SENT) for a packet that is not a RST: pf then sends the
     * packet's sender a RST, {@link dev.palisade.core.packet.PacketBuilder#tcpResetHandshakeMismatch}.
     */
    public boolean lastHandshakeMismatch() { return lastHandshakeMismatch; }
    /** Whether the last {@link #test}/{@link #create} rewrote the packet's bytes (modulation). */
    public boolean lastRewritten() { return lastRewritten; }
    /** The rule that created state {@code id}. */
    public int ruleOf(int id) { return rule(id); }
    /** Peer state (TCPS_* / pseudo-state) of the initiator (side 0) or responder (side 1). */
    public int peerState(int id, int side) { return ((int) rec[(BASE + id * W) + F_META_STATES] >>> (8 * side)) & 0xff; }
    /** The timeout that now applies to state {@code id}. */
    public Timeout timeout(int id) { return timeoutOf(id); }
    /** pf_status counters: state searches. */
    public long searches() { return searches; }
    public long inserts() { return inserts; }
    public long removals() { return removals; }
    /** Packets dropped for not fitting their state (pf reason {@code state-mismatch}). */
    public long stateMismatches() { return stateMismatch; }
    /** States refused by a limit (pf reason {@code state-limit}). */
    public long stateLimitHits() { return stateLimit; }
    /** States refused because the key existed (pf reason {@code state-insert}). */
    public long stateInsertFailures() { return stateInsert; }

    /** Calls {@code action} with the id of every live state. */
    public void forEach(IntConsumer action) {
        for (int id = 0; id < nextUnused; id++) {
            if (live(id)) action.accept(id);
        }
    }

    /** A snapshot of state {@code id}. */
    public StateEntry entry(int id) {
        if (!live(id)) {
            throw new IllegalArgumentException("no live state with id " + id);
        }
        int b = (BASE + id * W);
        int meta = meta(id);
        boolean v6 = (meta & M_V6) != 0;
        boolean in = (meta & M_IN) != 0;
        IpAddress side0 = v6 ? IpAddress.ofV6(rec[b + K_A0HI], rec[b + K_A0LO]) : IpAddress.ofV4((int) rec[b + K_A0LO]);
        IpAddress side1 = v6 ? IpAddress.ofV6(rec[b + K_A1HI], rec[b + K_A1LO]) : IpAddress.ofV4((int) rec[b + K_A1LO]);
        int ports = (int) (rec[b + F_PORTS_HASH] >>> 32);
        int p0 = ports >>> 16, p1 = ports & 0xffff;
        IpAddress src = in ? side0 : side1, dst = in ? side1 : side0;
        int sp = in ? p0 : p1, dp = in ? p1 : p0;
        long now = clock.millis();
        return new StateEntry(id, v6 ? 6 : 4, (meta >>> 1) & 0xff, in, src, sp, dst, dp, peerState(id, 0), peerState(id, 1),
                rule(id), rec[b + F_PACKETS], rec[b + F_PACKETS + 1], rec[b + F_BYTES], rec[b + F_BYTES + 1],
                (now - created[id]) / 1000, Math.max(0, (expiresAt(id) - now) / 1000), timeoutOf(id));
    }

    /** Sequence tracking of a peer, for tests and {@code pfctl -s state -vv}: {seqlo, seqhi, max_win, seqdiff, wscale}. */
    public int[] peerWindow(int id, int side) {
        int b = (BASE + id * W);
        long x0 = rec[b + F_PEER + 2 * side], x1 = rec[b + F_PEER + 2 * side + 1];
        int ws = ((int) rec[b + F_META_STATES] >>> (16 + 8 * side)) & 0xff;
        return new int[] {(int) (x0 >>> 32), (int) x0, (int) x1, (int) (x1 >>> 32), ws};
    }
}
