package dev.palisade.core.tabled;

/**
 * How a pftabled server judges datagrams.
 *
 * @param keys            the shared secrets ({@link TabledKeys#NONE}: version 2 MACs unchecked, version 3 refused)
 * @param forcedTable     pftabled's {@code -f}: every command goes to this table, the datagram's name is ignored; or null
 * @param defaultLifetime pftabled's {@code -t}: seconds an added entry lives, 0 for no expiry
 *                        (version 3 datagrams may carry their own)
 * @param window          accepted clock difference in seconds, each way (pftabled's CLOCKDIFF, 60)
 * @param acceptV2        false to accept version 3 only
 * @param replayCapacity  most datagram identifiers the replay cache holds
 * @param ratePerSecond   datagrams per second per peer (IPv4 address or IPv6 /64); 0 for no limit
 * @param burst           datagrams a peer may send at once
 * @param maxPeers        most peers the rate limiter remembers
 */
public record TabledConfig(TabledKeys keys, String forcedTable, long defaultLifetime, long window, boolean acceptV2,
                           int replayCapacity, double ratePerSecond, double burst, int maxPeers) {

    public static final long DEFAULT_WINDOW = 60;
    public static final int DEFAULT_REPLAY_CAPACITY = 1 << 20;
    public static final double DEFAULT_RATE = 1000;
    public static final double DEFAULT_BURST = 2000;
    public static final int DEFAULT_MAX_PEERS = 65536;

    public TabledConfig {
        if (keys == null) throw new IllegalArgumentException("keys must not be null (TabledKeys.NONE for none)");
        if (forcedTable != null) TableCommand.checkTableName(forcedTable);
        if (defaultLifetime < 0 || defaultLifetime > 0xffffffffL) {
            throw new IllegalArgumentException("lifetime " + defaultLifetime + " s out of range 0..4294967295");
        }
        if (window < 0 || window > 86400) throw new IllegalArgumentException("window " + window + " s out of range 0..86400");
        if (replayCapacity < 1) throw new IllegalArgumentException("replay cache capacity must be at least 1, got " + replayCapacity);
        if (ratePerSecond < 0 || Double.isNaN(ratePerSecond)) throw new IllegalArgumentException("rate must be 0 (no limit) or positive, got " + ratePerSecond);
        if (ratePerSecond > 0 && !(burst >= 1)) throw new IllegalArgumentException("burst must be at least 1, got " + burst);
        if (maxPeers < 1) throw new IllegalArgumentException("maxPeers must be at least 1, got " + maxPeers);
        if (!acceptV2 && !keys.hasV3Key()) {
            throw new IllegalArgumentException("version 3 only needs a key file of at least 32 bytes (have: " + keys + ")");
        }
    }

    /** pftabled's defaults with these keys: any table, no lifetime, 60 s, both versions, 1000/s per peer. */
    public static TabledConfig defaults(TabledKeys keys) {
        return new TabledConfig(keys, null, 0, DEFAULT_WINDOW, true, DEFAULT_REPLAY_CAPACITY, DEFAULT_RATE, DEFAULT_BURST,
                DEFAULT_MAX_PEERS);
    }

    public TabledConfig withForcedTable(String table) {
        return new TabledConfig(keys, table, defaultLifetime, window, acceptV2, replayCapacity, ratePerSecond, burst, maxPeers);
    }

    public TabledConfig withDefaultLifetime(long seconds) {
        return new TabledConfig(keys, forcedTable, seconds, window, acceptV2, replayCapacity, ratePerSecond, burst, maxPeers);
    }

    public TabledConfig withAcceptV2(boolean accept) {
        return new TabledConfig(keys, forcedTable, defaultLifetime, window, accept, replayCapacity, ratePerSecond, burst, maxPeers);
    }

    public TabledConfig withReplayCapacity(int capacity) {
        return new TabledConfig(keys, forcedTable, defaultLifetime, window, acceptV2, capacity, ratePerSecond, burst, maxPeers);
    }

    /** Rate limit per peer; 0 for none. */
    public TabledConfig withRate(double perSecond, double burst) {
        return new TabledConfig(keys, forcedTable, defaultLifetime, window, acceptV2, replayCapacity, perSecond, burst, maxPeers);
    }
}
