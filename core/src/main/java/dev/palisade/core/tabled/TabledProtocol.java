package dev.palisade.core.tabled;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;

/**
 * The pftabled protocol core: a function of (datagram bytes, peer, clock,
 * this object's state) that returns what to do, an {@link TabledDecision.Accepted}
 * command or a {@link TabledDecision.Rejected} reason. No sockets, no
 * threads; the server around it is a thin loop (docs/tabled-protocol.md).
 *
 * <p>Why this order of checks: cheap structural checks first (size,
 * version); then the per-peer rate limit, before the one costly step, the
 * MAC; then the MAC, before any other field is believed, so that every later
 * reason ("stale", "bad table name") describes an authentic sender's
 * mistake, not noise; then the window; then the fields; last the replay
 * cache, so that only datagrams that would be applied take room in it.
 * MACs are compared in constant time ({@link MessageDigest#isEqual}).
 *
 * <p>Differences from pftabled 1.09, each deliberate: a replay within the
 * window is refused; an unterminated table name, a prefix length over 32 and
 * an address with prefix length 0 are refused (pftabled passes them to the
 * kernel or shifts by 32); host bits below the prefix length are cleared as
 * pftabled does.
 *
 * <p>State: the replay cache and the rate limiter. Not thread-safe: one
 * instance per receive loop.
 */
public final class TabledProtocol {

    private final TabledConfig config;
    private final Mac sha1;
    private final Mac sha256;
    private final ReplayCache replay;
    private final PeerRateLimiter limiter;
    private final long hashSeed;
    private final byte[] computed = new byte[TabledCodec.V3_MAC_BYTES];
    private final byte[] received20 = new byte[TabledCodec.V2_MAC_BYTES];
    private final byte[] received32 = new byte[TabledCodec.V3_MAC_BYTES];
    private final byte[] computed20 = new byte[TabledCodec.V2_MAC_BYTES];

    public TabledProtocol(TabledConfig config) {
        this(config, ThreadLocalRandom.current().nextLong());
    }

    /** With a fixed seed for the identifiers of unauthenticated datagrams (tests). */
    TabledProtocol(TabledConfig config, long hashSeed) {
        this.config = config;
        this.sha1 = config.keys().hasV2Key() ? TabledCodec.hmacSha1(config.keys().v2Key()) : null;
        this.sha256 = config.keys().hasV3Key() ? TabledCodec.hmacSha256(config.keys().v3Key()) : null;
        this.replay = new ReplayCache(config.replayCapacity());
        this.limiter = config.ratePerSecond() > 0
                ? new PeerRateLimiter(config.ratePerSecond(), config.burst(), config.maxPeers()) : null;
        this.hashSeed = hashSeed;
    }

    public TabledConfig config() {
        return config;
    }

    /** {@link #handle(byte[], int, int, IpAddress, long)} over the whole array. */
    public TabledDecision handle(byte[] datagram, IpAddress peer, long nowMillis) {
        return handle(datagram, 0, datagram.length, peer, nowMillis);
    }

    /**
     * Judges one datagram.
     *
     * @param buf       holds the datagram at {@code off}, {@code len} bytes
     * @param peer      the sender's address (for the rate limit)
     * @param nowMillis the server's clock, Unix milliseconds
     */
    public TabledDecision handle(byte[] buf, int off, int len, IpAddress peer, long nowMillis) {
        if (len < 1) return reject(RejectReason.WRONG_SIZE, "empty datagram");
        int version = buf[off] & 0xff;
        if (version <= 2) {
            if (len != TabledCodec.V2_SIZE) {
                return reject(RejectReason.WRONG_SIZE, len + " bytes, expected " + TabledCodec.V2_SIZE + " for version " + version);
            }
            if (!config.acceptV2()) return reject(RejectReason.VERSION_DISABLED, "version " + version + ", this server accepts version 3 only");
        } else if (version == 3) {
            if (len != TabledCodec.V3_SIZE) {
                return reject(RejectReason.WRONG_SIZE, len + " bytes, expected " + TabledCodec.V3_SIZE + " for version 3");
            }
            if (sha256 == null) return reject(RejectReason.NO_KEY, "version 3, but the server's key file has fewer than 32 bytes or is absent");
        } else {
            return reject(RejectReason.BAD_VERSION, "version " + version + ", expected 0 to 3");
        }
        if (limiter != null && !limiter.tryAcquire(peer, nowMillis)) {
            return reject(RejectReason.RATE_LIMITED, "more than " + config.ratePerSecond() + " datagrams/s (burst " + config.burst() + ")");
        }
        return version == 3 ? handleV3(buf, off, nowMillis) : handleV2(buf, off, version, nowMillis);
    }

