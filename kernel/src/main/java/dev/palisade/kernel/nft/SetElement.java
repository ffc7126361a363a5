package dev.palisade.kernel.nft;

import dev.palisade.core.net.IpPrefix;

/**
 * One address or prefix in a kernel set.
 *
 * @param prefix        the address or prefix
 * @param timeoutMillis its lifetime when added (0: none; the set must have {@code timeout})
 * @param expiresMillis as listed: milliseconds left before the kernel removes it (0: never or unknown)
 */
public record SetElement(IpPrefix prefix, long timeoutMillis, long expiresMillis) {

    public SetElement {
        if (prefix == null) throw new IllegalArgumentException("set element without an address");
        if (timeoutMillis < 0) throw new IllegalArgumentException("timeout " + timeoutMillis + " ms for " + prefix + ": expected >= 0");
        if (expiresMillis < 0) throw new IllegalArgumentException("expiry " + expiresMillis + " ms for " + prefix + ": expected >= 0");
    }

    public static SetElement of(IpPrefix p) {
        return new SetElement(p, 0, 0);
    }

    public static SetElement of(IpPrefix p, long timeoutMillis) {
        return new SetElement(p, timeoutMillis, 0);
    }
}
