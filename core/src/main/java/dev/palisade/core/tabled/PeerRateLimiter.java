package dev.palisade.core.tabled;

import dev.palisade.core.net.IpAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per peer: {@code rate} datagrams a second on average, up to
 * {@code burst} at once.
 *
 * <p>Why: one sender must not take the server's whole CPU (a MAC per
 * datagram) or fill the replay cache. Peers are IPv4 addresses and IPv6 /64
 * networks (an IPv6 host commonly owns a whole /64). At most
 * {@code maxPeers} buckets are kept, least recently used dropped first; a
 * dropped peer starts again with a full bucket.
 * XXX a sender with many addresses can cycle through the LRU; a global
 * bucket over all peers would bound that too.
 *
 * <p>Not thread-safe: one per receive loop.
 */
final class PeerRateLimiter {

    private static final class Bucket {
        double tokens;
        long lastMillis;
    }

    private final double ratePerMilli;
    private final double burst;
    private final LinkedHashMap<IpAddress, Bucket> buckets;

    /**
     * @param ratePerSecond datagrams per second per peer; must be positive
     * @param burst         bucket size, at least 1
     * @param maxPeers      most peers remembered
     */
    PeerRateLimiter(double ratePerSecond, double burst, int maxPeers) {
        if (!(ratePerSecond > 0)) throw new IllegalArgumentException("rate must be positive, got " + ratePerSecond);
        if (!(burst >= 1)) throw new IllegalArgumentException("burst must be at least 1, got " + burst);
        if (maxPeers < 1) throw new IllegalArgumentException("maxPeers must be at least 1, got " + maxPeers);
        this.ratePerMilli = ratePerSecond / 1000.0;
        this.burst = burst;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<IpAddress, Bucket> eldest) {
                return size() > maxPeers;
            }
        };
    }

    /** Takes one token from the peer's bucket; false when it is empty. */
    boolean tryAcquire(IpAddress peer, long nowMillis) {
        IpAddress key = key(peer);
        Bucket b = buckets.get(key);
        if (b == null) {
            b = new Bucket();
            b.tokens = burst;
            b.lastMillis = nowMillis;
            buckets.put(key, b);
        } else if (nowMillis > b.lastMillis) {
            b.tokens = Math.min(burst, b.tokens + (nowMillis - b.lastMillis) * ratePerMilli);
            b.lastMillis = nowMillis;
        } else if (nowMillis < b.lastMillis) {
            b.lastMillis = nowMillis; // the clock went back: refill from here
        }
        if (b.tokens < 1) return false;
        b.tokens -= 1;
        return true;
    }

    /** The bucket's key: IPv4 (or IPv4-mapped) address, or the IPv6 /64. */
    static IpAddress key(IpAddress peer) {
        IpAddress a = peer.unmapV4();
        return a.v6() ? a.mask(64) : a;
    }

    int peers() {
        return buckets.size();
    }
}