    private TabledDecision handleV2(byte[] buf, int off, int version, long nowMillis) {
        long id;
        if (sha1 != null) {
            sha1.update(buf, off, TabledCodec.V2_MAC_OFFSET);
            TabledCodec.doFinal(sha1, computed20, 0);
            System.arraycopy(buf, off + TabledCodec.V2_MAC_OFFSET, received20, 0, TabledCodec.V2_MAC_BYTES);
            if (!MessageDigest.isEqual(computed20, received20)) return reject(RejectReason.BAD_MAC, "HMAC-SHA1 does not match");
            id = TabledCodec.getLong(computed20, 0);
        } else {
            id = hash(buf, off, TabledCodec.V2_MAC_OFFSET);
        }
        long timestamp = TabledCodec.getInt(buf, off + TabledCodec.V2_TIMESTAMP) & 0xffffffffL;
        TabledDecision late = checkWindow(timestamp, nowMillis);
        if (late != null) return late;

        TabledOp op = TabledOp.ofCode(buf[off + 1] & 0xff);
        if (op == null) return reject(RejectReason.BAD_COMMAND, "command " + (buf[off + 1] & 0xff) + ", expected 1 (add), 2 (delete) or 3 (flush)");
        String table = config.forcedTable();
        if (table == null) {
            Name name = readName(buf, off + TabledCodec.V2_NAME, false);
            if (name.rejected() != null) return name.rejected();
            table = name.value();
        }
        IpPrefix prefix = null;
        if (op != TabledOp.FLUSH) {
            int mask = version == 1 ? 32 : buf[off + 3] & 0xff;
            if (mask > 32) return reject(RejectReason.MASK_TOO_LONG, "prefix length " + mask + ", expected 0 to 32");
            IpAddress addr = TabledCodec.v4At(buf, off + TabledCodec.V2_ADDR);
            if (mask == 0 && addr.lo() != 0) return reject(RejectReason.HOST_BITS_WITH_MASK_0, addr + "/0");
            prefix = new IpPrefix(addr, mask);
        }
        long lifetime = op == TabledOp.ADD ? config.defaultLifetime() : 0;
        return accept(version, new TableCommand(op, table, prefix, lifetime), timestamp, id, nowMillis);
    }

    private TabledDecision handleV3(byte[] buf, int off, long nowMillis) {
        sha256.update(buf, off, TabledCodec.V3_MAC_OFFSET);
        TabledCodec.doFinal(sha256, computed, 0);
        System.arraycopy(buf, off + TabledCodec.V3_MAC_OFFSET, received32, 0, TabledCodec.V3_MAC_BYTES);
        if (!MessageDigest.isEqual(computed, received32)) return reject(RejectReason.BAD_MAC, "HMAC-SHA256 does not match");
        long id = TabledCodec.getLong(computed, 0);
        long timestamp = TabledCodec.getLong(buf, off + TabledCodec.V3_TIMESTAMP);
        TabledDecision late = checkWindow(timestamp, nowMillis);
        if (late != null) return late;

        TabledOp op = TabledOp.ofCode(buf[off + 1] & 0xff);
        if (op == null) return reject(RejectReason.BAD_COMMAND, "command " + (buf[off + 1] & 0xff) + ", expected 1 (add), 2 (delete) or 3 (flush)");
        String table = config.forcedTable();
        Name name = readName(buf, off + TabledCodec.V3_NAME, true);
        if (name.rejected() != null) {
            if (table == null || name.rejected().reason() == RejectReason.NOT_CANONICAL) return name.rejected();
        } else if (table == null) {
            table = name.value();
        }
        int family = buf[off + TabledCodec.V3_FAMILY] & 0xff;
        int mask = buf[off + TabledCodec.V3_PREFIX] & 0xff;
        long lifetime = TabledCodec.getInt(buf, off + TabledCodec.V3_LIFETIME) & 0xffffffffL;
        IpPrefix prefix = null;
        if (op == TabledOp.FLUSH) {
            if (family != 0 || mask != 0 || !allZero(buf, off + TabledCodec.V3_ADDR, 16) || lifetime != 0) {
                return reject(RejectReason.NOT_CANONICAL, "flush with a family, prefix length, address or lifetime (all must be 0)");
            }
        } else {
            IpAddress addr;
            if (family == 4) {
                if (!allZero(buf, off + TabledCodec.V3_ADDR + 4, 12)) {
                    return reject(RejectReason.NOT_CANONICAL, "IPv4 address with non-zero bytes 8 to 19");
                }
                if (mask > 32) return reject(RejectReason.MASK_TOO_LONG, "prefix length " + mask + ", expected 0 to 32 for IPv4");
                addr = TabledCodec.v4At(buf, off + TabledCodec.V3_ADDR);
            } else if (family == 6) {
                if (mask > 128) return reject(RejectReason.MASK_TOO_LONG, "prefix length " + mask + ", expected 0 to 128 for IPv6");
                addr = IpAddress.ofBytes(buf, off + TabledCodec.V3_ADDR, 16);
            } else {
                return reject(RejectReason.BAD_FAMILY, "family " + family + ", expected 4 or 6");
            }
            if (mask == 0 && (addr.hi() | addr.lo()) != 0) return reject(RejectReason.HOST_BITS_WITH_MASK_0, addr + "/0");
            prefix = new IpPrefix(addr, mask);
            if (op == TabledOp.DELETE && lifetime != 0) {
                return reject(RejectReason.NOT_CANONICAL, "delete with lifetime " + lifetime + " (must be 0)");
            }
        }
        if (op == TabledOp.ADD && lifetime == 0) lifetime = config.defaultLifetime();
        return accept(3, new TableCommand(op, table, prefix, lifetime), timestamp, id, nowMillis);
    }

