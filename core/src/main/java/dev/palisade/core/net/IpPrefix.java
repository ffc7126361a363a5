package dev.palisade.core.net;

/**
 * An address and a prefix length, host bits cleared ({@code 10/8} and
 * {@code 10.1.2.3/8} are both {@code 10.0.0.0/8}, as pfctl normalises them).
 * Prints as {@code addr} for a host prefix and {@code addr/len} otherwise.
 */
public record IpPrefix(IpAddress address, int length) implements Comparable<IpPrefix> {

    public IpPrefix {
        IpAddress.checkPrefixLen(length, address.bits());
        address = address.mask(length);
    }

    public static IpPrefix host(IpAddress a) {
        return new IpPrefix(a, a.bits());
    }

    public boolean v6() {
        return address.v6();
    }

    public boolean isHost() {
        return length == address.bits();
    }

    public boolean contains(IpAddress a) {
        return a.v6() == address.v6() && a.mask(length).equals(address);
    }

    /** The highest address inside the prefix. */
    public IpAddress last() {
        return address.fillHostBits(length);
    }

    /**
     * Parses {@code addr}, {@code addr/len}, and pf's short IPv4 forms with a
     * length ({@code 10/8}, {@code 10.1/16}: missing octets are zero).
     * Throws with a message naming the input and what was expected.
     */
    public static IpPrefix parse(String s) {
        int slash = s.indexOf('/');
        String addrText = slash < 0 ? s : s.substring(0, slash);
        IpAddress a = IpAddress.tryParse(addrText);
        if (a == null && slash >= 0 && addrText.indexOf(':') < 0) {
            a = parseShortV4(addrText);
        }
        if (a == null) throw new IllegalArgumentException("invalid address: \"" + s + "\"");
        if (slash < 0) return host(a);
        String lenText = s.substring(slash + 1);
        int len;
        if (lenText.isEmpty() || lenText.length() > 3 || !lenText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("invalid prefix length in \"" + s + "\": expected 0 to " + a.bits());
        }
        len = Integer.parseInt(lenText);
        if (len > a.bits()) {
            throw new IllegalArgumentException("prefix length " + len + " too long in \"" + s + "\": at most " + a.bits());
        }
        return new IpPrefix(a, len);
    }

    /** {@code 10}, {@code 10.1}, {@code 10.1.2}: the given octets, the rest zero. */
    static IpAddress parseShortV4(String s) {
        if (s.isEmpty() || s.endsWith(".")) return null;
        String[] parts = s.split("\\.", -1);
        if (parts.length > 4) return null;
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int octet = 0;
            if (i < parts.length) {
                String p = parts[i];
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) return null;
                octet = Integer.parseInt(p);
                if (octet > 255) return null;
            }
            v = (v << 8) | octet;
        }
        return IpAddress.ofV4(v);
    }

    @Override
    public int compareTo(IpPrefix o) {
        int c = address.compareTo(o.address);
        return c != 0 ? c : Integer.compare(length, o.length);
    }

    @Override
    public String toString() {
        return isHost() ? address.toString() : address + "/" + length;
    }
}
