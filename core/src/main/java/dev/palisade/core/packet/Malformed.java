package dev.palisade.core.packet;

/**
 * Why a packet could not be decoded completely. Every class maps to the pf
 * reason counter that {@code pfctl -s info} shows for it, so Palisade's
 * counters read like pf's.
 */
public enum Malformed {
    /** Fully decoded. */
    NONE("match"),
    /** Fewer bytes than a header needs, or the IP length claims more than the buffer holds. */
    SHORT("short"),
    /** The IP version nibble is neither 4 nor 6 (or disagrees with the link layer). */
    BAD_VERSION("short"),
    /** IPv4 IHL below 5, or above the bytes at hand. */
    BAD_HEADER_LENGTH("bad-offset"),
    /** IP total length below the header length (or an IPv6 jumbogram, which Palisade does not decode). */
    BAD_TOTAL_LENGTH("short"),
    /** A fragment that cannot be valid: it ends beyond 65535 bytes, or the first fragment lacks the transport header. */
    BAD_FRAGMENT("fragment"),
    /** TCP data offset below 5 words or beyond the packet; UDP length field out of range. */
    BAD_OFFSET("bad-offset"),
    /** IPv6 extension header chain longer than {@link Packet#MAX_EXT_HEADERS}, hop-by-hop not first, or an extension header cut short. */
    BAD_EXT_HEADER("ip-option"),
    /** An ICMP/ICMPv6 error whose quoted (embedded) header is missing or unusable. */
    BAD_EMBEDDED("short");

    private final String pfReason;

    Malformed(String pfReason) {
        this.pfReason = pfReason;
    }

    /** The name of the pf reason counter ({@code pfctl -s info}) that this class counts under. */
    public String pfReason() {
        return pfReason;
    }
}
