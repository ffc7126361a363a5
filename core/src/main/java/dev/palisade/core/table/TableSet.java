package dev.palisade.core.table;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * All named tables, and pfctl's table commands as pure functions of the
 * tables, the request and the clock.
 *
 * <p>Each command returns the exact lines pfctl prints ({@code 3/3 addresses
 * added.}, {@code A  1.1.1.1}, {@code 2 addresses added (dummy).}), following
 * pf's {@code pfr_add_addrs}/{@code pfr_set_addrs} feedback codes: {@code A}
 * added, {@code D} deleted, {@code C} changed (negation flipped by replace),
 * {@code X} conflict (the address is there with the other negation),
 * {@code Y} duplicate in the same request, {@code M} matched, blank for "no
 * change". Unlike pfctl, a bad address does not abort the command: each is
 * reported with its reason and the valid ones are still applied; the exit
 * status is then 1.
 *
 * <p>Every change goes to the {@link #journal} sink as a {@link Mutation}
 * (the durable store writes it), and {@link #apply} replays one. Not
 * thread-safe: the owner (palisaded) holds a lock around each call.
 */
public final class TableSet implements Tables {

    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

    private final TreeMap<String, AddressTable> tables = new TreeMap<>();
    private final Clock clock;
    private Allowlist allowlist;
    private Consumer<Mutation> journal = m -> {};

    public TableSet(Clock clock, Allowlist allowlist) {
        this.clock = clock;
        this.allowlist = allowlist;
    }

    public void setJournal(Consumer<Mutation> journal) {
        this.journal = journal == null ? m -> {} : journal;
    }

    public void setAllowlist(Allowlist allowlist) {
        this.allowlist = allowlist;
    }

    public Allowlist allowlist() {
        return allowlist;
    }

    public long now() {
        return clock.instant().getEpochSecond();
    }

    public AddressTable table(String name) {
        return tables.get(name);
    }

    /** The tables in pfctl's order (by name). */
    public Collection<AddressTable> tables() {
        return Collections.unmodifiableCollection(tables.values());
    }

    public int entryCount() {
        int n = 0;
        for (AddressTable t : tables.values()) n += t.size();
        return n;
    }

    // ---- replay ----------------------------------------------------------------------------

    /**
     * Replays one journaled change, without journaling it again. Entries
     * already expired at {@code now} are skipped: expiry survives restarts.
     */
    public void apply(Mutation m, long now) {
        switch (m) {
            case Mutation.Create c -> {
                AddressTable t = tables.get(c.table());
                if (t == null) tables.put(c.table(), new AddressTable(c.table(), c.flags(), c.time()));
                else t.setFlags(c.flags());
            }
            case Mutation.Kill k -> tables.remove(k.table());
            case Mutation.Add a -> {
                AddressTable t = tables.get(a.table());
                if (t == null) {
                    t = new AddressTable(a.table(), TableFlags.PERSIST, a.cleared());
                    tables.put(a.table(), t);
                }
                t.bulk = true;
                if (a.expires() != 0 && a.expires() <= now) {
                    t.remove(a.prefix());
                } else {
                    t.put(a.prefix(), a.negated(), a.cleared(), a.expires(), a.origin());
                }
            }
            case Mutation.Delete d -> {
                AddressTable t = tables.get(d.table());
                if (t != null) {
                    t.bulk = true;
                    t.remove(d.prefix());
                }
            }
            case Mutation.Flush f -> {
                AddressTable t = tables.get(f.table());
                if (t != null) t.clearEntries();
            }
            case Mutation.Zero z -> {
                AddressTable t = tables.get(z.table());
                if (t != null) t.zero(z.time());
            }
        }
    }

    /** Ends a replay: builds the lookup indexes deferred while {@link #apply} ran. Call before serving. */
    public void finishReplay() {
        for (AddressTable t : tables.values()) t.finishBulk();
    }

    // ---- expiry ----------------------------------------------------------------------------

    /** An entry removed by {@link #expire}. */
    public record Expired(String table, TableEntry entry) {}

    /**
     * Removes every entry whose expiry time is at or before {@code now}
     * (epoch seconds) and returns them. Tables with nothing due are not
     * walked. Expiry is not journaled: a replay skips expired entries.
     *
     * <p>XXX a table with many expiring entries is walked whenever its earliest
     * one is due; a per-table expiry heap would make this proportional to the
     * entries that expire.
     */
    public List<Expired> expire(long now) {
        List<Expired> out = new ArrayList<>();
        for (AddressTable t : tables.values()) {
            if (t.nextExpiry == 0 || t.nextExpiry > now) continue;
            List<TableEntry> due = new ArrayList<>();
            long[] next = {0};
            t.forEachNode((trie, n) -> {
                long e = n.expiresSeconds();
                if (e == 0) return;
                if (e <= now) due.add(AddressTable.toEntry(trie, n));
                else if (next[0] == 0 || e < next[0]) next[0] = e;
            });
            for (TableEntry e : due) {
                t.remove(e.prefix());
                out.add(new Expired(t.name(), e));
            }
            t.nextExpiry = next[0];
        }
        return out;
    }

    // ---- Tables (the services' interface) --------------------------------------------------

    /**
     * What {@link #add} would answer now, changing nothing: a refusal, or
     * {@link AddOutcome#ADDED} / {@link AddOutcome#REFRESHED}. For the kernel
     * side's fast path, which puts a ban into the kernel before its durable
     * write and must refuse exactly what the write will refuse.
     */
    public AddOutcome check(String table, IpPrefix prefix, Origin origin) {
        prefix = canonical(prefix);
        if (!(origin instanceof Origin.Manual) && allowlist.overlapping(prefix) != null) return AddOutcome.REFUSED_ALLOWLIST;
        AddressTable t = tables.get(table);
        if (t == null) return AddOutcome.NO_SUCH_TABLE;
        if (t.flags().constant()) return AddOutcome.REFUSED_CONST;
        return t.node(prefix) != null ? AddOutcome.REFRESHED : AddOutcome.ADDED;
    }

    /** An add's expiry as the journal records it: epoch seconds, 0 for never ({@code expires} null). */
    public static long expirySeconds(Instant expires) {
        return expires == null ? 0 : Math.max(1, expires.getEpochSecond());
    }

    @Override
    public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
        prefix = canonical(prefix);
        AddOutcome refused = check(table, prefix, origin);
        if (refused != AddOutcome.ADDED && refused != AddOutcome.REFRESHED) return refused;
        AddressTable t = tables.get(table);
        long now = now();
        long exp = expirySeconds(expires);
        PrefixTrie.Node old = t.node(prefix);
        long cleared = old != null ? old.clearedSeconds() : now;
        boolean added = t.put(prefix, false, cleared, exp, origin);
        journal.accept(new Mutation.Add(table, prefix, false, cleared, exp, origin));
        return added ? AddOutcome.ADDED : AddOutcome.REFRESHED;
    }

    @Override
    public boolean delete(String table, IpPrefix prefix) {
        prefix = canonical(prefix);
        AddressTable t = tables.get(table);
        if (t == null || t.flags().constant()) return false;
        if (!t.remove(prefix)) return false;
        journal.accept(new Mutation.Delete(table, prefix));
        return true;
    }

    @Override
    public int flush(String table) {
        AddressTable t = tables.get(table);
        if (t == null || t.flags().constant()) return 0;
        int n = t.size();
        t.clearEntries();
        journal.accept(new Mutation.Flush(table));
        return n;
    }

    @Override
    public boolean exists(String table) {
        return tables.containsKey(table);
    }

    @Override
    public boolean create(String table) {
        return create(table, TableFlags.NONE);
    }

    /** Creates a table with {@code flags}; true when created, false when it existed. */
    public boolean create(String table, TableFlags flags) {
        AddressTable.checkName(table);
        if (tables.containsKey(table)) return false;
        long now = now();
        tables.put(table, new AddressTable(table, flags, now));
        journal.accept(new Mutation.Create(table, flags, now));
        return true;
    }

    @Override
    public boolean matches(String table, IpAddress address) {
        AddressTable t = tables.get(table);
        return t != null && t.matches(address);
    }

    /** IPv4-mapped IPv6 prefixes ({@code ::ffff:a.b.c.d/96..128}) as IPv4. */
    public static IpPrefix canonical(IpPrefix p) {
        if (p.v6() && p.length() >= 96 && p.address().isV4Mapped()) {
            return new IpPrefix(p.address().unmapV4(), p.length() - 96);
        }
        return p;
    }

    // ---- pfctl commands --------------------------------------------------------------------

    /** A parsed address argument. */
    record Arg(String text, IpPrefix prefix, boolean negated) {
        String shown() {
            return (negated ? "!" : " ") + prefix;
        }
    }

    /**
     * Parses one address argument as pfctl's {@code -T} does: any number of
     * leading {@code !} (each one flips the negation), then an address,
     * optionally {@code /len}; pf's short IPv4 forms ({@code 10/8},
     * {@code 10.1/16}) too. Returns the error text for a bad one.
     */
    static Object parseArg(String s, boolean test) {
        int i = 0;
        boolean not = false;
        while (i < s.length() && s.charAt(i) == '!') {
            not = !not;
            i++;
        }
        String rest = s.substring(i);
        IpPrefix p;
        try {
            p = IpPrefix.parse(rest);
        } catch (IllegalArgumentException e) {
            if (rest.indexOf('/') >= 0 && IpAddress.tryParse(rest.substring(0, rest.indexOf('/'))) != null) {
                return "\"" + s + "\": " + e.getMessage().replace(" in \"" + rest + "\"", "");
            }
            return "\"" + s + "\": not an address: expected an IPv4 or IPv6 address, optionally /prefix-length (host names are not resolved)";
        }
        p = canonical(p);
        if (test && (not || !p.isHost())) {
            return "\"" + s + "\": illegal test address: expected a single address, without ! or /prefix-length";
        }
        return new Arg(s, p, not);
    }

    /** Runs add, delete, replace, test, zero, flush, expire or kill. {@code show} is {@link #show}. */
    public CommandResult run(TableCommand cmd) {
        Out o = new Out(cmd);
        try {
            AddressTable.checkName(cmd.table());
        } catch (IllegalArgumentException e) {
            o.err("pfctl: " + e.getMessage());
            return o.result(1);
        }
        switch (cmd.op()) {
            case ADD -> add(cmd, o);
            case DELETE -> delete(cmd, o);
            case REPLACE -> replace(cmd, o);
            case TEST -> test(cmd, o);
            case ZERO -> zero(cmd, o);
            case FLUSH -> flushCmd(cmd, o);
            case EXPIRE -> expireCmd(cmd, o);
            case KILL -> kill(cmd, o);
            case SHOW -> {
                int rc = show(cmd.table(), cmd.verbose(), o.out::add, o.err::add);
                return o.result(rc);
            }
        }
        return o.result(o.exit);
    }

    /** Collects output; mirrors pfctl's xprintf (quiet, dummy suffix). */
    private static final class Out {
        final TableCommand cmd;
        final List<String> out = new ArrayList<>();
        final List<String> err = new ArrayList<>();
        int exit;

        Out(TableCommand cmd) {
            this.cmd = cmd;
        }

        void say(String msg) {
            if (!cmd.quiet()) err.add(msg + (cmd.dummy() ? " (dummy)." : "."));
        }

        void err(String msg) {
            err.add(msg);
        }

        void feedback(char code, boolean negated, IpPrefix p) {
            out.add(code + " " + (negated ? '!' : ' ') + p);
        }

        CommandResult result(int rc) {
            return new CommandResult(out, err, rc);
        }
    }

    private List<Arg> parseArgs(TableCommand cmd, Out o, boolean test) {
        List<Arg> args = new ArrayList<>(cmd.args().size());
        for (String s : cmd.args()) {
            Object r = parseArg(s, test);
            if (r instanceof Arg a) {
                args.add(a);
            } else {
                o.err("pfctl: " + r);
                o.exit = 1;
            }
        }
        return args;
    }

    private AddressTable existing(TableCommand cmd, Out o) {
        AddressTable t = tables.get(cmd.table());
        if (t == null) {
            o.err("pfctl: Table does not exist: " + cmd.table());
            o.exit = 1;
        }
        return t;
    }

    private boolean writable(AddressTable t, Out o) {
        if (t.flags().constant()) {
            o.err("pfctl: table <" + t.name() + "> is const: Operation not permitted");
            o.exit = 1;
            return false;
        }
        return true;
    }

    /** pfctl's CREATE_TABLE: add and replace create a missing table (persist). False when done (dummy). */
    private AddressTable createForWrite(TableCommand cmd, Out o) {
        AddressTable t = tables.get(cmd.table());
        if (t != null) return t;
        o.say("1 table created");
        if (cmd.dummy()) return null;
        create(cmd.table(), TableFlags.PERSIST);
        return tables.get(cmd.table());
    }

    private void warnAllowlisted(Arg a, Out o) {
        if (a.negated()) return;
        Allowlist.Allowed al = allowlist.overlapping(a.prefix());
        if (al != null) {
            o.err("pfctl: warning: " + a.prefix() + " is on the allowlist (" + al.reason() + " " + al.prefix() + "); added anyway");
        }
    }

    private void add(TableCommand cmd, Out o) {
        List<Arg> args = parseArgs(cmd, o, false);
        AddressTable t = createForWrite(cmd, o);
        if (t == null) return;
        if (!writable(t, o)) return;
        long now = now();
        Set<IpPrefix> seen = new HashSet<>();
        char[] fb = new char[args.size()];
        int nadd = 0;
        for (int i = 0; i < args.size(); i++) {
            Arg a = args.get(i);
            PrefixTrie.Node n = t.node(a.prefix());
            if (!seen.add(a.prefix())) {
                fb[i] = 'Y';
            } else if (n == null) {
                fb[i] = 'A';
                nadd++;
                if (!cmd.dummy()) {
                    warnAllowlisted(a, o);
                    t.put(a.prefix(), a.negated(), now, 0, cmd.origin());
                    journal.accept(new Mutation.Add(t.name(), a.prefix(), a.negated(), now, 0, cmd.origin()));
                }
            } else if (n.negated != a.negated()) {
                fb[i] = 'X';
            } else {
                fb[i] = ' ';
            }
        }
        o.say(nadd + "/" + args.size() + " addresses added");
        printFeedback(cmd, o, args, fb);
    }

    private static void printFeedback(TableCommand cmd, Out o, List<Arg> args, char[] fb) {
        if (cmd.verbose() == 0) return;
        for (int i = 0; i < args.size(); i++) {
            if (cmd.verbose() >= 2 || fb[i] != ' ') o.feedback(fb[i], args.get(i).negated(), args.get(i).prefix());
        }
    }

    private void delete(TableCommand cmd, Out o) {
        List<Arg> args = parseArgs(cmd, o, false);
        AddressTable t = existing(cmd, o);
        if (t == null || !writable(t, o)) return;
        Set<IpPrefix> seen = new HashSet<>();
        char[] fb = new char[args.size()];
        int ndel = 0;
        for (int i = 0; i < args.size(); i++) {
            Arg a = args.get(i);
            PrefixTrie.Node n = t.node(a.prefix());
            if (n == null && !seen.contains(a.prefix())) {
                fb[i] = ' ';
            } else if (!seen.add(a.prefix())) {
                fb[i] = 'Y';
            } else if (n.negated != a.negated()) {
                fb[i] = 'X';
            } else {
                fb[i] = 'D';
                ndel++;
            }
        }
        if (!cmd.dummy()) {
            for (int i = 0; i < args.size(); i++) {
                if (fb[i] == 'D') {
                    t.remove(args.get(i).prefix());
                    journal.accept(new Mutation.Delete(t.name(), args.get(i).prefix()));
                }
            }
        }
        o.say(ndel + "/" + args.size() + " addresses deleted");
        printFeedback(cmd, o, args, fb);
    }

    private void replace(TableCommand cmd, Out o) {
        List<Arg> args = parseArgs(cmd, o, false);
        AddressTable t = createForWrite(cmd, o);
        if (t == null) return;
        if (!writable(t, o)) return;
        long now = now();
        Set<IpPrefix> seen = new HashSet<>();
        List<Arg> fbArgs = new ArrayList<>(args);
        List<Character> fbl = new ArrayList<>();
        int nadd = 0, nchange = 0;
        for (Arg a : args) {
            PrefixTrie.Node n = t.node(a.prefix());
            if (!seen.add(a.prefix())) fbl.add('Y');
            else if (n == null) { fbl.add('A'); nadd++; }
            else if (n.negated != a.negated()) { fbl.add('C'); nchange++; }
            else fbl.add(' ');
        }
        List<TableEntry> gone = new ArrayList<>();
        t.forEachEntry(e -> {
            if (!seen.contains(e.prefix())) gone.add(e);
        });
        for (TableEntry e : gone) {
            fbArgs.add(new Arg(e.text(), e.prefix(), e.negated()));
            fbl.add('D');
        }
        if (!cmd.dummy()) {
            for (int i = 0; i < args.size(); i++) {
                char c = fbl.get(i);
                Arg a = args.get(i);
                if (c == 'A' || c == 'C') {
                    if (c == 'A') warnAllowlisted(a, o);
                    PrefixTrie.Node old = t.node(a.prefix());
                    long cleared = old == null ? now : old.clearedSeconds();
                    Origin origin = old == null ? cmd.origin() : old.origin;
                    t.put(a.prefix(), a.negated(), cleared, 0, origin);
                    journal.accept(new Mutation.Add(t.name(), a.prefix(), a.negated(), cleared, 0, origin));
                }
            }
            for (TableEntry e : gone) {
                t.remove(e.prefix());
                journal.accept(new Mutation.Delete(t.name(), e.prefix()));
            }
        }
        if (nadd > 0) o.say(nadd + " addresses added");
        if (!gone.isEmpty()) o.say(gone.size() + " addresses deleted");
        if (nchange > 0) o.say(nchange + " addresses changed");
        if (nadd == 0 && gone.isEmpty() && nchange == 0) o.say("no changes");
        char[] fb = new char[fbl.size()];
        for (int i = 0; i < fb.length; i++) fb[i] = fbl.get(i);
        printFeedback(cmd, o, fbArgs, fb);
    }

    private void test(TableCommand cmd, Out o) {
        List<Arg> args = parseArgs(cmd, o, true);
        AddressTable t = existing(cmd, o);
        if (t == null) return;
        int nmatch = 0;
        List<String> lines = new ArrayList<>();
        for (Arg a : args) {
            PrefixTrie.Node n = t.longestNode(a.prefix().address());
            boolean m = n != null && !n.negated;
            if (m) nmatch++;
            if (cmd.verbose() == 1 && m) {
                lines.add("M  " + a.prefix());
            } else if (cmd.verbose() >= 2) {
                if (n == null) {
                    lines.add("   " + a.prefix() + "\t nomatch");
                } else {
                    PrefixTrie trie = a.prefix().v6() ? t.v6 : t.v4;
                    StringBuilder sb = new StringBuilder().append(m ? 'M' : ' ').append("  ").append(a.prefix())
                            .append('\t').append(n.negated ? '!' : ' ');
                    trie.appendPrefix(sb, n);
                    lines.add(sb.toString());
                }
            }
        }
        if (!cmd.quiet()) o.err.add(nmatch + "/" + args.size() + " addresses match.");
        o.out.addAll(lines);
        if (o.exit == 0 && nmatch < args.size()) o.exit = 2;
    }

    private void zero(TableCommand cmd, Out o) {
        AddressTable t = existing(cmd, o);
        if (t == null) return;
        long now = now();
        if (cmd.args().isEmpty()) {
            if (!cmd.dummy()) {
                t.zero(now);
                journal.accept(new Mutation.Zero(t.name(), now));
            }
            o.say("1 table/stats cleared");
            return;
        }
        List<Arg> args = parseArgs(cmd, o, false);
        char[] fb = new char[args.size()];
        int nzero = 0;
        for (int i = 0; i < args.size(); i++) {
            Arg a = args.get(i);
            PrefixTrie.Node n = t.node(a.prefix());
            if (n == null || n.negated != a.negated()) {
                fb[i] = ' ';
                continue;
            }
            fb[i] = 'Z';
            nzero++;
            if (!cmd.dummy()) {
                n.cleared = (int) now;
                if (n.counters != null) java.util.Arrays.fill(n.counters, 0);
                journal.accept(new Mutation.Add(t.name(), a.prefix(), n.negated, now, n.expiresSeconds(), n.origin));
            }
        }
        o.say(nzero + "/" + args.size() + " stats cleared");
        printFeedback(cmd, o, args, fb);
    }

    private void flushCmd(TableCommand cmd, Out o) {
        AddressTable t = existing(cmd, o);
        if (t == null || !writable(t, o)) return;
        int n = t.size();
        if (!cmd.dummy()) {
            t.clearEntries();
            journal.accept(new Mutation.Flush(t.name()));
        }
        o.say(n + " addresses deleted");
    }

    private void expireCmd(TableCommand cmd, Out o) {
        if (cmd.args().size() != 1) {
            o.err("pfctl: -T expire needs exactly one argument, the age in seconds, got " + cmd.args().size());
            o.exit = 1;
            return;
        }
        long age;
        String s = cmd.args().get(0);
        try {
            age = Long.parseLong(s);
            if (age < 0 || age > 0xffffffffL) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            o.err("pfctl: expiry time: \"" + s + "\" is not a number of seconds from 0 to 4294967295");
            o.exit = 1;
            return;
        }
        AddressTable t = existing(cmd, o);
        if (t == null || !writable(t, o)) return;
        long now = now();
        List<TableEntry> old = new ArrayList<>();
        t.forEachEntry(e -> {
            if (now - e.cleared() > age) old.add(e);
        });
        if (!cmd.dummy()) {
            for (TableEntry e : old) {
                t.remove(e.prefix());
                journal.accept(new Mutation.Delete(t.name(), e.prefix()));
            }
        }
        o.say(old.size() + "/" + old.size() + " addresses expired");
        if (cmd.verbose() > 0) {
            for (TableEntry e : old) o.feedback('D', e.negated(), e.prefix());
        }
    }

    private void kill(TableCommand cmd, Out o) {
        AddressTable t = tables.get(cmd.table());
        int n = 0;
        if (t != null) {
            if (!cmd.dummy()) {
                tables.remove(cmd.table());
                journal.accept(new Mutation.Kill(cmd.table()));
            }
            n = 1;
        }
        o.say(n + " tables deleted");
    }

    // ---- show ------------------------------------------------------------------------------

    /** ctime(3)'s text for an epoch second, in the clock's zone. */
    public String ctime(long epochSecond) {
        ZoneId z = clock.getZone();
        return CTIME.format(Instant.ofEpochSecond(epochSecond).atZone(z));
    }

    /**
     * {@code -T show}: streams one line per entry to {@code out} (with
     * {@code -v}: its cleared time, expiry and origin, and its counters when
     * the table has {@code counters}). Returns the exit status.
     */
    public int show(String table, int verbose, Consumer<String> out, Consumer<String> err) {
        AddressTable t = tables.get(table);
        if (t == null) {
            err.accept("pfctl: Table does not exist: " + table);
            return 1;
        }
        StringBuilder sb = new StringBuilder(64);
        t.forEachNode((trie, n) -> {
            sb.setLength(0);
            sb.append("  ").append(n.negated ? '!' : ' ');
            trie.appendPrefix(sb, n);
            out.accept(sb.toString());
            if (verbose > 0) {
                out.accept("\tCleared:     " + ctime(n.clearedSeconds()));
                if (n.expires != 0) out.accept("\tExpires:     " + ctime(n.expiresSeconds()));
                out.accept("\tOrigin:      " + n.origin.describe());
                if (n.counters != null) {
                    for (int dir = 0; dir < 2; dir++) {
                        for (int op = 0; op < EntryCounters.ENTRY_OPS; op++) {
                            out.accept(counterLine(EntryCounters.LABELS[dir][op], n.counters[dir * 3 + op], n.counters[6 + dir * 3 + op]));
                        }
                    }
                }
            }
        });
        return 0;
    }

    /**
     * Where a chunked {@code -T show} stands: the last entry shown (family and
     * key), or nothing yet; {@link #done()} once every entry was shown.
     */
    public static final class ShowCursor {
        private boolean v6;
        private long hi;
        private long lo;
        private int len = -1;
        private boolean done;

        /** Whether the show is complete. */
        public boolean done() {
            return done;
        }
    }

    /**
     * Shows up to {@code max} entries after {@code cursor} (as {@link #show},
     * same lines) and moves the cursor past them, so that a caller can hold
     * its read lock for one chunk at a time and stream the lines without it.
     * Entries added or removed between chunks may or may not be shown; every
     * entry present throughout is shown exactly once, in order. A table that
     * vanishes between chunks ends the show.
     */
    public int showChunk(String table, int verbose, ShowCursor cursor, int max, Consumer<String> out, Consumer<String> err) {
        StringBuilder sb = new StringBuilder(64);
        return walkChunk(table, cursor, max, (trie, n) -> showNode(trie, n, verbose, sb, out), err);
    }

    /**
     * {@link #showChunk} without {@code -v}, as ASCII bytes: each line as
     * {@link #show} prints it, after {@code out}'s prefix and before a newline,
     * appended to {@code out} (no String per line; the daemon's socket path).
     */
    public int showChunk(String table, ShowCursor cursor, int max, ShowLines out, Consumer<String> err) {
        return walkChunk(table, cursor, max, (trie, n) -> {
            byte[] b = out.lineSpace(3 + PrefixTrie.PREFIX_TEXT);
            int off = out.lineStart();
            b[off++] = ' ';
            b[off++] = ' ';
            b[off++] = (byte) (n.negated ? '!' : ' ');
            out.lineEnd(trie.appendPrefix(b, off, n));
        }, err);
    }

    private int walkChunk(String table, ShowCursor cursor, int max,
                          java.util.function.BiConsumer<PrefixTrie, PrefixTrie.Node> visit, Consumer<String> err) {
        if (max < 1) throw new IllegalArgumentException("chunk size must be at least 1, got " + max);
        AddressTable t = tables.get(table);
        if (t == null) {
            cursor.done = true;
            if (cursor.len >= 0 || cursor.v6) return 0;
            err.accept("pfctl: Table does not exist: " + table);
            return 1;
        }
        int[] left = {max};
        for (int fam = cursor.v6 ? 1 : 0; fam < 2; fam++) {
            PrefixTrie trie = fam == 0 ? t.v4 : t.v6;
            trie.forEachAfter(cursor.hi, cursor.lo, cursor.len, n -> {
                visit.accept(trie, n);
                cursor.hi = n.hi;
                cursor.lo = n.lo;
                cursor.len = n.len;
                return --left[0] > 0;
            });
            if (left[0] == 0) return 0;
            if (fam == 0) {
                cursor.v6 = true;
                cursor.len = -1;
                cursor.hi = 0;
                cursor.lo = 0;
            }
        }
        cursor.done = true;
        return 0;
    }

    private void showNode(PrefixTrie trie, PrefixTrie.Node n, int verbose, StringBuilder sb, Consumer<String> out) {
        sb.setLength(0);
        sb.append("  ").append(n.negated ? '!' : ' ');
        trie.appendPrefix(sb, n);
        out.accept(sb.toString());
        if (verbose > 0) {
            out.accept("\tCleared:     " + ctime(n.clearedSeconds()));
            if (n.expires != 0) out.accept("\tExpires:     " + ctime(n.expiresSeconds()));
            out.accept("\tOrigin:      " + n.origin.describe());
            if (n.counters != null) {
                for (int dir = 0; dir < 2; dir++) {
                    for (int op = 0; op < EntryCounters.ENTRY_OPS; op++) {
                        out.accept(counterLine(EntryCounters.LABELS[dir][op], n.counters[dir * 3 + op], n.counters[6 + dir * 3 + op]));
                    }
                }
            }
        }
    }

    private static String counterLine(String label, long packets, long bytes) {
        return String.format(Locale.ROOT, "\t%-12s [ Packets: %-18d Bytes: %-18d ]", label, packets, bytes);
    }

    /** {@code -s Tables}: names; with -v the flag characters; with -vv the counters block. */
    public void showTables(int verbose, Consumer<String> out) {
        for (AddressTable t : tables.values()) {
            out.accept(verbose > 0 ? t.flagChars() + "\t" + t.name() : t.name());
            if (verbose >= 2) {
                out.accept("\tAddresses:   " + t.size());
                out.accept("\tCleared:     " + ctime(t.cleared()));
                out.accept(String.format(Locale.ROOT, "\tReferences:  [ Anchors: %-18d Rules: %-18d ]", 0, t.referenced() ? 1 : 0));
                out.accept(String.format(Locale.ROOT, "\tEvaluations: [ NoMatch: %-18d Match: %-18d ]", t.nomatch, t.match));
                for (int dir = 0; dir < 2; dir++) {
                    for (int op = 0; op < EntryCounters.TABLE_OPS; op++) {
                        out.accept(counterLine(EntryCounters.LABELS[dir][op], t.packets[dir * 4 + op], t.bytes[dir * 4 + op]));
                    }
                }
            }
        }
    }

    // ---- why -------------------------------------------------------------------------------

    /** One table's answer for {@code palisade why}. */
    public record Why(String table, TableEntry entry, boolean matches) {}

    /** For each table, the entry that decides {@code a} (when any). */
    public List<Why> why(IpAddress a) {
        List<Why> out = new ArrayList<>();
        for (AddressTable t : tables.values()) {
            TableEntry e = t.longestEntry(a);
            if (e != null) out.add(new Why(t.name(), e, !e.negated()));
        }
        return out;
    }
}
