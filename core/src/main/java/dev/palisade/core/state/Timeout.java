package dev.palisade.core.state;

/**
 * pf's state timeouts ({@code set timeout}), with pf.conf names and pf's
 * defaults in seconds ({@code pfctl -s timeouts}).
 */
public enum Timeout {
    TCP_FIRST("tcp.first", 120),
    TCP_OPENING("tcp.opening", 30),
    TCP_ESTABLISHED("tcp.established", 24 * 60 * 60),
    TCP_CLOSING("tcp.closing", 900),
    TCP_FINWAIT("tcp.finwait", 45),
    TCP_CLOSED("tcp.closed", 90),
    UDP_FIRST("udp.first", 60),
    UDP_SINGLE("udp.single", 30),
    UDP_MULTIPLE("udp.multiple", 60),
    ICMP_FIRST("icmp.first", 20),
    ICMP_ERROR("icmp.error", 10),
    OTHER_FIRST("other.first", 60),
    OTHER_SINGLE("other.single", 30),
    OTHER_MULTIPLE("other.multiple", 60),
    FRAG("frag", 60),
    INTERVAL("interval", 10),
    ADAPTIVE_START("adaptive.start", 60000),
    ADAPTIVE_END("adaptive.end", 120000),
    SRC_TRACK("src.track", 0);

    private final String pfName;
    private final int defaultSeconds;

    Timeout(String pfName, int defaultSeconds) {
        this.pfName = pfName;
        this.defaultSeconds = defaultSeconds;
    }

    /** The name in pf.conf and pfctl output, e.g. {@code tcp.established}. */
    public String pfName() {
        return pfName;
    }

    /** pf's default (seconds; a state count for the adaptive ones). */
    public int defaultValue() {
        return defaultSeconds;
    }

    /** The timeout of a pf.conf name, or null. */
    public static Timeout byPfName(String name) {
        for (Timeout t : values()) {
            if (t.pfName.equals(name)) return t;
        }
        return null;
    }
}
