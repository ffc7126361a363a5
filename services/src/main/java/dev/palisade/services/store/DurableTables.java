package dev.palisade.services.store;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableSet;
import dev.palisade.core.table.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * palisaded's tables: a {@link TableSet} behind a read-write lock, every
 * change journaled to a {@link TableStore} and acknowledged (the call
 * returns) only once it is durable.
 *
 * <p>Automatic entry points refused by the allowlist are logged once per
 * prefix (a bounded memory of the last 4096) and counted.
 */
public final class DurableTables implements Tables {

    private static final Logger log = LoggerFactory.getLogger("palisaded.tables");

    private final TableSet set;
    private final TableStore store;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final AtomicLong refused = new AtomicLong();
    private final Map<IpPrefix, Boolean> refusedLogged = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<IpPrefix, Boolean> e) {
            return size() > 4096;
        }
    };

    public DurableTables(TableSet set, TableStore store) {
        this.set = set;
        this.store = store;
        set.setJournal(store::append);
    }

    public TableStore store() {
        return store;
    }

    /** Refused automatic adds since start. */
    public long refusedCount() {
        return refused.get();
    }

    /** Runs a change under the write lock, then waits until it is durable. */
    public <T> T write(Function<TableSet, T> change) {
        long seq;
        T r;
        rw.writeLock().lock();
        try {
            r = change.apply(set);
            seq = store.lastSequence();
        } finally {
            rw.writeLock().unlock();
        }
        try {
            store.awaitDurable(seq);
        } catch (IOException e) {
            throw new UncheckedIOException("table change not durable", e);
        }
        return r;
    }

    /** Runs a read under the read lock. */
    public <T> T read(Function<TableSet, T> query) {
        rw.readLock().lock();
        try {
            return query.apply(set);
        } finally {
            rw.readLock().unlock();
        }
    }

    /** Snapshot and empty the journal (blocks changes meanwhile). */
    public void compact() throws IOException {
        rw.writeLock().lock();
        try {
            store.snapshot(set);
        } finally {
            rw.writeLock().unlock();
        }
    }

    /**
     * Takes the paths of a ban once without changing anything (a warm-up
     * before the first real change): a lookup and an add, both in a table
     * that does not exist.
     */
    public void warmUp() {
        String none = "palisade_warmup_none";
        if (exists(none)) return;
        IpAddress a = IpAddress.parse("192.0.2.1");
        matches(none, a);
        add(none, IpPrefix.host(a), null, new Origin.Manual("warm-up")); // manual: no allowlist refusal, no log line
    }

    public void setAllowlist(Allowlist a) {
        write(s -> {
            s.setAllowlist(a);
            return null;
        });
    }

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        AddOutcome o = write(s -> s.add(table, prefix, expires, origin));
        if (o == AddOutcome.REFUSED_ALLOWLIST) {
            refused.incrementAndGet();
            boolean first;
            synchronized (refusedLogged) {
                first = refusedLogged.put(prefix, Boolean.TRUE) == null;
            }
            if (first) {
                Allowlist.Allowed al = read(s -> s.allowlist().overlapping(TableSet.canonical(prefix)));
                log.warn("refused to add {} to <{}> for {}: on the allowlist ({} {})", prefix, table, origin.describe(),
                        al == null ? "?" : al.reason(), al == null ? "" : al.prefix());
            }
        }
        return o;
    }

    @Override
    public boolean delete(String table, IpPrefix prefix) {
        return write(s -> s.delete(table, prefix));
    }

    @Override
    public int flush(String table) {
        return write(s -> s.flush(table));
    }

    @Override
    public boolean exists(String table) {
        return read(s -> s.exists(table));
    }

    @Override
    public boolean create(String table) {
        return write(s -> s.create(table));
    }

    @Override
    public boolean matches(String table, IpAddress address) {
        return read(s -> s.matches(table, address));
    }
}
