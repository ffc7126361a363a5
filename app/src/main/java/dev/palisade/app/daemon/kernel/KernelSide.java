package dev.palisade.app.daemon.kernel;

import dev.palisade.app.host.LinuxHostProfile;
import dev.palisade.core.eval.Evaluator;
import dev.palisade.core.lang.Decl;
import dev.palisade.core.lang.Diagnostic;
import dev.palisade.core.lang.FilterRule;
import dev.palisade.core.lang.Printer;
import dev.palisade.core.lang.StateOptions;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import dev.palisade.core.lang.PfctlText;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.AddressTable;
import dev.palisade.core.table.Mutation;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableEntry;
import dev.palisade.core.table.TableFlags;
import dev.palisade.core.table.TableSet;
import dev.palisade.kernel.compile.CompileResult;
import dev.palisade.kernel.compile.EffectiveIntervals;
import dev.palisade.kernel.compile.NftCompiler;
import dev.palisade.kernel.compile.NftProgram;
import dev.palisade.kernel.conntrack.Conntrack;
import dev.palisade.kernel.divert.QueueFeatures;
import dev.palisade.kernel.divert.XtDivert;
import dev.palisade.kernel.nft.NftException;
import dev.palisade.kernel.nft.NftRunner;
import dev.palisade.kernel.nft.NftSet;
import dev.palisade.kernel.nft.NftSets;
import dev.palisade.kernel.nft.SetDiff;
import dev.palisade.kernel.nft.SetElement;
import dev.palisade.kernel.nft.TableReplacement;
import dev.palisade.kernel.netlink.RtAddresses;
import dev.palisade.services.StateKiller;
import dev.palisade.services.store.DurableTables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * palisaded's kernel side: loads the compiled ruleset into {@code inet palisade}
 * and keeps every table's kernel sets equal to the durable table.
 *
 * <p>Why this shape: the durable tables are the truth and the kernel a copy.
 * Every table change (control socket, services, expiry) reaches this class as a
 * journal {@link Mutation}; the mutation only marks the table dirty and wakes
 * one sync thread, so writers never wait on netlink. The sync thread recomputes
 * the table's wanted elements (the effective intervals when the table holds
 * negated entries, else the covering prefixes with their lifetimes), diffs them
 * against a mirror of what it last pushed and applies the diff in one netlink
 * transaction (a burst of bans is one batch). Any netlink error falls back to a
 * full reconcile: list the kernel set, {@link SetDiff#compute}, apply. Sets are
 * never emptied; a (re)load puts the table's elements into the program text
 * itself, so the sets are full at the instant of the commit. A reload keeps the
 * existing sets (flushed and refilled inside the same transaction) and rebuilds
 * everything else: deleting and recreating an interval set lets packets slip
 * past it for a moment after the commit ({@link TableReplacement}).
 *
 * <p>Incremental path: adds of non-negated entries and deletes of host
 * entries (the bans and unbans of the services, pftabled and {@code -T}) are
 * pushed as they are, diffed against the mirror only, in O(batch) whatever
 * the table's size; a ban into a table of a million entries costs what a
 * ban into an empty one does. Everything else (flushes, kills, negated
 * entries, deletes of prefixes that may have covered others, expiry, any
 * netlink error of the incremental push) marks the table dirty for the full
 * recompute, which is O(n log n) in the table's size.
 */
public final class KernelSide implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("palisaded.kernel");
    /** The nftables table Palisade owns. */
    public static final String TABLE = "palisade";

    /** A parsed and compiled ruleset, or every error in it. */
    public sealed interface Prepared {
        /**
         * @param source  the file's name as diagnostics print it
         * @param program null when the ruleset was parsed only (no kernel to load it into)
         */
        record Ok(String source, Ruleset ruleset, NftProgram program) implements Prepared {}

        /** Errors as {@code FILE:LINE: message}; nothing was loaded. */
        record Failed(List<String> errors) implements Prepared {
            public Failed {
                errors = List.copyOf(errors);
            }
        }
    }

    /**
     * Parses pf.conf (the parser {@code pfctl -n -f} uses) and compiles it for
     * nftables. Pure except for reading the file (and probing the divert path as root).
     */
    public static Prepared prepare(Path pfConf, boolean probeDivert) {
        return prepare(pfConf, probeDivert, true);
    }

    /**
     * As {@link #prepare(Path, boolean)}; with {@code kernel} false (no root: nothing will be loaded)
     * rules nftables cannot express do not refuse the ruleset: its tables are still filled.
     */
    public static Prepared prepare(Path pfConf, boolean probeDivert, boolean kernel) {
        HostProfile host;
        try {
            host = LinuxHostProfile.load();
        } catch (RuntimeException e) {
            return new Prepared.Failed(List.of("palisaded: host profile: " + e.getMessage()));
        }
        String text;
        try {
            text = Files.readString(pfConf, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return new Prepared.Failed(List.of(pfConf + ": cannot read the ruleset: " + e.getMessage()));
        }
        ParseOptions po = new ParseOptions(host, Map.of(), p -> Files.readString(Path.of(p), StandardCharsets.ISO_8859_1));
        ParseResult r = Parser.parse(pfConf.toString(), text, po);
        if (!r.ok()) {
            List<String> errs = PfctlText.stderr(r).lines().filter(l -> !l.isBlank()).toList();
            return new Prepared.Failed(errs.isEmpty() ? List.of(pfConf + ": errors in the ruleset") : errs);
        }
        NftCompiler.Options o = NftCompiler.Options.defaults();
        if (probeDivert && r.ruleset().rules().stream().anyMatch(x -> x.divert() != null)) {
            try {
                o = o.withDivertPath(QueueFeatures.probe(null));
            } catch (IOException e) {
                log.warn("cannot probe the divert path ({}); assuming nft's queue", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Prepared.Failed(List.of("palisaded: interrupted while probing the divert path"));
            }
        }
        return switch (NftCompiler.compile(r.ruleset(), host, o)) {
            case CompileResult.Compiled c -> new Prepared.Ok(pfConf.toString(), r.ruleset(), c.program());
            case CompileResult.Refused f -> {
                if (kernel) yield new Prepared.Failed(f.errors().stream().map(Diagnostic::toString).toList());
                log.info("{}: parsed; not compiled for the kernel ({} rules nftables cannot express, first: {})",
                        pfConf, f.errors().size(), f.errors().get(0));
                yield new Prepared.Ok(pfConf.toString(), r.ruleset(), null);
            }
        };
    }

    private final DurableTables tables;
    private final Clock clock;
    /** Null when the kernel cannot be programmed (not root, no nft, no nf_tables). */
    private final NftSets sets;
    private final Conntrack conntrack;
    private final NftRunner runner;
    private final String unavailable;
    private final ReentrantLock kernelLock = new ReentrantLock();
    /** Guards the conntrack socket; never held with kernelLock, so a long conntrack walk delays no set push. */
    private final ReentrantLock conntrackLock = new ReentrantLock();

    private volatile Prepared.Ok current;
    /** pf table -> its sets as the kernel has them (guarded by kernelLock). */
    private final Map<String, List<NftSet>> kernelSets = new HashMap<>();
    /** set name -> prefix -> absolute expiry in ms (0: none): what the kernel holds (guarded by kernelLock). */
    private final Map<String, Map<IpPrefix, Long>> mirror = new HashMap<>();
    /** Dynamic {@code (if)} set name -> what the kernel holds (guarded by kernelLock). */
    private final Map<String, Set<IpPrefix>> dynMirror = new HashMap<>();
    /** The interfaces' addresses and their change events; null without a kernel or rtnetlink. */
    private volatile RtAddresses ifaddrs;
    /** Whether the rules are installed ({@code pfctl -e}/{@code -d}). */
    private volatile boolean enabled;

    private final ReentrantLock pendingLock = new ReentrantLock();
    private final Condition wake = pendingLock.newCondition();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Set<IpPrefix> kills = new LinkedHashSet<>();
    /** Per table not dirty: the adds and host deletes to push as they are (guarded by pendingLock). */
    private final Map<String, List<Mutation>> increments = new LinkedHashMap<>();
    /** Tables whose last full push saw negated entries: no incremental path for them (guarded by kernelLock). */
    private final Set<String> negatedTables = new HashSet<>();
    /**
     * Table pushes by path, for tests and figures: [0] full recomputes, [1] incremental transactions sent,
     * [2] fast-path bans ({@link #enforceNow}), [3] fast-path attempts declined because another push held
     * the kernel (that ban then waited for the normal path).
     */
    private final java.util.concurrent.atomic.AtomicLongArray pushes = new java.util.concurrent.atomic.AtomicLongArray(4);
    private long requested, done;
    /** Kill requests made / finished (a kill counts as done once its sources' states are gone). */
    private long killRequested, killDone;
    /** Sources whose set changes are pushed and whose states the kill thread is to delete (guarded by pendingLock). */
    private final Set<IpPrefix> killQueue = new LinkedHashSet<>();
    private long killQueueUpTo;
    private final Condition killWake = pendingLock.newCondition();
    private final Condition synced = pendingLock.newCondition();
    private volatile boolean closed;
    private Thread syncThread;
    private Thread overloadThread;
    /** How often the overload sets the packet path fills are copied into the durable tables. */
    static final long OVERLOAD_POLL_MILLIS = 250;
    private Thread killThread;

    private final String netns;

    private KernelSide(DurableTables tables, Clock clock, NftSets sets, Conntrack conntrack, String unavailable, String netns) {
        this.netns = netns;
        this.tables = tables;
        this.clock = clock;
        this.sets = sets;
        this.conntrack = conntrack;
        this.unavailable = unavailable;
        this.runner = new NftRunner(TABLE, netns, 60_000);
    }

    /**
     * Opens the kernel (or says in one line why it cannot), fills the durable
     * tables from the ruleset's table definitions, loads the program and
     * reconciles every set. Throws only for a ruleset the kernel refuses.
     */
    public static KernelSide start(DurableTables tables, Clock clock, Prepared.Ok ruleset) throws KernelException {
        return start(tables, clock, ruleset, null);
    }

    /** As {@link #start(DurableTables, Clock, Prepared.Ok)} in network namespace {@code netns} (null: the current one; tests). */
    static KernelSide start(DurableTables tables, Clock clock, Prepared.Ok ruleset, String netns) throws KernelException {
        NftSets s = null;
        Conntrack ct = null;
        String why = null;
        if (!isRoot()) {
            why = "not root (palisaded needs CAP_NET_ADMIN)";
        } else if (!onPath("nft")) {
            why = "the nft program is not installed (Debian: apt-get install nftables)";
        } else {
            try {
                s = NftSets.open(netns);
                ct = Conntrack.open(netns);
            } catch (Exception e) {
                if (s != null) s.close();
                s = null;
                why = "cannot open netfilter netlink: " + e.getMessage();
            }
        }
        KernelSide k = new KernelSide(tables, clock, s, ct, why, netns);
        if (why != null) {
            log.warn("no kernel enforcement: {}; tables, services and the control socket run without it", why);
        }
        if (s != null) {
            try {
                k.ifaddrs = RtAddresses.watch(netns, k::refreshDynamic);
            } catch (Exception e) {
                log.warn("cannot watch interface addresses over rtnetlink ({}): (if) address sets stay as loaded",
                        e.getMessage());
            }
        }
        if (ruleset != null) k.install(ruleset);
        k.syncThread = Thread.ofPlatform().name("palisaded-kernel").daemon(true).start(k::syncLoop);
        if (s != null) k.overloadThread = Thread.ofPlatform().name("palisaded-overload").daemon(true).start(k::overloadLoop);
        k.killThread = Thread.ofPlatform().name("palisaded-conntrack").daemon(true).start(k::killLoop);
        return k;
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static boolean onPath(String prog) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String d : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, prog))) return true;
        }
        return false;
    }

    /** Marks every table with kernel sets for a (cheap, diff-based) push: after the change listener is attached. */
    public void resyncAll() {
        List<String> all;
        kernelLock.lock(); // not nested in pendingLock: writers hold the tables' lock, then pendingLock
        try {
            all = new ArrayList<>(kernelSets.keySet());
        } finally {
            kernelLock.unlock();
        }
        pendingLock.lock();
        try {
            dirty.addAll(all);
            requested++;
            wake.signal();
        } finally {
            pendingLock.unlock();
        }
    }

    /** Whether the kernel is being programmed. */
    public boolean available() {
        return sets != null;
    }

    /** Why the kernel is not programmed, or null. */
    public String unavailableReason() {
        return unavailable;
    }

    /** The ruleset in force, or null. */
    public Prepared.Ok current() {
        return current;
    }

    /** The table-change hook: call from the tables' journal (under their write lock; cheap, never blocks). */
    public void onMutation(Mutation m) {
        pendingLock.lock();
        try {
            if (!note(m, dirty, kills, increments)) return;
            if (m instanceof Mutation.Add a && automatic(a.origin())) killRequested++;
            requested++;
            wake.signal();
        } finally {
            pendingLock.unlock();
        }
    }

    /** Records what {@code m} asks of the kernel; false when nothing (counters only). */
    private static boolean note(Mutation m, Set<String> dirty, Set<IpPrefix> kills, Map<String, List<Mutation>> increments) {
        switch (m) {
            case Mutation.Add a -> {
                if (a.negated()) markDirty(a.table(), dirty, increments);
                else if (!dirty.contains(a.table())) increments.computeIfAbsent(a.table(), k -> new ArrayList<>()).add(a);
                if (automatic(a.origin())) kills.add(a.prefix());
            }
            case Mutation.Delete d -> {
                // a wider prefix may have covered entries that must now go into the set themselves
                if (!d.prefix().isHost()) markDirty(d.table(), dirty, increments);
                else if (!dirty.contains(d.table())) increments.computeIfAbsent(d.table(), k -> new ArrayList<>()).add(d);
            }
            case Mutation.Flush f -> markDirty(f.table(), dirty, increments);
            case Mutation.Kill k -> markDirty(k.table(), dirty, increments);
            case Mutation.Create c -> markDirty(c.table(), dirty, increments);
            case Mutation.Zero z -> {
                return false;
            }
        }
        return true;
    }

    private static void markDirty(String table, Set<String> dirty, Map<String, List<Mutation>> increments) {
        dirty.add(table);
        increments.remove(table); // the full recompute covers them
    }

    /**
     * Runs the ban path's kernel-side code once without changing anything
     * (see BanPathWarmup): {@link #onMutation}'s classification on scratch
     * sets, the fast path's entry and table check (for a table that does not
     * exist), and for one IPv4 and one IPv6 set a transaction that adds and
     * deletes a documentation address the set does not hold.
     */
    public void warmUp() {
        note(new Mutation.Add("warmup", IpPrefix.parse("192.0.2.1/32"), false, 0, 0, new Origin.Tripwire(1)),
                new HashSet<>(), new HashSet<>(), new HashMap<>());
        if (sets == null) return;
        // the fast path's entry and its table check (links the check's lambda); no such table: nothing is pushed
        String none = "palisade_warmup_none";
        enforceNow(none, IpAddress.parse("192.0.2.1"), null, new Origin.Tripwire(1));
        accepted(none, IpPrefix.parse("192.0.2.1/32"), new Origin.Tripwire(1));
        kernelLock.lock();
        try {
            boolean v4 = false;
            boolean v6 = false;
            for (List<NftSet> l : kernelSets.values()) {
                for (NftSet set : l) {
                    if (set.v6() ? v6 : v4) continue;
                    IpPrefix p = IpPrefix.parse(set.v6() ? "2001:db8::ff/128" : "192.0.2.255/32");
                    Map<IpPrefix, Long> have = mirror.get(set.name());
                    if (have == null || have.containsKey(p)) continue;
                    try {
                        sets.touch(set, p);
                    } catch (dev.palisade.kernel.netlink.ErrnoException | RuntimeException e) {
                        log.debug("warm-up of {}: {}", set.name(), e.getMessage());
                        continue;
                    }
                    if (set.v6()) v6 = true;
                    else v4 = true;
                }
            }
        } finally {
            kernelLock.unlock();
        }
        // the conntrack kill's first run loads and links ~100 ms of classes and method handles; a kill of
        // documentation addresses (no states) pays that now, for both paths: filtered (IPv4) and full dump
        if (conntrack != null) {
            for (String host : List.of("192.0.2.255/32", "2001:db8::ff/128")) {
                try {
                    killStates(List.of(IpPrefix.parse(host)));
                } catch (dev.palisade.kernel.netlink.ErrnoException | RuntimeException e) {
                    log.debug("warm-up of the conntrack kill: {}", e.getMessage());
                }
            }
        }
    }

    /**
     * The expiry hook: expired entries leave the kernel sets (kernel timeouts
     * usually removed them already; this re-asserts it, and covers tables with
     * negated entries, which get no kernel timeouts).
     */
    public void onExpired(List<TableSet.Expired> gone) {
        pendingLock.lock();
        try {
            for (TableSet.Expired e : gone) dirty.add(e.table());
            requested++;
            wake.signal();
        } finally {
            pendingLock.unlock();
        }
    }

    /** A ban by a service or the packet path, as opposed to an operator's or the ruleset's entry. */
    static boolean automatic(Origin o) {
        return !(o instanceof Origin.Manual || o instanceof Origin.File || o instanceof Origin.Ruleset
                || o instanceof Origin.DnsblClean);
    }

    /**
     * The services' state killer: the kill runs on the sync thread after the
     * pending set changes are in the kernel, so no new state can slip in between.
     */
    public StateKiller stateKiller() {
        return src -> {
            pendingLock.lock();
            try {
                kills.add(IpPrefix.host(src));
                killRequested++;
                requested++;
                wake.signal();
            } finally {
                pendingLock.unlock();
            }
        };
    }

    /** Table pushes so far: {full recomputes, incremental pushes, fast-path bans}. */
    long[] pushCounts() {
        return new long[] {pushes.get(0), pushes.get(1), pushes.get(2)};
    }

    /** The services' fast path ({@link #enforceNow}); {@link dev.palisade.services.Enforcer#NONE} without a kernel. */
    public dev.palisade.services.Enforcer enforcer() {
        return sets == null ? dev.palisade.services.Enforcer.NONE : this::enforceNow;
    }

    /**
     * The tripwire's fast path (see {@link dev.palisade.services.Enforcer}): adds the host
     * {@code address} to {@code table}'s kernel set now, on the caller's thread, before the
     * durable add that follows. The tables are asked first ({@link TableSet#check}, under
     * kernelLock, as a full push reads them) so that the kernel gets nothing the durable add
     * will refuse; a change made after that check reaches this class as a mutation and is
     * pushed after this add. The mirror records the element with the expiry the journal will
     * carry, so the durable add's own incremental push finds it there and sends nothing.
     * Never waits: false when another push holds the kernel (then the normal path does it),
     * when the table has no kernel set or needs the full recompute (negated entries), when the
     * kernel holds the address already, on a refusal or a netlink error (mirror unchanged).
     */
    boolean enforceNow(String table, IpAddress address, java.time.Instant expires, Origin origin) {
        if (sets == null) return false;
        if (!kernelLock.tryLock()) {
            pushes.incrementAndGet(3);
            return false;
        }
        try {
            List<NftSet> ks = kernelSets.get(table);
            if (ks == null || negatedTables.contains(table)) return false;
            IpPrefix p = IpPrefix.host(address);
            NftSet set = ks.get(0).v6() == p.v6() ? ks.get(0) : ks.get(ks.size() - 1);
            Map<IpPrefix, Long> have = mirror.get(set.name());
            if (set.v6() != p.v6() || have == null) return false;
            long now = clock.millis();
            Long h = have.get(p);
            if (h != null && (h == 0 || h > now)) return false; // already dropped by the kernel
            if (!accepted(table, p, origin)) return false;
            long exp = set.timeout() ? TableSet.expirySeconds(expires) * 1000 : 0;
            if (exp != 0 && exp <= now) return false;
            sets.apply(set, List.of(), List.of(new SetElement(p, exp == 0 ? 0 : exp - now, 0)));
            have.put(p, exp);
            pushes.incrementAndGet(2);
            return true;
        } catch (dev.palisade.kernel.netlink.ErrnoException | RuntimeException e) {
            log.debug("fast ban of {} into <{}> not made ({}); the durable add pushes it", address, table, e.getMessage());
            return false;
        } finally {
            kernelLock.unlock();
        }
    }

    /** Whether the durable add of {@code p} would be accepted now (no allowlist, const or missing-table refusal). */
    private boolean accepted(String table, IpPrefix p, Origin origin) {
        dev.palisade.core.table.Tables.AddOutcome o = tables.read(s -> s.check(table, p, origin));
        return o == dev.palisade.core.table.Tables.AddOutcome.ADDED || o == dev.palisade.core.table.Tables.AddOutcome.REFRESHED;
    }

    /** Waits until every change made before the call is in the kernel; false on timeout. */
    public boolean awaitSynced(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        pendingLock.lock();
        try {
            long want = requested;
            long wantKills = killRequested;
            while (done < want || killDone < wantKills) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                synced.awaitNanos(left);
            }
            return true;
        } finally {
            pendingLock.unlock();
        }
    }

    private void syncLoop() {
        while (!closed) {
            Set<String> work;
            Set<IpPrefix> kill;
            Map<String, List<Mutation>> incr;
            long upTo;
            long killUpTo;
            pendingLock.lock();
            try {
                while (dirty.isEmpty() && kills.isEmpty() && increments.isEmpty() && !closed) {
                    try {
                        wake.awaitNanos(1_000_000_000L);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                work = new LinkedHashSet<>(dirty);
                kill = new LinkedHashSet<>(kills);
                incr = new LinkedHashMap<>(increments);
                dirty.clear();
                kills.clear();
                increments.clear();
                upTo = requested;
                killUpTo = killRequested;
            } finally {
                pendingLock.unlock();
            }
            try {
                for (var e : incr.entrySet()) {
                    if (!work.contains(e.getKey()) && !pushIncrement(e.getKey(), e.getValue())) work.add(e.getKey());
                }
                for (String t : work) push(t);
            } catch (RuntimeException | dev.palisade.kernel.netlink.ErrnoException e) {
                log.error("kernel sync failed: {}", e.toString());
            }
            pendingLock.lock();
            try {
                done = Math.max(done, upTo);
                if (!kill.isEmpty() && conntrack != null) {
                    // after the push: the sets already drop the sources' new packets, so no state slips in
                    killQueue.addAll(kill);
                    killQueueUpTo = Math.max(killQueueUpTo, killUpTo);
                    killWake.signal();
                } else if (conntrack == null) {
                    killDone = Math.max(killDone, killUpTo);
                }
                synced.signalAll();
            } finally {
                pendingLock.unlock();
            }
        }
    }

    /**
     * Deletes banned sources' conntrack states, on its own thread: a kill
     * walks the kernel's conntrack table (tens of milliseconds on a busy
     * host), and the next ban's set push must not wait behind it.
     */
    private void killLoop() {
        while (!closed) {
            Set<IpPrefix> kill;
            long upTo;
            pendingLock.lock();
            try {
                while (killQueue.isEmpty() && !closed) {
                    try {
                        killWake.awaitNanos(1_000_000_000L);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                kill = new LinkedHashSet<>(killQueue);
                killQueue.clear();
                upTo = killQueueUpTo;
            } finally {
                pendingLock.unlock();
            }
            try {
                int n;
                conntrackLock.lock();
                try {
                    n = conntrack.kill(kill, Conntrack.Match.SOURCE);
                } finally {
                    conntrackLock.unlock();
                }
                if (n > 0) log.info("killed {} states of {} banned sources", n, kill.size());
            } catch (RuntimeException | dev.palisade.kernel.netlink.ErrnoException e) {
                log.error("killing the states of {} banned sources failed: {}", kill.size(), e.toString());
            }
            pendingLock.lock();
            try {
                killDone = Math.max(killDone, upTo);
                synced.signalAll();
            } finally {
                pendingLock.unlock();
            }
        }
    }

    // ---- wanted elements -------------------------------------------------------------------

    /** The elements {@code table} should have in the kernel: prefix -> absolute expiry ms (0: none), both families. */
    private Map<IpPrefix, Long> wanted(String table, boolean kernelTimeouts) {
        List<TableEntry> entries = tables.read(s -> {
            AddressTable t = s.table(table);
            List<TableEntry> l = new ArrayList<>(t == null ? 0 : t.size());
            if (t != null) t.forEachEntry(l::add);
            return l;
        });
        Map<IpPrefix, Long> out = new LinkedHashMap<>();
        boolean negated = entries.stream().anyMatch(TableEntry::negated);
        if (negated) negatedTables.add(table);
        else negatedTables.remove(table);
        if (negated) {
            // XXX tables with negated entries are loaded without kernel timeouts: expiry comes from the daemon's sweep
            List<Decl.TableEntry> l = entries.stream().map(e -> new Decl.TableEntry(e.negated(), e.prefix())).toList();
            for (IpPrefix p : EffectiveIntervals.effectiveIntervals(l)) out.put(p, 0L);
            return out;
        }
        List<SetElement> els = new ArrayList<>(entries.size());
        for (TableEntry e : entries) {
            els.add(new SetElement(e.prefix(), kernelTimeouts && e.expires() != 0 ? e.expires() * 1000 : 0, 0));
        }
        for (SetElement e : SetDiff.covering(els)) out.put(e.prefix(), e.timeoutMillis());
        return out;
    }

    private static List<SetElement> asElements(Map<IpPrefix, Long> want, boolean v6, long nowMs) {
        List<SetElement> out = new ArrayList<>();
        for (var e : want.entrySet()) {
            if (e.getKey().v6() != v6) continue;
            long exp = e.getValue();
            if (exp != 0 && exp <= nowMs) continue;
            out.add(new SetElement(e.getKey(), exp == 0 ? 0 : exp - nowMs, 0));
        }
        return out;
    }

    // ---- pushing ---------------------------------------------------------------------------

    /** Brings the kernel sets of {@code table} to the durable table by the mirror diff (full reconcile on error). */
    private void push(String table) throws dev.palisade.kernel.netlink.ErrnoException {
        if (sets == null) return;
        kernelLock.lock();
        try {
            List<NftSet> ks = kernelSets.get(table);
            if (ks == null) return; // no rule uses this table: nothing in the kernel
            Map<IpPrefix, Long> want = wanted(table, ks.get(0).timeout());
            pushes.incrementAndGet(0);
            long now = clock.millis();
            for (NftSet set : ks) {
                Map<IpPrefix, Long> have = mirror.computeIfAbsent(set.name(), k -> new HashMap<>());
                List<IpPrefix> del = new ArrayList<>();
                List<SetElement> add = new ArrayList<>();
                Map<IpPrefix, Long> next = new HashMap<>();
                for (var w : want.entrySet()) {
                    IpPrefix p = w.getKey();
                    if (p.v6() != set.v6()) continue;
                    long exp = w.getValue();
                    if (exp != 0 && exp <= now) continue;
                    Long h = have.get(p);
                    next.put(p, exp);
                    if (h != null && h == exp) continue;
                    if (h != null && (h == 0 || h > now)) del.add(p);
                    add.add(new SetElement(p, exp == 0 ? 0 : exp - now, 0));
                }
                for (var h : have.entrySet()) {
                    if (next.containsKey(h.getKey())) continue;
                    long exp = h.getValue();
                    if (exp != 0 && exp <= now) continue; // the kernel's own timeout removed it
                    del.add(h.getKey());
                }
                if (del.isEmpty() && add.isEmpty()) continue;
                try {
                    sets.apply(set, del, add);
                    mirror.put(set.name(), next);
                } catch (dev.palisade.kernel.netlink.ErrnoException e) {
                    log.warn("{}: {}; reconciling the set from a listing", set.name(), e.getMessage());
                    reconcile(set, want);
                }
            }
        } finally {
            kernelLock.unlock();
        }
    }

    /**
     * Pushes {@code changes} (non-negated adds, host deletes) to the sets of
     * {@code table} by a diff against the mirror alone. False when the table
     * needs the full recompute instead (negated entries, a set never pushed,
     * a netlink error such as an overlap the kernel refuses); then nothing of
     * the mirror has changed for the set that failed.
     */
    private boolean pushIncrement(String table, List<Mutation> changes) {
        if (sets == null) return true;
        kernelLock.lock();
        try {
            List<NftSet> ks = kernelSets.get(table);
            if (ks == null) return true; // no rule uses this table: nothing in the kernel
            if (negatedTables.contains(table)) return false;
            boolean timeouts = ks.get(0).timeout();
            long now = clock.millis();
            for (NftSet set : ks) {
                Map<IpPrefix, Long> have = mirror.get(set.name());
                if (have == null) return false;
                Map<IpPrefix, Long> next = new HashMap<>(); // prefix -> expiry, or null for deleted
                List<IpPrefix> del = new ArrayList<>();
                List<SetElement> add = new ArrayList<>();
                for (Mutation m : changes) {
                    if (m instanceof Mutation.Add a && a.prefix().v6() == set.v6()) {
                        long exp = timeouts && a.expires() != 0 ? a.expires() * 1000 : 0;
                        if (exp != 0 && exp <= now) continue;
                        next.put(a.prefix(), exp);
                    } else if (m instanceof Mutation.Delete d && d.prefix().v6() == set.v6()) {
                        next.put(d.prefix(), null);
                    }
                }
                for (var e : next.entrySet()) {
                    IpPrefix p = e.getKey();
                    Long h = have.get(p);
                    boolean live = h != null && (h == 0 || h > now);
                    Long exp = e.getValue();
                    if (exp == null) {
                        if (live) del.add(p);
                        continue;
                    }
                    if (h != null && h.longValue() == exp) continue;
                    if (live) del.add(p); // a new lifetime: replace the element
                    add.add(new SetElement(p, exp == 0 ? 0 : exp - now, 0));
                }
                if (del.isEmpty() && add.isEmpty()) continue;
                try {
                    sets.apply(set, del, add);
                    pushes.incrementAndGet(1); // counted when sent: a change the fast path made already sends nothing
                } catch (dev.palisade.kernel.netlink.ErrnoException | RuntimeException e) {
                    log.debug("{}: incremental push failed ({}); recomputing the table", set.name(), e.getMessage());
                    return false;
                }
                for (var e : next.entrySet()) {
                    if (e.getValue() == null) have.remove(e.getKey());
                    else have.put(e.getKey(), e.getValue());
                }
            }
            return true;
        } finally {
            kernelLock.unlock();
        }
    }

    /** Lists {@code set}, applies the computed diff to {@code want} in one transaction, resets the mirror. */
    private SetDiff reconcile(NftSet set, Map<IpPrefix, Long> want) throws dev.palisade.kernel.netlink.ErrnoException {
        long now = clock.millis();
        List<SetElement> listed = sets.list(set);
        SetDiff d = SetDiff.compute(listed, asElements(want, set.v6(), now), 2000);
        if (!d.isEmpty()) sets.apply(set, d.delete(), d.add());
        Map<IpPrefix, Long> m = new HashMap<>();
        for (var e : want.entrySet()) {
            if (e.getKey().v6() == set.v6() && (e.getValue() == 0 || e.getValue() > now)) m.put(e.getKey(), e.getValue());
        }
        mirror.put(set.name(), m);
        return d;
    }

    // ---- loading ---------------------------------------------------------------------------

    /**
     * Puts the ruleset's inline and file addresses into the durable tables
     * (Origin.Ruleset / Origin.File), replacing those a previous ruleset put
     * there; entries added at run time are left alone.
     */
    void loadRulesetTables(Prepared.Ok p) throws KernelException {
        record Want(IpPrefix prefix, boolean negated, Origin origin) {}
        Map<String, List<Want>> byTable = new LinkedHashMap<>();
        Map<String, TableFlags> flags = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        for (Decl.TableDef t : p.ruleset().tables()) {
            List<Want> l = byTable.computeIfAbsent(t.name(), k -> new ArrayList<>());
            flags.put(t.name(), new TableFlags(t.persist(), t.isConst(), t.counters()));
            for (Decl.TableNode n : t.nodes()) {
                switch (n) {
                    case Decl.TableNode.Entries es -> {
                        for (Decl.TableEntry e : es.entries()) l.add(new Want(e.prefix(), e.negated(), new Origin.Ruleset(p.source(), 0)));
                    }
                    case Decl.TableNode.File f -> readAddressFile(f.path(), l, errors,
                            (prefix, neg) -> new Want(prefix, neg, new Origin.File(f.path())));
                }
            }
        }
        if (!errors.isEmpty()) throw new KernelException(errors);
        tables.write(s -> {
            long now = s.now();
            for (var e : byTable.entrySet()) {
                String name = e.getKey();
                AddressTable t = s.table(name);
                if (t == null) {
                    s.create(name, flags.get(name));
                    t = s.table(name);
                }
                Set<IpPrefix> keep = new HashSet<>();
                for (Want w : e.getValue()) keep.add(TableSet.canonical(w.prefix()));
                List<IpPrefix> stale = new ArrayList<>();
                t.forEachEntry(te -> {
                    if ((te.origin() instanceof Origin.Ruleset || te.origin() instanceof Origin.File)
                            && !keep.contains(te.prefix())) stale.add(te.prefix());
                });
                for (IpPrefix x : stale) s.apply(new Mutation.Delete(name, x), now);
                for (Want w : e.getValue()) {
                    IpPrefix c = TableSet.canonical(w.prefix());
                    TableEntry cur = t.entry(c);
                    if (cur != null && cur.negated() == w.negated() && cur.expires() == 0) continue;
                    Mutation.Add m = new Mutation.Add(name, c, w.negated(), now, 0, w.origin());
                    s.apply(m, now);
                }
            }
            s.finishReplay();
            return null;
        });
        // XXX the entries above bypass TableSet's journal (apply() does not journal): they are re-read from pf.conf
        // at every start, which is what pf does with a table's file; the kernel sees them through install().
    }

    private static <W> void readAddressFile(String path, List<W> out, List<String> errors,
                                            java.util.function.BiFunction<IpPrefix, Boolean, W> mk) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(path), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            errors.add(path + ": cannot read the table file: " + e.getMessage());
            return;
        }
        int ln = 0;
        for (String raw : lines) {
            ln++;
            String s = raw;
            int h = s.indexOf('#');
            if (h >= 0) s = s.substring(0, h);
            for (String tok : s.trim().split("\\s+")) {
                if (tok.isEmpty()) continue;
                boolean neg = tok.startsWith("!");
                String a = neg ? tok.substring(1) : tok;
                try {
                    out.add(mk.apply(IpPrefix.parse(a), neg));
                } catch (IllegalArgumentException e) {
                    errors.add(path + ":" + ln + ": \"" + tok + "\" is not an address or prefix: " + e.getMessage());
                }
            }
        }
    }

    private static final Pattern ELEMENTS = Pattern.compile("(set (\\S+) \\{[^\\n]*?)elements = \\{[^}]*\\}; ");

    /** The program with every table set's elements taken from the durable table (the compiler's inline ones removed). */
    String withElements(NftProgram prog) {
        return withElements(prog, Map.of());
    }

    /** As {@link #withElements(NftProgram)}, with the {@code (if)} sets filled from {@code dyn} (set name -> prefixes). */
    String withElements(NftProgram prog, Map<String, Set<IpPrefix>> dyn) {
        Set<String> ours = new HashSet<>();
        for (NftProgram.TableSets ts : prog.tableSets().values()) {
            ours.add(ts.v4());
            ours.add(ts.v6());
        }
        Matcher m = ELEMENTS.matcher(prog.text());
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(ours.contains(m.group(2)) ? m.group(1) : m.group()));
        }
        m.appendTail(sb);
        long now = clock.millis();
        for (var e : prog.tableSets().entrySet()) {
            Map<IpPrefix, Long> want = wanted(e.getKey(), true);
            appendElements(sb, e.getValue().v4(), asElements(want, false, now));
            appendElements(sb, e.getValue().v6(), asElements(want, true, now));
        }
        for (var e : dyn.entrySet()) {
            List<SetElement> els = new ArrayList<>();
            for (IpPrefix p : e.getValue()) els.add(new SetElement(p, 0, 0));
            appendElements(sb, e.getKey(), els);
        }
        return sb.toString();
    }

    private static void appendElements(StringBuilder sb, String set, List<SetElement> els) {
        for (int i = 0; i < els.size(); i += 4096) {
            sb.append("add element inet ").append(TABLE).append(' ').append(set).append(" { ");
            List<SetElement> chunk = els.subList(i, Math.min(els.size(), i + 4096));
            for (int j = 0; j < chunk.size(); j++) {
                SetElement e = chunk.get(j);
                if (j > 0) sb.append(", ");
                IpPrefix p = e.prefix();
                sb.append(p.length() == (p.v6() ? 128 : 32) ? p.address().toString() : p.toString());
                if (e.timeoutMillis() > 0) sb.append(" timeout ").append(Math.max(1, e.timeoutMillis())).append("ms");
            }
            sb.append(" }\n");
        }
    }

    /**
     * Makes {@code p} the ruleset: its tables into the durable tables, then (with
     * a kernel) one {@code nft -f} transaction with every set already full, then a
     * reconcile of every set by a listing and a computed diff. On any error
     * nothing changes in the kernel and the previous ruleset stays.
     */
    public void install(Prepared.Ok p) throws KernelException {
        loadRulesetTables(p);
        if (sets == null || p.program() == null) {
            current = p;
            return;
        }
        kernelLock.lock();
        try {
            harvestOverloads(p, false); // the load empties the overload sets: what they hold goes to the tables first
            Map<String, Set<IpPrefix>> dyn = dynamicWanted(p.program());
            String text = TableReplacement.inPlace(withElements(p.program(), dyn), TABLE, listing());
            try {
                runner.load(text);
            } catch (NftException e) {
                List<String> l = new ArrayList<>();
                l.add(p.source() + ": the kernel refused the compiled ruleset; nothing was changed: " + e.getMessage());
                if (e.nftOutput() != null) e.nftOutput().lines().forEach(l::add);
                throw new KernelException(l);
            } catch (IOException e) {
                throw new KernelException(List.of(p.source() + ": cannot run nft: " + e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KernelException(List.of(p.source() + ": interrupted while loading"));
            }
            installXt(p.program());
            kernelSets.clear();
            mirror.clear();
            dynMirror.clear();
            dynMirror.putAll(dyn);
            int changed = 0, total = 0;
            for (var e : p.program().tableSets().entrySet()) {
                List<NftSet> l = new ArrayList<>(2);
                try {
                    l.add(sets.getSet(NftSet.NFPROTO_INET, TABLE, e.getValue().v4()));
                    l.add(sets.getSet(NftSet.NFPROTO_INET, TABLE, e.getValue().v6()));
                    kernelSets.put(e.getKey(), l);
                    Map<IpPrefix, Long> want = wanted(e.getKey(), l.get(0).timeout());
                    for (NftSet s : l) {
                        SetDiff d = reconcile(s, want);
                        changed += d.add().size() + d.delete().size();
                        total += d.unchanged() + d.add().size();
                    }
                } catch (dev.palisade.kernel.netlink.ErrnoException ex) {
                    log.error("table <{}>: cannot reconcile its kernel sets: {}", e.getKey(), ex.getMessage());
                }
            }
            current = p;
            enabled = true;
            log.info("{}: ruleset loaded into inet {} ({} tables, {} set elements, {} changed by the reconcile)",
                    p.source(), TABLE, kernelSets.size(), total, changed);
        } finally {
            kernelLock.unlock();
        }
    }

    // ---- (if) dynamic addresses ------------------------------------------------------------

    /**
     * What each {@code (if)} set of {@code prog} holds with the interfaces' addresses now
     * (the evaluator's reading of pf's {@code (if)}); empty sets when rtnetlink cannot be read.
     */
    private Map<String, Set<IpPrefix>> dynamicWanted(NftProgram prog) {
        Map<String, Set<IpPrefix>> out = new LinkedHashMap<>();
        if (prog.dynamicSets().isEmpty()) return out;
        HostProfile host = addressProfile();
        for (NftProgram.DynamicSet d : prog.dynamicSets().values()) {
            Set<IpPrefix> v4 = new LinkedHashSet<>(), v6 = new LinkedHashSet<>();
            if (host != null) {
                for (IpPrefix x : Evaluator.dynamicAddresses(d.address(), host)) (x.v6() ? v6 : v4).add(x);
            }
            out.put(d.v4(), v4);
            out.put(d.v6(), v6);
        }
        return out;
    }

    /** The interfaces and addresses from rtnetlink, with the host's interface groups; null on error. */
    private HostProfile addressProfile() {
        RtAddresses r = ifaddrs;
        if (r == null) return null;
        try {
            Map<String, List<String>> groups = netns == null ? LinuxHostProfile.load().groups() : Map.of();
            return new HostProfile(r.interfaces(), groups, Map.of(), Map.of(), n -> List.of());
        } catch (dev.palisade.kernel.netlink.ErrnoException | RuntimeException e) {
            log.error("cannot read the interfaces' addresses: {}", e.getMessage());
            return null;
        }
    }

    /**
     * The address-change hook (rtnetlink watch thread): brings every {@code (if)} set to the
     * interfaces' addresses now, all sets in one netlink transaction; a failed transaction
     * falls back to a diff against a listing of each set.
     */
    void refreshDynamic() {
        Prepared.Ok p = current;
        if (sets == null || p == null || p.program() == null || p.program().dynamicSets().isEmpty()) return;
        kernelLock.lock();
        try {
            if (!enabled || current != p) return; // an install in between filled the sets itself
            Map<String, Set<IpPrefix>> want = dynamicWanted(p.program());
            List<NftSets.Change> changes = new ArrayList<>();
            for (var e : want.entrySet()) {
                Set<IpPrefix> have = dynMirror.getOrDefault(e.getKey(), Set.of());
                if (have.equals(e.getValue())) continue;
                List<IpPrefix> del = have.stream().filter(x -> !e.getValue().contains(x)).toList();
                List<SetElement> add = e.getValue().stream().filter(x -> !have.contains(x))
                        .map(x -> new SetElement(x, 0, 0)).toList();
                changes.add(new NftSets.Change(sets.getSet(NftSet.NFPROTO_INET, TABLE, e.getKey()), del, add));
            }
            if (changes.isEmpty()) return;
            try {
                sets.applyAll(changes);
            } catch (dev.palisade.kernel.netlink.ErrnoException e) {
                log.warn("(if) sets: {}; reconciling them from a listing", e.getMessage());
                List<NftSets.Change> fixed = new ArrayList<>();
                for (NftSets.Change c : changes) {
                    List<SetElement> wantEls = want.get(c.set().name()).stream().map(x -> new SetElement(x, 0, 0)).toList();
                    SetDiff d = SetDiff.compute(sets.list(c.set()), wantEls, 2000);
                    if (!d.isEmpty()) fixed.add(new NftSets.Change(c.set(), d.delete(), d.add()));
                }
                sets.applyAll(fixed);
            }
            dynMirror.putAll(want);
            log.info("interface addresses changed: {} (if) sets updated", changes.size());
        } catch (dev.palisade.kernel.netlink.ErrnoException | RuntimeException e) {
            log.error("cannot update the (if) address sets: {}", e.getMessage());
        } finally {
            kernelLock.unlock();
        }
    }

    // ---- overload: the packet path's additions into the durable tables -------------------------

    private void overloadLoop() {
        while (!closed) {
            java.util.concurrent.locks.LockSupport.parkNanos(OVERLOAD_POLL_MILLIS * 1_000_000);
            if (closed) return;
            Prepared.Ok p = current;
            if (p == null || p.program() == null || !enabled) continue;
            kernelLock.lock();
            try {
                if (p == current && enabled) harvestOverloads(p, true);
            } finally {
                kernelLock.unlock();
            }
        }
    }

    /**
     * Copies what the packet path added to the overload sets ({@code t_NAME_ov_v4/_v6}) into the
     * durable tables (origin {@link Origin.Overload} with the rule), queues a state kill for the
     * sources of rules with {@code flush}, then (with {@code move}, once the durable entry is in
     * the table's own kernel set) deletes them from the overload set, so that {@code pfctl -T delete}
     * and expiry govern them from then on. Caller holds kernelLock. Sets absent from the kernel
     * (first start) are skipped.
     */
    private int harvestOverloads(Prepared.Ok p, boolean move) {
        int found = 0;
        for (var e : p.program().tableSets().entrySet()) {
            NftProgram.TableSets ts = e.getValue();
            if (ts.overloadV4() == null) continue;
            String table = e.getKey();
            List<FilterRule> rules = p.ruleset().rules().stream()
                    .filter(r -> table.equals(r.stateOptions().overload())).toList();
            if (rules.isEmpty()) continue;
            boolean flush = rules.stream().anyMatch(r -> r.stateOptions().flush() != StateOptions.Flush.NONE);
            String origin = rules.size() == 1 ? "@" + rules.getFirst().number() + " " + Printer.rule(rules.getFirst(), 0)
                    : "@" + String.join(",", rules.stream().map(r -> Integer.toString(r.number())).toList())
                    + " " + Printer.rule(rules.getFirst(), 0) + " (or another of these rules)";
            for (String name : List.of(ts.overloadV4(), ts.overloadV6())) {
                NftSet set;
                List<SetElement> els;
                try {
                    set = sets.getSet(NftSet.NFPROTO_INET, TABLE, name);
                    els = sets.list(set);
                } catch (dev.palisade.kernel.netlink.ErrnoException ex) {
                    continue; // not loaded yet
                }
                if (els.isEmpty()) continue;
                List<IpPrefix> got = new ArrayList<>();
                for (SetElement el : els) {
                    IpPrefix src = el.prefix();
                    tables.add(table, src, null, new Origin.Overload(origin));
                    got.add(src);
                    if (flush) stateKiller().killStates(src.address());
                    log.info("overload <{}>: {} added by the packet path ({})", table, src, origin);
                }
                found += got.size();
                if (!move) continue;
                kernelLock.unlock(); // the sync thread pushes the new entries into the table's own sets
                try {
                    if (!awaitSynced(5000)) {
                        log.warn("overload <{}>: entries not yet in the table's kernel set; kept in {}", table, name);
                        continue;
                    }
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return found;
                } finally {
                    kernelLock.lock();
                }
                try {
                    sets.delete(set, got);
                } catch (dev.palisade.kernel.netlink.ErrnoException ex) {
                    log.warn("overload <{}>: cannot take the copied entries out of {}: {}", table, name, ex.getMessage());
                }
            }
        }
        return found;
    }

    private void installXt(NftProgram prog) {
        if (prog.xtDiverts().isEmpty()) return;
        try {
            new XtDivert(netns).install(prog.xtDiverts(), NftCompiler.DIVERT_MASK);
        } catch (Exception e) {
            log.error("cannot install the xt NFQUEUE divert rules: {}", e.getMessage());
        }
    }

    /**
     * The objects of {@code inet palisade} as the kernel holds them ({@code nft -t list table}, no
     * set elements), or null when there is no table. A listing that fails for another reason is
     * logged and taken as no table: the load then deletes and redefines the table.
     */
    private List<TableReplacement.Obj> listing() {
        try {
            return TableReplacement.parseListing(nftText("-t", "list", "table", "inet", TABLE));
        } catch (KernelException e) {
            String why = String.join(" ", e.lines());
            if (!why.contains("No such file or directory")) {
                log.warn("cannot list inet {} before the load ({}): the table is defined anew", TABLE, why);
            }
            return null;
        }
    }

    /** Re-reads and reloads {@code pfConf}; an error keeps the ruleset in force. Returns the error lines (empty: loaded). */
    public List<String> reload(Path pfConf) {
        Prepared pr = prepare(pfConf, sets != null, sets != null);
        if (pr instanceof Prepared.Failed f) return f.errors();
        try {
            install((Prepared.Ok) pr);
            return List.of();
        } catch (KernelException e) {
            return e.lines();
        }
    }

    // ---- pfctl operations ------------------------------------------------------------------

    /** {@code pfctl -k HOST}: kills the states HOST opened; returns how many. */
    public int killStates(List<IpPrefix> hosts) throws dev.palisade.kernel.netlink.ErrnoException {
        if (conntrack == null) throw new IllegalStateException("no kernel: " + unavailable);
        conntrackLock.lock();
        try {
            return conntrack.kill(hosts, Conntrack.Match.SOURCE);
        } finally {
            conntrackLock.unlock();
        }
    }

    /** The conntrack entries of one family that Palisade's stateful rules made (ct mark state bits). */
    public List<Conntrack.State> states(boolean v6) throws dev.palisade.kernel.netlink.ErrnoException {
        if (conntrack == null) throw new IllegalStateException("no kernel: " + unavailable);
        conntrackLock.lock();
        try {
            return conntrack.states(v6, NftCompiler.CT_IN | NftCompiler.CT_OUT);
        } finally {
            conntrackLock.unlock();
        }
    }

    /** The named counters: label -> {packets, bytes}, read from the kernel ({@code nft list counters}). */
    public Map<String, long[]> labelCounters() throws KernelException {
        Prepared.Ok p = current;
        Map<String, long[]> out = new LinkedHashMap<>();
        if (p == null || sets == null || p.program() == null) return out;
        String text = nftText("list", "counters", "table", "inet", TABLE);
        Pattern c = Pattern.compile("counter (\\S+) \\{[^}]*?packets (\\d+) bytes (\\d+)", Pattern.DOTALL);
        Map<String, long[]> byCounter = new HashMap<>();
        Matcher m = c.matcher(text);
        while (m.find()) byCounter.put(m.group(1), new long[]{Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
        for (var e : new java.util.TreeMap<>(p.program().labelCounters()).entrySet()) {
            out.put(e.getKey(), byCounter.getOrDefault(e.getValue(), new long[2]));
        }
        return out;
    }

    /** Each pf.conf line's {packets, bytes} from the rule lines' counters ({@link dev.palisade.kernel.compile.RuleCounters}). */
    public Map<String, long[]> ruleCounters() throws KernelException {
        Prepared.Ok p = current;
        if (p == null || sets == null || p.program() == null || !enabled) return Map.of();
        return dev.palisade.kernel.compile.RuleCounters.parse(nftText("list", "table", "inet", TABLE));
    }

    /** {@code nft list table inet palisade} (with handles and counters). */
    public String listRules() throws KernelException {
        if (sets == null) throw new KernelException(List.of("no kernel: " + unavailable));
        return nftText("list", "table", "inet", TABLE);
    }

    private String nftText(String... args) throws KernelException {
        List<String> cmd = new ArrayList<>();
        if (netns != null) cmd.addAll(List.of("ip", "netns", "exec", netns));
        cmd.add("nft");
        cmd.addAll(List.of(args));
        try {
            Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            pr.getOutputStream().close();
            String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!pr.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || pr.exitValue() != 0) {
                throw new KernelException(List.of(String.join(" ", cmd) + " failed: " + out.strip()));
            }
            return out;
        } catch (IOException e) {
            throw new KernelException(List.of(String.join(" ", cmd) + ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelException(List.of(String.join(" ", cmd) + ": interrupted"));
        }
    }

    /** {@code pfctl -d}: deletes the table program (and the xt divert chain); the tables stay in the daemon. */
    public void disable() throws KernelException {
        if (sets == null) throw new KernelException(List.of("no kernel: " + unavailable));
        kernelLock.lock();
        try {
            nftText("delete", "table", "inet", TABLE);
            try {
                new XtDivert(netns).remove();
            } catch (Exception e) {
                log.warn("cannot remove the xt divert chain: {}", e.getMessage());
            }
            kernelSets.clear();
            mirror.clear();
            dynMirror.clear();
            enabled = false;
            log.info("pf disabled: inet {} deleted", TABLE);
        } finally {
            kernelLock.unlock();
        }
    }

    /** {@code pfctl -e}: loads the ruleset in force again. */
    public void enable() throws KernelException {
        Prepared.Ok p = current;
        if (p == null) throw new KernelException(List.of("no ruleset loaded: use pfctl -f FILE"));
        install(p);
    }

    public boolean enabled() {
        return enabled;
    }

    /** Stops syncing. Nothing in the kernel is flushed: enforcement outlives the daemon. */
    @Override
    public void close() {
        closed = true;
        log.info("kernel pushes: {} full recomputes, {} incremental transactions, {} fast-path bans, {} fast-path attempts"
                + " declined with the kernel busy", pushes.get(0), pushes.get(1), pushes.get(2), pushes.get(3));
        for (Thread t : new Thread[] {syncThread, killThread}) {
            if (t == null) continue;
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RtAddresses r = ifaddrs;
        if (r != null) r.close();
        if (overloadThread != null) {
            java.util.concurrent.locks.LockSupport.unpark(overloadThread);
            try {
                overloadThread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        kernelLock.lock();
        try {
            if (sets != null) sets.close();
        } finally {
            kernelLock.unlock();
        }
        conntrackLock.lock();
        try {
            if (conntrack != null) conntrack.close();
        } finally {
            conntrackLock.unlock();
        }
    }

    /** Errors in pfctl's words, one per line; nothing was changed in the kernel. */
    public static final class KernelException extends Exception {
        private final List<String> lines;

        public KernelException(List<String> lines) {
            super(String.join("; ", lines));
            this.lines = List.copyOf(lines);
        }

        public List<String> lines() {
            return lines;
        }
    }

    static void forEachLine(String s, Consumer<String> c) {
        s.lines().forEach(c);
    }

    static IpAddress addr(String s) {
        return IpAddress.tryParse(s);
    }
}
