package dev.palisade.core.packet;

import dev.palisade.core.net.IpAddress;

/**
 * A reusable, zero-copy view of one IP packet (IPv4 or IPv6) over a byte
 * array: {@link #decode(byte[], int, int)} parses the headers in place and
 * fills primitive fields; nothing is copied and nothing is allocated (except,
 * once per {@code Packet}, the view used for the header quoted in ICMP
 * errors).
 *
 * <p>Why a flyweight: the evaluator, the state table and {@code replay} touch
 * millions of packets a second; a record per packet would be garbage per
 * packet. The price is that a {@code Packet} is valid only until the next
 * {@code decode} and only while the caller leaves the bytes alone. Take
 * {@link #src()} / {@link #dst()} as {@link IpAddress} only when needed.
 *
 * <p>What is decoded: IPv4 (options kept as a length, fragments: id, offset,
 * MF, DF), IPv6 with its extension-header chain (hop-by-hop, routing,
 * fragment, destination options, AH, mobility, HIP, shim6, bounded by
 * {@link #MAX_EXT_HEADERS} like pf's {@code PF_HDR_LIMIT}), TCP (ports,
 * sequence and acknowledgement numbers, flags, window, options MSS, window
 * scale, SACK-permitted, timestamps, payload offset), UDP, ICMP and ICMPv6
 * (type, code, query id, and for error messages the quoted packet as
 * {@link #embedded()}), other protocols by number. Non-first fragments carry
 * no transport header, as in pf: {@link #hasTransport()} is false for them.
 *
 * <p>Addresses: for both families in {@code srcHi/srcLo}, {@code dstHi/dstLo}
 * with {@link IpAddress}'s convention (IPv4 in the low 32 bits of lo, hi 0).
 *
 * <p>Malformed input never throws: {@link #malformed()} says which check
 * failed (see {@link Malformed}); fields decoded before the failure stay
 * valid, the rest are zero / -1.
 */
public final class Packet {

    /** Longest IPv6 extension-header chain accepted (OpenBSD's {@code PF_HDR_LIMIT}). */
    public static final int MAX_EXT_HEADERS = 20;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_ICMPV6 = 58;

    public static final int TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PUSH = 0x08, TH_ACK = 0x10,
            TH_URG = 0x20, TH_ECE = 0x40, TH_CWR = 0x80;

    private final boolean quoted;
    private Packet inner;

    byte[] buf;
    int off;
    int captured;
    Malformed malformed;

    int af; // 4, 6 or 0
    int ipHeaderLen; // IPv4 IHL*4, IPv6 40 + extension headers
    int ipLen; // bytes of the IP packet (total length, clipped to the buffer for quoted packets)
    int proto;
    int tos, ttl;
    int ipOptionsLen;
    int extHeaders;
    boolean fragment, moreFragments, dontFragment;
    int fragOffset; // bytes
    long fragId;
    long srcHi, srcLo, dstHi, dstLo;

    int l4Off = -1; // absolute offset in buf
    boolean transport;
    int srcPort, dstPort;
    long seq, ack;
    int tcpFlags, window, tcpHeaderLen;
    int mss, wscale;
    boolean sackPermitted, hasTimestamp;
    long tsVal, tsEcr;
    // TCP options are parsed on first use: most packets (all but SYNs in the state table) never
    // ask, and replay decodes millions a second. optFrom..optTo is the option space, 0..0 for none.
    private int optFrom, optTo;
    int payloadOff = -1, payloadLen;
    int icmpType = -1, icmpCode = -1, icmpId = -1;
    boolean icmpError;
    boolean hasEmbedded;

    /** A view for packets as they travel. */
    public Packet() {
        this(false);
    }

    private Packet(boolean quoted) {
        this.quoted = quoted;
    }

    /** Decodes the whole array. */
    public Malformed decode(byte[] b) {
        return decode(b, 0, b.length);
    }

