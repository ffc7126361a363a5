package dev.palisade.services;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link Tables} for the services' tests: host entries and
 * prefixes, an allowlist, and a record of every add call (to check that a
 * flood writes each address once).
 */
public final class MemoryTables implements Tables {

    public record Entry(Instant expires, Origin origin) {}

    private final Map<String, Map<IpPrefix, Entry>> tables = new ConcurrentHashMap<>();
    private final List<IpPrefix> allowlist = new CopyOnWriteArrayList<>();
    public final Map<IpAddress, AtomicInteger> addCalls = new ConcurrentHashMap<>();
    public final AtomicInteger totalAdds = new AtomicInteger();

    public MemoryTables(String... names) {
        for (String n : names) create(n);
    }

    public MemoryTables allow(String prefix) {
        allowlist.add(IpPrefix.parse(prefix));
        return this;
    }

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        totalAdds.incrementAndGet();
        addCalls.computeIfAbsent(prefix.address(), a -> new AtomicInteger()).incrementAndGet();
        Map<IpPrefix, Entry> t = tables.get(table);
        if (t == null) return AddOutcome.NO_SUCH_TABLE;
        if (!(origin instanceof Origin.Manual)) {
            for (IpPrefix a : allowlist) {
                if (a.contains(prefix.address())) return AddOutcome.REFUSED_ALLOWLIST;
            }
        }
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
        if (t == null) return false;
        if (t.containsKey(IpPrefix.host(address))) return true;
        for (IpPrefix p : t.keySet()) {
            if (!p.isHost() && p.contains(address)) return true;
        }
        return false;
    }

    /** Removes a whole table (as pfctl -T kill does). */
    public void drop(String table) {
        tables.remove(table);
    }

    /** The entry for a host, or null. */
    public Entry entry(String table, IpAddress address) {
        Map<IpPrefix, Entry> t = tables.get(table);
        return t == null ? null : t.get(IpPrefix.host(address));
    }

    public int size(String table) {
        Map<IpPrefix, Entry> t = tables.get(table);
        return t == null ? 0 : t.size();
    }
}
