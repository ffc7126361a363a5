package dev.palisade.services.payload.dns;

import dev.palisade.services.payload.DomainList;
import java.util.Locale;

/**
 * Rewrites one DNS response message in wire format (RFC 1035 section 4),
 * in place where the length stays, for the {@code dns-rewrite} diverter.
 *
 * <p>What it does to a response whose question name, or the owner name of
 * an answer record, is on the list (a listed CNAME owner makes its target's
 * records listed too, down the chain):
 * <ul>
 * <li>{@link Mode#SINKHOLE}: every A (4-byte) and AAAA (16-byte) record of
 *     the answer section that is listed, or whose question is, gets the
 *     sinkhole address as its data; the length does not change.
 * <li>{@link Mode#NXDOMAIN}: the RCODE becomes 3 (NXDOMAIN). When
 *     {@code mayShrink}, the answer, authority and additional sections are
 *     removed except the EDNS OPT record; otherwise (TCP) the sections stay
 *     and their A/AAAA data are sinkholed as above, so the length stays.
 * </ul>
 *
 * <p>Why a hand-written walker and not dnsjava: the packet is rewritten in
 * place and anything not understood is left alone. The walk is strict:
 * names must be well formed (labels up to 63, names up to 255 bytes,
 * compression pointers only backwards, at most 128 of them), every record
 * must lie inside the message, and the sections must end exactly at its
 * end. Any failure leaves the bytes untouched and answers
 * {@link Result#MALFORMED}. Cost: linear in the message.
 */
public final class DnsResponseRewriter {

    /** What to do with a listed name. */
    public enum Mode { SINKHOLE, NXDOMAIN }

    /** The outcome for one message. */
    public enum Result {
        /** Not a standard query response (QR 0, opcode not QUERY, no question). */
        NOT_RESPONSE,
        /** Does not parse; untouched. */
        MALFORMED,
        /** Nothing listed; untouched. */
        UNCHANGED,
        /** A/AAAA data replaced, same length. */
        SINKHOLED,
        /** Turned into NXDOMAIN; see {@link DnsResponseRewriter#newLength()}. */
        NXDOMAIN
    }

    private static final int TYPE_A = 1, TYPE_AAAA = 28, TYPE_OPT = 41, TYPE_CNAME = 5;
    private static final int MAX_POINTERS = 128;

    private final DomainList list;
    private final byte[] sink4;
    private final byte[] sink6;
    private final Mode mode;
    private final long ttl;

    private int newLength;
    private int rewrittenRecords;
    private String listedName;

    /**
     * @param sink4 the 4 bytes for A records
     * @param sink6 the 16 bytes for AAAA records
     * @param ttl   the TTL for rewritten records, or -1 to keep theirs
     */
    public DnsResponseRewriter(DomainList list, byte[] sink4, byte[] sink6, Mode mode, long ttl) {
        if (sink4.length != 4) throw new IllegalArgumentException("IPv4 sinkhole must be 4 bytes, got " + sink4.length);
        if (sink6.length != 16) throw new IllegalArgumentException("IPv6 sinkhole must be 16 bytes, got " + sink6.length);
        if (ttl < -1 || ttl > 0x7fffffffL) throw new IllegalArgumentException("ttl " + ttl + " out of range 0..2147483647");
        this.list = list;
        this.sink4 = sink4.clone();
        this.sink6 = sink6.clone();
        this.mode = mode;
        this.ttl = ttl;
    }

    /** The message length after the last {@link Result#NXDOMAIN} or any other result (then unchanged). */
    public int newLength() {
        return newLength;
    }

    /** A/AAAA records rewritten by the last call. */
    public int rewrittenRecords() {
        return rewrittenRecords;
    }

    /** The listed name that caused the last rewrite, or null. */
    public String listedName() {
        return listedName;
    }

