package dev.palisade.services.tabled;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A thread-safe test {@link Tables}: exact prefixes per table, with their expiry and origin. */
final class ConcurrentTables implements Tables {

    record Entry(Instant expires, Origin origin) {}

    final Map<String, Map<IpPrefix, Entry>> tables = new ConcurrentHashMap<>();
    final Set<IpPrefix> allowlist = ConcurrentHashMap.newKeySet();

    ConcurrentTables with(String... names) {
        for (String n : names) tables.put(n, new ConcurrentHashMap<>());
        return this;
    }

    Entry entry(String table, String prefix) {
        Map<IpPrefix, Entry> t = tables.get(table);
        return t == null ? null : t.get(IpPrefix.parse(prefix));
    }

    int size(String table) {
        Map<IpPrefix, Entry> t = tables.get(table);
        return t == null ? 0 : t.size();
    }

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        Map<IpPrefix, Entry> t = tables.get(table);
        if (t == null) return AddOutcome.NO_SUCH_TABLE;
        for (IpPrefix a : allowlist) if (a.contains(prefix.address())) return AddOutcome.REFUSED_ALLOWLIST;
        return t.put(prefix, new Entry(expires, origin)) == null ? AddOutcome.ADDED : AddOutcome.REFRESHED;
    }

    @Override
    public boolean delete(String table, IpPrefix prefix) {
        Map<IpPrefix, Entry> t = tables.get(table);
        return t != null && t.remove(prefix) != null;
    }

    @Override
    public int flush(String table) {
        Map<IpPrefix, Entry> t = tables.get(table);
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
        Map<IpPrefix, Entry> t = tables.get(table);
        return t != null && t.keySet().stream().anyMatch(p -> p.contains(address));
    }
}
