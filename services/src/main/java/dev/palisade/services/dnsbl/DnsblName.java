package dev.palisade.services.dnsbl;

import dev.palisade.core.net.IpAddress;

/**
 * RFC 5782 query names, built from the raw address: IPv4 as its four octets
 * in reverse order ({@code 2.0.0.127.zone}), IPv6 as its 32 nibbles in
 * reverse order, lower-case hex ({@code 2.0.0.0...0.0.zone}). The address
 * is taken as it came: an IPv4-mapped IPv6 source is queried by its 32
 * nibbles, as RFC 5782's IPv6 test point {@code ::FFFF:7F00:2} is.
 */
public final class DnsblName {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private DnsblName() {}

    /** The query name for {@code a} in {@code zone} (no trailing dot). */
    public static String of(IpAddress a, String zone) {
        StringBuilder sb = new StringBuilder(a.v6() ? 64 + zone.length() : 16 + zone.length());
        if (!a.v6()) {
            int v = a.v4();
            for (int shift = 0; shift < 32; shift += 8) {
                sb.append((v >>> shift) & 0xff).append('.');
            }
        } else {
            appendNibbles(sb, a.lo());
            appendNibbles(sb, a.hi());
        }
        return sb.append(zone).toString();
    }

    private static void appendNibbles(StringBuilder sb, long v) {
        for (int i = 0; i < 16; i++) {
            sb.append(HEX[(int) (v >>> (4 * i)) & 0xf]).append('.');
        }
    }

    /**
     * Checks a zone name: a DNS name of labels of 1 to 63 letters, digits, hyphens
     * and underscores, at most 200 characters (an IPv6 query adds 64).
     *
     * @throws IllegalArgumentException naming the zone
     */
    public static String checkZone(String zone) {
        if (zone == null || zone.isEmpty()) throw new IllegalArgumentException("dnsbl: zone must not be empty");
        String z = zone.endsWith(".") ? zone.substring(0, zone.length() - 1) : zone;
        if (z.length() > 200) throw new IllegalArgumentException("dnsbl: zone \"" + zone + "\" is longer than 200 characters");
        for (String label : z.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new IllegalArgumentException("dnsbl: zone \"" + zone + "\" has an empty or over-long label");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(Character.isLetterOrDigit(c) && c < 0x80) && c != '-' && c != '_') {
                    throw new IllegalArgumentException("dnsbl: zone \"" + zone + "\" contains '" + c + "'");
                }
            }
        }
        return z.toLowerCase(java.util.Locale.ROOT);
    }
}