    /**
     * Decodes the IP packet at {@code b[off .. off+len)}. Returns the outcome,
     * also kept as {@link #malformed()}.
     */
    public Malformed decode(byte[] b, int off, int len) {
        reset();
        this.buf = b;
        this.off = off;
        this.captured = Math.max(0, Math.min(len, b.length - off));
        if (off < 0 || off > b.length) {
            this.captured = 0;
            return malformed = Malformed.SHORT;
        }
        if (captured < 1) {
            return malformed = Malformed.SHORT;
        }
        int v = (b[off] & 0xff) >>> 4;
        if (v == 4) {
            return malformed = decode4();
        } else if (v == 6) {
            return malformed = decode6();
        }
        return malformed = Malformed.BAD_VERSION;
    }

    private void reset() {
        malformed = Malformed.NONE;
        af = 0;
        ipHeaderLen = ipLen = proto = tos = ttl = ipOptionsLen = extHeaders = 0;
        fragment = moreFragments = dontFragment = false;
        fragOffset = 0;
        fragId = 0;
        srcHi = srcLo = dstHi = dstLo = 0;
        l4Off = -1;
        transport = false;
        srcPort = dstPort = 0;
        seq = ack = 0;
        tcpFlags = window = tcpHeaderLen = 0;
        mss = wscale = -1;
        sackPermitted = hasTimestamp = false;
        tsVal = tsEcr = 0;
        optFrom = optTo = 0;
        payloadOff = -1;
        payloadLen = 0;
        icmpType = icmpCode = icmpId = -1;
        icmpError = hasEmbedded = false;
    }

    private Malformed decode4() {
        byte[] b = buf;
        int o = off;
        af = 4;
        if (captured < 20) {
            return Malformed.SHORT;
        }
        int hl = (b[o] & 0x0f) << 2;
        if (hl < 20) {
            return Malformed.BAD_HEADER_LENGTH;
        }
        if (hl > captured) {
            return quoted ? Malformed.SHORT : Malformed.BAD_HEADER_LENGTH;
        }
        tos = b[o + 1] & 0xff;
        int total = u16(b, o + 2);
        fragId = u16(b, o + 4);
        int ff = u16(b, o + 6);
        dontFragment = (ff & 0x4000) != 0;
        moreFragments = (ff & 0x2000) != 0;
        fragOffset = (ff & 0x1fff) << 3;
        fragment = moreFragments || fragOffset != 0;
        ttl = b[o + 8] & 0xff;
        proto = b[o + 9] & 0xff;
        srcLo = u32(b, o + 12);
        dstLo = u32(b, o + 16);
        ipHeaderLen = hl;
        ipOptionsLen = hl - 20;
        if (total < hl) {
            return Malformed.BAD_TOTAL_LENGTH;
        }
        if (total > captured) {
            if (!quoted) {
                ipLen = captured;
                return Malformed.SHORT;
            }
            total = captured;
        }
        ipLen = total;
        if (fragOffset + (total - hl) > 65535) {
            return Malformed.BAD_FRAGMENT;
        }
        if (fragOffset != 0) {
            return Malformed.NONE; // no transport header in a non-first fragment
        }
        return decodeTransport(o + hl, total - hl);
    }