    /**
     * Judges and rewrites the message {@code b[off, off+len)}.
     *
     * @param mayShrink whether the message may get shorter (UDP: yes; TCP: no)
     */
    public Result rewrite(byte[] b, int off, int len, boolean mayShrink) {
        newLength = len;
        rewrittenRecords = 0;
        listedName = null;
        if (len < 12) return Result.MALFORMED;
        int end = off + len;
        int flags = u16(b, off + 2);
        if ((flags & 0x8000) == 0 || ((flags >>> 11) & 0xf) != 0) return Result.NOT_RESPONSE;
        int qd = u16(b, off + 4);
        int an = u16(b, off + 6);
        int ns = u16(b, off + 8);
        int ar = u16(b, off + 10);
        if (qd == 0) return Result.NOT_RESPONSE;
        StringBuilder name = new StringBuilder(64);
        int p = off + 12;
        boolean questionListed = false;
        for (int i = 0; i < qd; i++) {
            name.setLength(0);
            p = readName(b, off, p, end, name);
            if (p < 0 || p + 4 > end) return Result.MALFORMED;
            p += 4;
            if (!questionListed && list.matches(name.toString())) {
                questionListed = true;
                listedName = name.toString();
            }
        }
        int questionEnd = p;
        // Answer section: find the A/AAAA records to rewrite (offsets of their data), checking as we go.
        int[] dataOffsets = new int[Math.min(an, 256)];
        int[] ttlOffsets = new int[dataOffsets.length];
        int toRewrite = 0;
        boolean anyListed = questionListed;
        java.util.Set<String> chain = new java.util.HashSet<>();
        for (int i = 0; i < an; i++) {
            name.setLength(0);
            p = readName(b, off, p, end, name);
            if (p < 0 || p + 10 > end) return Result.MALFORMED;
            int type = u16(b, p);
            int rdlen = u16(b, p + 8);
            int rdata = p + 10;
            if (rdata + rdlen > end) return Result.MALFORMED;
            boolean addr = (type == TYPE_A && rdlen == 4) || (type == TYPE_AAAA && rdlen == 16);
            String owner = name.toString();
            if (type == TYPE_CNAME && (questionListed || chain.contains(owner) || list.matches(owner))) {
                // The chain goes through a listed name: its target's records are listed too.
                StringBuilder target = new StringBuilder(64);
                if (readName(b, off, rdata, rdata + rdlen, target) != rdata + rdlen) return Result.MALFORMED;
                chain.add(target.toString());
                if (!anyListed) listedName = owner;
                anyListed = true;
            }
            if (addr) {
                boolean listed = questionListed || chain.contains(owner);
                if (!listed && list.matches(owner)) {
                    listed = true;
                    if (listedName == null) listedName = name.toString();
                }
                if (listed && toRewrite < dataOffsets.length) {
                    dataOffsets[toRewrite] = rdata;
                    ttlOffsets[toRewrite] = p + 4;
                    toRewrite++;
                }
                anyListed |= listed;
            }
            p = rdata + rdlen;
        }
        // Authority and additional: check structure, remember the OPT record.
        int optStart = -1;
        int optEnd = -1;
        for (int i = 0; i < ns + ar; i++) {
            int rr = p;
            name.setLength(0);
            p = readName(b, off, p, end, name);
            if (p < 0 || p + 10 > end) return Result.MALFORMED;
            int type = u16(b, p);
            int rdlen = u16(b, p + 8);
            if (p + 10 + rdlen > end) return Result.MALFORMED;
            if (i >= ns && type == TYPE_OPT && optStart < 0) {
                optStart = rr;
                optEnd = p + 10 + rdlen;
            }
            p += 10 + rdlen;
        }
        if (p != end) return Result.MALFORMED;
        if (!anyListed) return Result.UNCHANGED;
        if (mode == Mode.NXDOMAIN) {
            b[off + 3] = (byte) ((b[off + 3] & 0xf0) | 3);
            if (mayShrink) {
                int q = questionEnd;
                if (optStart >= 0) {
                    System.arraycopy(b, optStart, b, q, optEnd - optStart);
                    q += optEnd - optStart;
                }
                put16(b, off + 6, 0);
                put16(b, off + 8, 0);
                put16(b, off + 10, optStart >= 0 ? 1 : 0);
                newLength = q - off;
                return Result.NXDOMAIN;
            }
        }
        for (int i = 0; i < toRewrite; i++) {
            int d = dataOffsets[i];
            int rdlen = u16(b, d - 2);
            System.arraycopy(rdlen == 4 ? sink4 : sink6, 0, b, d, rdlen);
            if (ttl >= 0) put32(b, ttlOffsets[i], (int) ttl);
        }
        rewrittenRecords = toRewrite;
        if (mode == Mode.NXDOMAIN) return Result.NXDOMAIN;
        return toRewrite > 0 ? Result.SINKHOLED : Result.UNCHANGED;
    }

    /**
     * Reads a (possibly compressed) name at {@code p} into {@code out} as
     * lower-case dotted text without the trailing dot ("" for the root);
     * returns the offset after the name where it is stored, or -1.
     */
    static int readName(byte[] b, int msg, int p, int end, StringBuilder out) {
        int after = -1;
        int pointers = 0;
        int total = 0;
        int lowest = p; // pointers must go strictly below every place already read
        while (true) {
            if (p >= end) return -1;
            int l = b[p] & 0xff;
            if (l == 0) {
                return after >= 0 ? after : p + 1;
            }
            if ((l & 0xc0) == 0xc0) {
                if (p + 1 >= end) return -1;
                int target = msg + (((l & 0x3f) << 8) | (b[p + 1] & 0xff));
                if (after < 0) after = p + 2;
                if (++pointers > MAX_POINTERS || target >= lowest) return -1;
                lowest = target;
                p = target;
                continue;
            }
            if ((l & 0xc0) != 0) return -1;
            if (p + 1 + l > end) return -1;
            total += l + 1;
            if (total > 255) return -1;
            if (!out.isEmpty()) out.append('.');
            for (int i = 0; i < l; i++) {
                char c = (char) (b[p + 1 + i] & 0xff);
                out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            }
            p += 1 + l;
        }
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        put16(b, off, v >>> 16);
        put16(b, off + 2, v);
    }

    @Override
    public String toString() {
        return "dns-rewrite " + mode.name().toLowerCase(Locale.ROOT) + " " + list.size() + " rules";
    }
}
