package dev.palisade.services.dnsbl;

import dev.palisade.core.net.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which A answers of a DNSBL zone count as a listing.
 *
 * <p>Why so strict: a zone answers 127.255.255.x when it refuses the query
 * (Spamhaus: open resolver, rate limit) and some lists answer addresses
 * outside 127/8 when the zone has lapsed and is parked; treating either as
 * a listing has made mail servers reject everyone. So an answer outside
 * 127.0.0.0/8 or inside 127.255.255.0/24 makes the lookup FAILED (never a
 * ban), whatever else it contains; an answer inside 127/8 is a listing only
 * when it is in the configured ranges (default 127.0.0.2 to 127.0.0.254).
 *
 * @param ranges inclusive [first, last] pairs of IPv4 addresses as ints
 */
public record ReturnCodes(List<int[]> ranges) {

    private static final int LOOPBACK = 0x7f000000;
    private static final int ERRORS = 0x7fffff00;

    /** 127.0.0.2 to 127.0.0.254. */
    public static final ReturnCodes DEFAULT = parse("127.0.0.2-127.0.0.254");

    public ReturnCodes {
        ranges = List.copyOf(ranges);
        if (ranges.isEmpty()) throw new IllegalArgumentException("dnsbl: at least one listed return code is required");
    }

    /**
     * Parses a comma-separated list of codes: single addresses
     * ({@code 127.0.0.4}), ranges ({@code 127.0.0.2-127.0.0.11}) or prefixes
     * ({@code 127.0.0.0/24}); each inside 127.0.0.0/8 and outside 127.255.255.0/24.
     */
    public static ReturnCodes parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("dnsbl: the list of listed return codes is empty");
        List<int[]> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            int first, last;
            int dash = p.indexOf('-');
            int slash = p.indexOf('/');
            if (dash >= 0) {
                first = v4(p.substring(0, dash), spec);
                last = v4(p.substring(dash + 1), spec);
            } else if (slash >= 0) {
                int len;
                try {
                    len = Integer.parseInt(p.substring(slash + 1));
                } catch (NumberFormatException e) {
                    len = -1;
                }
                if (len < 8 || len > 32) throw new IllegalArgumentException("dnsbl: return code prefix \"" + p + "\": length must be 8 to 32");
                int a = v4(p.substring(0, slash), spec);
                int mask = len == 0 ? 0 : -1 << (32 - len);
                first = a & mask;
                last = first | ~mask;
            } else {
                first = last = v4(p, spec);
            }
            if (Integer.compareUnsigned(first, last) > 0) {
                throw new IllegalArgumentException("dnsbl: return code range \"" + p + "\" ends before it starts");
            }
            if ((first >>> 24) != 0x7f || (last >>> 24) != 0x7f) {
                throw new IllegalArgumentException("dnsbl: return code \"" + p + "\" is outside 127.0.0.0/8");
            }
            if (Integer.compareUnsigned(last, ERRORS) >= 0) {
                throw new IllegalArgumentException("dnsbl: return code \"" + p + "\" overlaps 127.255.255.0/24, the zones' error codes");
            }
            out.add(new int[] {first, last});
        }
        return new ReturnCodes(out);
    }

    private static int v4(String s, String spec) {
        IpAddress a = IpAddress.tryParse(s.strip());
        if (a == null || a.v6()) throw new IllegalArgumentException("dnsbl: return code \"" + s.strip() + "\" in \"" + spec + "\" is not an IPv4 address");
        return a.v4();
    }

    /** True when {@code code} is one of the listed codes. */
    public boolean lists(int code) {
        for (int[] r : ranges) {
            if (Integer.compareUnsigned(code, r[0]) >= 0 && Integer.compareUnsigned(code, r[1]) <= 0) return true;
        }
        return false;
    }

    /** Classifies the A answers of one zone (empty: not listed). */
    public DnsblAnswer classify(String zone, List<IpAddress> answers) {
        IpAddress listed = null;
        for (IpAddress a : answers) {
            if (a.v6() || (a.v4() >>> 24) != (LOOPBACK >>> 24)) {
                return new DnsblAnswer.LookupFailed(zone, "answer " + a + " is outside 127.0.0.0/8");
            }
            if ((a.v4() & 0xffffff00) == ERRORS) {
                return new DnsblAnswer.LookupFailed(zone, "answer " + a + " is an error code (127.255.255.0/24)");
            }
            if (listed == null && lists(a.v4())) listed = a;
        }
        return listed != null ? new DnsblAnswer.Listed(zone, listed) : new DnsblAnswer.NotListed(zone);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int[] r : ranges) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(IpAddress.v4ToString(r[0]));
            if (r[0] != r[1]) sb.append('-').append(IpAddress.v4ToString(r[1]));
        }
        return sb.toString();
    }
}
