package dev.palisade.core.tabled;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** A test {@link Tables}: exact prefixes in maps, an allowlist of prefixes, const tables. */
class MemoryTables implements Tables {

    record Entry(Instant expires, Origin origin) {}

    final Map<String, Map<IpPrefix, Entry>> tables = new HashMap<>();
    final Set<IpPrefix> allowlist = new HashSet<>();
    final Set<String> constTables = new HashSet<>();

    MemoryTables with(String... names) {
        for (String n : names) tables.put(n, new HashMap<>());
        return this;
    }

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        Map<IpPrefix, Entry> t = tables.get(table);
        if (t == null) return AddOutcome.NO_SUCH_TABLE;
        if (constTables.contains(table)) return AddOutcome.REFUSED_CONST;
        if (allowlist.stream().anyMatch(a -> a.contains(prefix.address()))) return AddOutcome.REFUSED_ALLOWLIST;
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
        return tables.putIfAbsent(table, new HashMap<>()) == null;
    }

    @Override
    public boolean matches(String table, IpAddress address) {
        Map<IpPrefix, Entry> t = tables.get(table);
        return t != null && t.keySet().stream().anyMatch(p -> p.contains(address));
    }
}
