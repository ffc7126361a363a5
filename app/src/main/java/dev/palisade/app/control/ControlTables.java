package dev.palisade.app.control;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The running palisaded's {@link Tables}, over its control socket (the
 * {@code entry} command, {@link EntryProtocol}): what a standalone
 * {@code bofh-divert}, {@code iblock}, {@code dnsbl-divert} or
 * {@code pftabled} writes. Each call is one connection; an add returns once
 * the daemon has made it durable. A daemon that cannot be reached, or that
 * refuses a request, makes the call throw {@link IllegalStateException} with
 * the daemon's message (the services count and log it as a failed ban).
 *
 * <p>Why one connection per call: the protocol is one request per
 * connection, and bans reach here through each service's ban queue, which
 * merges repeats, so the rate is that of new bans, not of packets.
 *
 * <p>Why a match cache: the tripwire and the DNSBL gate ask {@link #matches}
 * for every packet, on the queue's thread, and one round trip costs about
 * 0.7 ms (measured on the shared 2-core machine), which would cap a
 * standalone diverter near 1400 packets/s. Answers are kept for
 * {@link #MATCH_TTL_NANOS} (at most {@link #MATCH_CACHE} of them); every
 * change made through this object clears the cache. XXX a change made by
 * someone else (pfctl -T delete) is seen up to one second late.
 */
public final class ControlTables implements Tables {

    /** How long a {@link #matches} answer is reused. */
    public static final long MATCH_TTL_NANOS = 1_000_000_000L;
    /** The most answers kept; the cache is emptied when it is full. */
    public static final int MATCH_CACHE = 65536;

    private record Key(String table, IpAddress address) {}

    private record Answer(boolean matches, long until) {}

    private final Path socket;
    private final java.util.concurrent.ConcurrentHashMap<Key, Answer> cache = new java.util.concurrent.ConcurrentHashMap<>();

    private ControlTables(Path socket) {
        this.socket = socket;
    }

    /** Connects to the daemon at {@code socket} (pings it); throws IllegalStateException with the reason when it is not there. */
    public static ControlTables connect(Path socket) {
        ControlTables t = new ControlTables(socket);
        t.call(new ControlRequest("ping", null, null, false, false, 0, List.of()));
        return t;
    }

    private String call(ControlRequest req) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = ControlClient.call(socket, req, new PrintWriter(out), new PrintWriter(err));
        if (rc != 0) {
            String e = err.toString().strip().replaceFirst("^pfctl: ", "");
            throw new IllegalStateException(e.isEmpty() ? "palisaded at " + socket + " answered exit " + rc : e);
        }
        return out.toString().strip();
    }

    private String entry(String table, String op, List<String> args) {
        if (!op.equals("match") && !op.equals("exists")) cache.clear();
        return call(EntryProtocol.request(table, op, args));
    }

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        String r = entry(table, "add", EntryProtocol.addArgs(prefix, expires, origin));
        try {
            return AddOutcome.valueOf(r);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("palisaded answered \"" + r + "\" to an add: expected ADDED, REFRESHED, ...");
        }
    }

    @Override
    public boolean delete(String table, IpPrefix prefix) {
        return Boolean.parseBoolean(entry(table, "delete", List.of(prefix.toString())));
    }

    @Override
    public int flush(String table) {
        return Integer.parseInt(entry(table, "flush", List.of()));
    }

    @Override
    public boolean exists(String table) {
        return Boolean.parseBoolean(entry(table, "exists", List.of()));
    }

    @Override
    public boolean create(String table) {
        return Boolean.parseBoolean(entry(table, "create", List.of()));
    }

    @Override
    public boolean matches(String table, IpAddress address) {
        Key k = new Key(table, address);
        long now = System.nanoTime();
        Answer a = cache.get(k);
        if (a != null && now - a.until() < 0) return a.matches();
        boolean m = Boolean.parseBoolean(entry(table, "match", List.of(address.toString())));
        if (cache.size() >= MATCH_CACHE) cache.clear();
        cache.put(k, new Answer(m, now + MATCH_TTL_NANOS));
        return m;
    }
}
