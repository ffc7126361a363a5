package dev.palisade.core.pcap;

/**
 * Link-layer header types (tcpdump.org linktypes) that Palisade reads, and
 * where the IP packet starts behind each.
 *
 * <p>Why only these: a firewall sees IP; captures of it come from Ethernet
 * (possibly VLAN tagged), tcpdump {@code -i any} (Linux cooked v1/v2), raw IP
 * interfaces (tun, wireguard), BSD loopback and OpenBSD's pflog-less
 * {@code enc}/{@code lo}. Any other link type is read but yields no IP.
 */
public final class LinkType {
    private LinkType() {}

    public static final int NULL = 0;
    public static final int ETHERNET = 1;
    /** DLT_RAW as most systems number it in pcap files. */
    public static final int RAW_12 = 12;
    /** DLT_RAW as OpenBSD numbers it. */
    public static final int RAW_14 = 14;
    public static final int RAW = 101;
    public static final int LOOP = 108;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    /** True when Palisade can find IP packets behind this link type. */
    public static boolean supported(int linkType) {
        return switch (linkType) {
            case NULL, ETHERNET, RAW_12, RAW_14, RAW, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2 -> true;
            default -> false;
        };
    }

    /** A short name for messages. */
    public static String name(int linkType) {
        return switch (linkType) {
            case NULL -> "NULL";
            case ETHERNET -> "EN10MB";
            case RAW_12, RAW_14, RAW -> "RAW";
            case LOOP -> "LOOP";
            case LINUX_SLL -> "LINUX_SLL";
            case IPV4 -> "IPV4";
            case IPV6 -> "IPV6";
            case LINUX_SLL2 -> "LINUX_SLL2";
            default -> "LINKTYPE_" + linkType;
        };
    }

    /** Not an IP packet (ARP, LLDP, ...) or a link type Palisade does not read. */
    public static final int NOT_IP = -1;
    /** The link-layer header is cut short. */
    public static final int TRUNCATED = -2;

    /**
     * Where the IP header starts in {@code b[off..off+len)} for a frame of
     * this link type: an offset, or {@link #NOT_IP} / {@link #TRUNCATED}.
     */
    public static int ipOffset(int linkType, byte[] b, int off, int len) {
        switch (linkType) {
            case RAW_12, RAW_14, RAW, IPV4, IPV6 -> {
                return len > 0 ? off : TRUNCATED;
            }
            case ETHERNET -> {
                int p = off + 12;
                int end = off + len;
                for (int tags = 0; ; tags++) {
                    if (p + 2 > end) return TRUNCATED;
                    int type = ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
                    if ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 8) {
                        p += 4;
                        continue;
                    }
                    return ipEthertype(type, p + 2, end);
                }
            }
            case LINUX_SLL -> {
                if (len < 16) return TRUNCATED;
                int type = ((b[off + 14] & 0xff) << 8) | (b[off + 15] & 0xff);
                return ipEthertype(type, off + 16, off + len);
            }
            case LINUX_SLL2 -> {
                if (len < 20) return TRUNCATED;
                int type = ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
                return ipEthertype(type, off + 20, off + len);
            }
            case NULL, LOOP -> {
                if (len < 4) return TRUNCATED;
                int be = ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
                int fam = be;
                if (linkType == NULL && (be & 0xffff) == 0 && be != 0) {
                    fam = Integer.reverseBytes(be); // written in the other host byte order
                }
                // AF_INET 2; AF_INET6: 10 Linux, 24 OpenBSD/NetBSD, 28 FreeBSD, 30 macOS
                return switch (fam) {
                    case 2, 10, 24, 28, 30 -> len > 4 ? off + 4 : TRUNCATED;
                    default -> NOT_IP;
                };
            }
            default -> {
                return NOT_IP;
            }
        }
    }

    private static int ipEthertype(int type, int ipOff, int end) {
        if (type != 0x0800 && type != 0x86dd) return NOT_IP;
        return ipOff < end ? ipOff : TRUNCATED;
    }

    /**
     * The direction a Linux cooked header records (packet type: 4 outgoing,
     * 0..3 to us / broadcast / multicast / other host), or UNKNOWN.
     */
    public static Direction direction(int linkType, byte[] b, int off, int len) {
        int pkttype;
        if (linkType == LINUX_SLL && len >= 2) {
            pkttype = ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
        } else if (linkType == LINUX_SLL2 && len >= 11) {
            pkttype = b[off + 10] & 0xff;
        } else {
            return Direction.UNKNOWN;
        }
        return switch (pkttype) {
            case 0, 1, 2, 3 -> Direction.IN;
            case 4 -> Direction.OUT;
            default -> Direction.UNKNOWN;
        };
    }
}