    private Malformed decode6() {
        byte[] b = buf;
        int o = off;
        af = 6;
        if (captured < 40) {
            return Malformed.SHORT;
        }
        tos = (u16(b, o) >>> 4) & 0xff;
        int plen = u16(b, o + 4);
        int nxt = b[o + 6] & 0xff;
        ttl = b[o + 7] & 0xff;
        srcHi = u64(b, o + 8);
        srcLo = u64(b, o + 16);
        dstHi = u64(b, o + 24);
        dstLo = u64(b, o + 32);
        int total = 40 + plen;
        if (plen == 0 && nxt == 0 && captured > 40) {
            // XXX jumbograms (RFC 2675) never cross Ethernet; not decoded.
            proto = nxt;
            ipHeaderLen = 40;
            ipLen = 40;
            return Malformed.BAD_TOTAL_LENGTH;
        }
        if (total > captured) {
            if (!quoted) {
                ipLen = captured;
                ipHeaderLen = 40;
                proto = nxt;
                return Malformed.SHORT;
            }
            total = captured;
        }
        ipLen = total;
        int p = o + 40;
        int end = o + total;
        while (true) {
            switch (nxt) {
                case 0, 43, 60, 135, 139, 140 -> {
                    if (nxt == 0 && extHeaders != 0) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_EXT_HEADER; // hop-by-hop must come first (RFC 8200 4.1)
                    }
                    if (++extHeaders > MAX_EXT_HEADERS || p + 8 > end) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_EXT_HEADER;
                    }
                    int hlen = ((b[p + 1] & 0xff) + 1) << 3;
                    if (p + hlen > end) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_EXT_HEADER;
                    }
                    nxt = b[p] & 0xff;
                    p += hlen;
                }
                case 51 -> { // AH: length in 4-octet units, minus 2
                    if (++extHeaders > MAX_EXT_HEADERS || p + 8 > end) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_EXT_HEADER;
                    }
                    int hlen = ((b[p + 1] & 0xff) + 2) << 2;
                    if (p + hlen > end) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_EXT_HEADER;
                    }
                    nxt = b[p] & 0xff;
                    p += hlen;
                }
                case 44 -> { // fragment
                    if (++extHeaders > MAX_EXT_HEADERS || p + 8 > end) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_EXT_HEADER;
                    }
                    if (fragment) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_FRAGMENT; // two fragment headers
                    }
                    int fo = u16(b, p + 2);
                    fragOffset = fo & 0xfff8;
                    moreFragments = (fo & 1) != 0;
                    fragId = u32(b, p + 4);
                    fragment = true; // also the "atomic" fragment (offset 0, no M) of RFC 6946
                    nxt = b[p] & 0xff;
                    p += 8;
                    if (fragOffset + (end - p) > 65535) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.BAD_FRAGMENT;
                    }
                    if (fragOffset != 0) {
                        proto = nxt;
                        ipHeaderLen = p - o;
                        return Malformed.NONE;
                    }
                }
                default -> {
                    proto = nxt;
                    ipHeaderLen = p - o;
                    if (nxt == 59) { // no next header
                        return Malformed.NONE;
                    }
                    return decodeTransport(p, end - p);
                }
            }
        }
    }

    private Malformed decodeTransport(int p, int avail) {
        byte[] b = buf;
        l4Off = p;
        boolean firstFrag = moreFragments; // offset is 0 here
        switch (proto) {
            case PROTO_TCP -> {
                int need = quoted ? 8 : 20;
                if (avail < need) {
                    return firstFrag ? Malformed.BAD_FRAGMENT : Malformed.SHORT;
                }
                srcPort = u16(b, p);
                dstPort = u16(b, p + 2);
                seq = u32(b, p + 4);
                transport = true;
                if (avail < 20) {
                    return Malformed.NONE; // quoted header: ports and sequence number only
                }
                ack = u32(b, p + 8);
                int hl = ((b[p + 12] & 0xff) >>> 4) << 2;
                tcpFlags = b[p + 13] & 0xff;
                window = u16(b, p + 14);
                tcpHeaderLen = hl;
                if (hl < 20) {
                    return Malformed.BAD_OFFSET;
                }
                if (hl > avail) {
                    if (quoted) {
                        return Malformed.NONE;
                    }
                    return firstFrag ? Malformed.BAD_FRAGMENT : Malformed.SHORT;
                }
                optFrom = p + 20;
                optTo = p + hl;
                payloadOff = p + hl;
                payloadLen = avail - hl;
                return Malformed.NONE;
            }
            case PROTO_UDP -> {
                if (avail < 8) {
                    return firstFrag ? Malformed.BAD_FRAGMENT : Malformed.SHORT;
                }
                srcPort = u16(b, p);
                dstPort = u16(b, p + 2);
                transport = true;
                int ulen = u16(b, p + 4);
                payloadOff = p + 8;
                payloadLen = avail - 8;
                if (!quoted && !fragment) {
                    if (ulen < 8 || ulen > avail) {
                        return Malformed.BAD_OFFSET;
                    }
                    payloadLen = ulen - 8;
                }
                return Malformed.NONE;
            }
            case PROTO_ICMP, PROTO_ICMPV6 -> {
                boolean v6 = proto == PROTO_ICMPV6;
                if ((v6 && af != 6) || (!v6 && af != 4)) {
                    return Malformed.NONE; // ICMP over IPv6 or ICMPv6 over IPv4: opaque
                }
                if (avail < 8) {
                    return firstFrag ? Malformed.BAD_FRAGMENT : Malformed.SHORT;
                }
                icmpType = b[p] & 0xff;
                icmpCode = b[p + 1] & 0xff;
                transport = true;
                payloadOff = p + 8;
                payloadLen = avail - 8;
                if (v6) {
                    if (icmpType == 128 || icmpType == 129) {
                        icmpId = u16(b, p + 4);
                    } else if (icmpType < 128) {
                        icmpError = true;
                    }
                } else {
                    switch (icmpType) {
                        case 0, 8, 13, 14, 15, 16, 17, 18 -> icmpId = u16(b, p + 4);
                        case 3, 4, 5, 11, 12 -> icmpError = true;
                        default -> { }
                    }
                }
                if (icmpError && !quoted) {
                    if (fragment) {
                        return Malformed.NONE; // XXX the quoted header of a fragmented error is not reassembled
                    }
                    if (inner == null) {
                        inner = new Packet(true);
                    }
                    Malformed m = inner.decode(b, p + 8, avail - 8);
                    int innerAf = inner.af;
                    if (m != Malformed.NONE || innerAf != af) {
                        return Malformed.BAD_EMBEDDED;
                    }
                    hasEmbedded = true;
                }
                return Malformed.NONE;
            }
            default -> {
                payloadOff = p;
                payloadLen = avail;
                return Malformed.NONE;
            }
        }
    }

    /** Parses the TCP options once, on the first question about them. */
    private void options() {
        if (optTo > optFrom) {
            int from = optFrom, to = optTo;
            optFrom = optTo = 0;
            parseTcpOptions(from, to);
        }
    }

    private void parseTcpOptions(int p, int end) {
        byte[] b = buf;
        while (p < end) {
            int kind = b[p] & 0xff;
            if (kind == 0) {
                return;
            }
            if (kind == 1) {
                p++;
                continue;
            }
            if (p + 1 >= end) {
                return;
            }
            int olen = b[p + 1] & 0xff;
            if (olen < 2 || p + olen > end) {
                return; // bad option length: stop, like pf_normalize_tcpopt
            }
            switch (kind) {
                case 2 -> {
                    if (olen == 4) mss = u16(b, p + 2);
                }
                case 3 -> {
                    if (olen == 3) wscale = b[p + 2] & 0xff;
                }
                case 4 -> sackPermitted = true;
                case 8 -> {
                    if (olen == 10) {
                        hasTimestamp = true;
                        tsVal = u32(b, p + 2);
                        tsEcr = u32(b, p + 6);
                    }
                }
                default -> { }
            }
            p += olen;
        }
    }

    static int u16(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    static long u32(byte[] b, int i) {
        return (((b[i] & 0xffL) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff));
    }

    static long u64(byte[] b, int i) {
        return (u32(b, i) << 32) | u32(b, i + 4);
    }

    // ---- accessors ----

    /** The outcome of the last decode. */
    public Malformed malformed() { return malformed; }
    /** True when the last decode found no fault. */
    public boolean ok() { return malformed == Malformed.NONE; }
    /** The array this view reads. */
    public byte[] buffer() { return buf; }
    /** Where the IP header starts in {@link #buffer()}. */
    public int offset() { return off; }
    /** 4, 6, or 0 when the version is unknown. */
    public int af() { return af; }
    public boolean v6() { return af == 6; }
    /** IP header length including IPv4 options or the IPv6 extension headers walked. */
    public int ipHeaderLength() { return ipHeaderLen; }
    /** Length of the IP packet (its total-length field; trailing link padding excluded). */
    public int ipLength() { return ipLen; }
    /** The upper-layer protocol number (after the IPv6 extension headers). */
    public int proto() { return proto; }
    /** IPv4 TOS / IPv6 traffic class. */
    public int tos() { return tos; }
    /** IPv4 TTL / IPv6 hop limit. */
    public int ttl() { return ttl; }
    public int ipOptionsLength() { return ipOptionsLen; }
    public boolean hasIpOptions() { return ipOptionsLen > 0; }
    /** Number of IPv6 extension headers walked. */
    public int extHeaderCount() { return extHeaders; }
    public boolean isFragment() { return fragment; }
    public boolean moreFragments() { return moreFragments; }
    public boolean dontFragment() { return dontFragment; }
    /** Fragment offset in bytes. */
    public int fragmentOffset() { return fragOffset; }
    public long fragmentId() { return fragId; }
    public long srcHi() { return srcHi; }
    public long srcLo() { return srcLo; }
    public long dstHi() { return dstHi; }
    public long dstLo() { return dstLo; }
    /** IPv4 source as an int. */
    public int srcV4() { return (int) srcLo; }
    public int dstV4() { return (int) dstLo; }
    /** Source as an {@link IpAddress} (allocates). */
    public IpAddress src() { return af == 6 ? IpAddress.ofV6(srcHi, srcLo) : IpAddress.ofV4((int) srcLo); }
    /** Destination as an {@link IpAddress} (allocates). */
    public IpAddress dst() { return af == 6 ? IpAddress.ofV6(dstHi, dstLo) : IpAddress.ofV4((int) dstLo); }
    /** True when the transport header (ports, or ICMP type) was decoded; false for non-first fragments and unknown protocols. */
    public boolean hasTransport() { return transport; }
    /** Offset of the transport header in {@link #buffer()}, or -1. */
    public int transportOffset() { return l4Off; }
    public int srcPort() { return srcPort; }
    public int dstPort() { return dstPort; }
    public long seq() { return seq; }
    public long ack() { return ack; }
    public int tcpFlags() { return tcpFlags; }
    public boolean tcpFlag(int flag) { return (tcpFlags & flag) != 0; }
    public int window() { return window; }
    public int tcpHeaderLength() { return tcpHeaderLen; }
    /** TCP MSS option, or -1. */
    public int mss() { options(); return mss; }
    /** TCP window scale option shift, or -1 when absent. */
    public int wscale() { options(); return wscale; }
    public boolean sackPermitted() { options(); return sackPermitted; }
    public boolean hasTimestamp() { options(); return hasTimestamp; }
    public long tsVal() { options(); return tsVal; }
    public long tsEcr() { options(); return tsEcr; }
    /** Offset of the payload (after TCP/UDP/ICMP header) in {@link #buffer()}, or -1. */
    public int payloadOffset() { return payloadOff; }
    /** Bytes of payload (TCP segment data length, UDP data, ICMP body). */
    public int payloadLength() { return payloadLen; }
    public int icmpType() { return icmpType; }
    public int icmpCode() { return icmpCode; }
    /** Echo/query identifier, or -1 when the message has none. */
    public int icmpId() { return icmpId; }
    /** True for ICMP/ICMPv6 error messages (unreachable, time exceeded, ...). */
    public boolean isIcmpError() { return icmpError; }

    /**
     * The packet quoted in an ICMP/ICMPv6 error (IP header and at least the
     * first 8 bytes of its transport header), or null. The same view is
     * reused by the next decode.
     */
    public Packet embedded() { return hasEmbedded ? inner : null; }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (af == 0) {
            return "Packet{" + malformed + "}";
        }
        sb.append(af == 6 ? "inet6 " : "inet ").append(src());
        if (transport && (proto == PROTO_TCP || proto == PROTO_UDP)) sb.append(':').append(srcPort);
        sb.append(" > ").append(dst());
        if (transport && (proto == PROTO_TCP || proto == PROTO_UDP)) sb.append(':').append(dstPort);
        sb.append(" proto ").append(proto).append(" len ").append(ipLen);
        if (proto == PROTO_TCP && transport) sb.append(" flags ").append(Integer.toHexString(tcpFlags));
        if (icmpType >= 0) sb.append(" icmp ").append(icmpType).append('/').append(icmpCode);
        if (fragment) sb.append(" frag ").append(fragOffset).append(moreFragments ? "+" : "");
        if (malformed != Malformed.NONE) sb.append(" ").append(malformed);
        return sb.toString();
    }
}