    private TabledDecision checkWindow(long timestamp, long nowMillis) {
        long now = Math.floorDiv(nowMillis, 1000);
        long behind = now - timestamp;
        if (behind > config.window()) {
            return reject(RejectReason.STALE, "timestamp " + timestamp + " is " + behind + " s behind the server's clock (window " + config.window() + " s)");
        }
        if (-behind > config.window()) {
            return reject(RejectReason.FUTURE, "timestamp " + timestamp + " is " + (-behind) + " s ahead of the server's clock (window " + config.window() + " s)");
        }
        return null;
    }

    private TabledDecision accept(int version, TableCommand cmd, long timestamp, long id, long nowMillis) {
        return switch (replay.checkAndRecord(timestamp, id, Math.floorDiv(nowMillis, 1000), config.window())) {
            case FRESH -> new TabledDecision.Accepted(version, cmd, timestamp);
            case REPLAYED -> reject(RejectReason.REPLAYED, "datagram stamped " + timestamp + " already accepted");
            case FULL -> reject(RejectReason.REPLAY_CACHE_FULL, "timestamp " + timestamp + " is at or below the replay cache's overflow floor");
        };
    }

    /** A table name read from a datagram: the name, or why it is not one. */
    private record Name(String value, TabledDecision.Rejected rejected) {
        static Name bad(RejectReason reason, String detail) {
            return new Name(null, reject(reason, detail));
        }
    }

    /** The table name at {@code at} (32 bytes); {@code canonical}: the bytes after the NUL must be zero (version 3). */
    private static Name readName(byte[] buf, int at, boolean canonical) {
        int end = -1;
        for (int i = 0; i < TabledCodec.NAME_BYTES; i++) {
            if (buf[at + i] == 0) {
                end = i;
                break;
            }
        }
        if (end < 0) return Name.bad(RejectReason.UNTERMINATED_NAME, "32-byte table name without a NUL");
        if (canonical && !allZero(buf, at + end, TabledCodec.NAME_BYTES - end)) {
            return Name.bad(RejectReason.NOT_CANONICAL, "bytes after the table name's NUL are not zero");
        }
        if (end == 0) return Name.bad(RejectReason.BAD_TABLE_NAME, "empty table name");
        for (int i = 0; i < end; i++) {
            int c = buf[at + i] & 0xff;
            if (c < 0x21 || c > 0x7e) {
                return Name.bad(RejectReason.BAD_TABLE_NAME, "byte " + (i + 1) + " of the table name is 0x" + Integer.toHexString(c) + ", not printable ASCII");
            }
        }
        return new Name(new String(buf, at, end, StandardCharsets.US_ASCII), null);
    }

    private static boolean allZero(byte[] buf, int at, int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) acc |= buf[at + i];
        return acc == 0;
    }

    /** A seeded 64-bit digest of unauthenticated bytes: the replay identifier when there is no key. */
    private long hash(byte[] buf, int off, int len) {
        long h = hashSeed ^ (len * 0x9E3779B97F4A7C15L);
        for (int i = 0; i < len; i++) {
            h = (h ^ (buf[off + i] & 0xff)) * 0x100000001B3L;
            h ^= h >>> 29;
        }
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 31);
    }

    private static TabledDecision.Rejected reject(RejectReason reason, String detail) {
        return new TabledDecision.Rejected(reason, detail);
    }

    /** Identifiers in the replay cache (for metrics and tests). */
    public int replayCacheSize() {
        return replay.size();
    }
}
