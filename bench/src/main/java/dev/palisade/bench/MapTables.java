package dev.palisade.bench;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory {@link Tables} for benchmarks: exact prefixes per table, thread-safe, no disk. */
final class MapTables implements Tables {

    final Map<String, Map<IpPrefix, Instant>> tables = new ConcurrentHashMap<>();

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        Map<IpPrefix, Instant> t = tables.get(table);
        if (t == null) return AddOutcome.NO_SUCH_TABLE;
        return t.put(prefix, expires == null ? Instant.MAX : expires) == null ? AddOutcome.ADDED : AddOutcome.REFRESHED;
    }

    @Override
    public boolean delete(String table, IpPrefix prefix) {
        Map<IpPrefix, Instant> t = tables.get(table);
        return t != null && t.remove(prefix) != null;
    }

    @Override
    public int flush(String table) {
        Map<IpPrefix, Instant> t = tables.get(table);
        if (t == null) return 0;
        int n = t.size();
        t.clear();
        return n;
    }

    @Override
    public boolean exists(String table) {
        return tables.containsKey(table);
    }

    @Override
    public boolean create(String table) {
        return tables.putIfAbsent(table, new ConcurrentHashMap<>()) == null;
    }

    @Override
    public boolean matches(String table, IpAddress address) {
        Map<IpPrefix, Instant> t = tables.get(table);
        return t != null && t.keySet().stream().anyMatch(p -> p.contains(address));
    }

    int size(String table) {
        Map<IpPrefix, Instant> t = tables.get(table);
        return t == null ? 0 : t.size();
    }
}
