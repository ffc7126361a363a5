package dev.palisade.app.daemon;

import dev.palisade.app.control.ControlRequest;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.CommandResult;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableCommand;
import dev.palisade.core.table.ShowLines;
import dev.palisade.core.table.TableSet;
import dev.palisade.services.store.DurableTables;
import dev.palisade.services.store.TableStore;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * palisaded's core: the durable tables, the control socket and the expiry
 * clock. Services (diverters, listeners, pftabled) are added on top of
 * {@link #tables()} by issue 8's work.
 *
 * <p>Threads: one accept loop (a platform thread), one virtual thread per
 * control connection, one ticker that runs expiry at every whole second and
 * compacts the journal when it has grown. Changes are serialised by
 * {@link DurableTables}' lock and acknowledged only when durable.
 */
public final class Palisaded implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("palisaded");

    /**
     * What the daemon needs to start.
     *
     * @param allowHost put loopback and this host's own addresses on the allowlist (always, except in tests
     *                  that replay pfctl's regress output, where the warnings for ::1 would be noise)
     */
    public record Settings(Path stateDir, Path socket, List<IpPrefix> allowlist, Clock clock, boolean allowHost) {
        public Settings(Path stateDir, Path socket, List<IpPrefix> allowlist, Clock clock) {
            this(stateDir, socket, allowlist, clock, true);
        }
    }

    private final Settings settings;
    private final TableSet set;
    private final DurableTables tables;
    private final FileChannel lockFile;
    private final FileLock stateLock;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Thread ticker;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Palisaded(Settings s) throws IOException {
        this.settings = s;
        long t0 = System.nanoTime();
        Files.createDirectories(s.stateDir());
        lockFile = FileChannel.open(s.stateDir().resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        stateLock = lockFile.tryLock();
        if (stateLock == null) {
            lockFile.close();
            throw new IOException("state directory " + s.stateDir() + " is in use by another palisaded");
        }
        Allowlist allow = s.allowHost() ? Allowlist.of(ownAddresses(), s.allowlist())
                : new Allowlist(s.allowlist().stream().map(p -> new Allowlist.Allowed(p, "allowlist")).toList());
        set = new TableSet(s.clock(), allow);
        TableStore store;
        try {
            store = TableStore.open(s.stateDir(), set, s.clock().instant().getEpochSecond());
        } catch (IOException e) {
            stateLock.release();
            lockFile.close();
            throw e;
        }
        tables = new DurableTables(set, store);
        TableStore.LoadStats ls = store.loadStats();
        log.info("tables loaded from {}: {} tables, {} entries ({} snapshot + {} journal records{}) in {} ms",
                s.stateDir(), set.tables().size(), set.entryCount(), ls.snapshotRecords(), ls.journalRecords(),
                ls.truncatedBytes() > 0 ? ", dropped a torn tail of " + ls.truncatedBytes() + " bytes" : "", ls.millis());
        log.info("allowlist: {} networks ({} own addresses and loopback, {} configured)", allow.networks().size(),
                allow.networks().size() - s.allowlist().size(), s.allowlist().size());
        try {
            server = bind(s.socket());
        } catch (IOException e) {
            store.close();
            stateLock.release();
            lockFile.close();
            throw e;
        }
        acceptor = Thread.ofPlatform().name("palisaded-control").start(this::acceptLoop);
        ticker = Thread.ofPlatform().name("palisaded-ticker").daemon(true).start(this::tick);
        log.info("listening on {} (ready in {} ms)", s.socket(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** Loads the tables, binds the control socket and starts serving. */
    public static Palisaded start(Settings s) throws IOException {
        return new Palisaded(s);
    }

    public DurableTables tables() {
        return tables;
    }

    public Path socket() {
        return settings.socket();
    }

    // ---- hooks for the kernel side (issue 5) and other extensions ------------------------

    /** Control commands served outside the table core (the kernel side's {@code load}, {@code kill}, ...). */
    public interface Extension {
        /** Whether this extension serves {@code command}. */
        boolean handles(String command);

        /** Serves one request; {@code out} takes a tag ('1' stdout, '2' stderr) and a line; returns the exit status. */
        int handle(ControlRequest req, String who, java.util.function.BiConsumer<Character, String> out);
    }

    private final List<Extension> extensions = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Adds control commands (see {@link Extension}). */
    public void addExtension(Extension e) {
        extensions.add(e);
    }

    private final List<java.util.function.Consumer<List<TableSet.Expired>>> expiryListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Calls {@code l} with the entries of each expiry sweep that removed any (expiry is not journaled). */
    public void addExpiryListener(java.util.function.Consumer<List<TableSet.Expired>> l) {
        expiryListeners.add(l);
    }

    /**
     * Calls {@code l} with every table change as it is journaled (under the
     * tables' write lock: {@code l} must be quick and must not block).
     */
    public void addChangeListener(java.util.function.Consumer<dev.palisade.core.table.Mutation> l) {
        TableStore st = tables.store();
        tables.write(s -> {
            s.setJournal(m -> {
                l.accept(m); // first: the kernel side's sync thread wakes while the change is encoded (from the trip branch)
                st.append(m);
            });
            return null;
        });
    }

    private static List<IpAddress> ownAddresses() {
        List<IpAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    out.add(IpAddress.ofBytes(a.getAddress()));
                }
            }
        } catch (SocketException e) {
            log.warn("cannot list this host's addresses for the allowlist: {}", e.getMessage());
        }
        return out;
    }

    private static ServerSocketChannel bind(Path socket) throws IOException {
        Path parent = socket.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (Files.exists(socket)) {
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(socket));
                throw new IOException("another palisaded is already listening on " + socket);
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("another palisaded")) throw e;
                Files.delete(socket); // stale socket of a daemon that died
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        try {
            GroupPrincipal g = socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("palisade");
            Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(g);
        } catch (UserPrincipalNotFoundException e) {
            // no palisade group: root (and the daemon's own user) only
        } catch (IOException e) {
            log.warn("cannot give {} to group palisade: {}", socket, e.getMessage());
        }
        return ch;
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed.get()) log.error("control socket accept failed: {}", e.getMessage());
                return;
            }
            Thread.ofVirtual().name("palisaded-client").start(() -> serve(c));
        }
    }

    private void tick() {
        while (!closed.get()) {
            long nowMs = settings.clock().millis();
            long wait = 1000 - (nowMs % 1000);
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                return;
            }
            if (closed.get()) return;
            try {
                expireNow();
                TableStore st = tables.store();
                if (st.journalBytes() > Math.max(64L << 20, 2 * st.snapshotBytes())) {
                    long t0 = System.nanoTime();
                    tables.compact();
                    log.info("journal compacted into a snapshot of {} entries in {} ms",
                            tables.read(TableSet::entryCount), (System.nanoTime() - t0) / 1_000_000);
                }
            } catch (RuntimeException | IOException e) {
                log.error("expiry/compaction failed: {}", e.toString());
            }
        }
    }

    /** Runs the expiry sweep for the clock's current second; returns how many entries expired. */
    public int expireNow() {
        long now = settings.clock().instant().getEpochSecond();
        List<TableSet.Expired> gone = tables.write(s -> s.expire(now));
        if (!gone.isEmpty()) for (var l : expiryListeners) l.accept(gone);
        if (gone.size() <= 10) {
            for (TableSet.Expired e : gone) {
                log.info("expired {} from <{}> ({})", e.entry().text(), e.table(), e.entry().origin().describe());
            }
        } else {
            log.info("expired {} entries", gone.size());
        }
        return gone.size();
    }

    // ---- control connections ---------------------------------------------------------------

    private void serve(SocketChannel c) {
        try (c) {
            String who = "";
            try {
                var p = c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
                if (p != null) who = p.user().getName();
            } catch (IOException | UnsupportedOperationException e) {
                // peer unknown
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8), 1 << 16);
            Writer w = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(c), StandardCharsets.UTF_8), 1 << 16);
            ControlRequest req;
            try {
                req = ControlRequest.read(r);
            } catch (IOException e) {
                w.write("2 palisaded: bad request: " + e.getMessage() + "\nexit 1\n");
                w.flush();
                return;
            }
            int rc;
            try {
                rc = handle(req, who, w, c);
            } catch (IllegalArgumentException e) {
                line(w, '2', "pfctl: " + e.getMessage());
                rc = 1;
            } catch (UncheckedIOException e) {
                log.error("request {} failed: {}", req.command(), e.toString());
                line(w, '2', "pfctl: palisaded could not make the change durable: " + e.getCause().getMessage());
                rc = 1;
            }
            w.write("exit " + rc + "\n");
            w.flush();
        } catch (IOException e) {
            // client went away
        } catch (RuntimeException e) {
            log.error("control request failed", e);
        }
    }

    private static void line(Writer w, char tag, String s) {
        try {
            w.write(tag);
            w.write(' ');
            w.write(s);
            w.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int handle(ControlRequest req, String who, Writer w, SocketChannel c) throws IOException {
        switch (req.command()) {
            case "ping" -> {
                line(w, '1', "palisaded " + ProcessHandle.current().pid());
                return 0;
            }
            case "tables" -> {
                tables.read(s -> {
                    s.showTables(req.verbose(), l -> line(w, '1', l));
                    return null;
                });
                return 0;
            }
            case "why" -> {
                return why(req, w);
            }
            case "entry" -> { // issue 8: the Tables operations for standalone services (ControlTables)
                dev.palisade.app.control.EntryProtocol.serve(req, tables, who, l -> line(w, '1', l));
                return 0;
            }
            case "table" -> {
                if (req.table() == null) throw new IllegalArgumentException("table request without a table name");
                TableCommand.Op op = TableCommand.Op.parse(req.op());
                TableCommand cmd = new TableCommand(req.table(), op, req.args(), req.dummy(), req.quiet(), req.verbose(),
                        new Origin.Manual(who));
                if (op == TableCommand.Op.SHOW) {
                    // chunks of 4096 entries under the read lock, written without it: a slow reader holds up no change
                    TableSet.ShowCursor cur = new TableSet.ShowCursor();
                    List<String> err = new ArrayList<>(1);
                    int rc = 0;
                    if (req.verbose() == 0) {
                        // the lines as protocol bytes, one socket write per chunk (no String per line)
                        w.flush();
                        ShowLines out = new ShowLines(new byte[] {'1', ' '});
                        java.io.OutputStream raw = Channels.newOutputStream(c);
                        while (!cur.done()) {
                            out.reset();
                            rc = tables.read(s -> s.showChunk(req.table(), cur, 4096, out, err::add));
                            raw.write(out.array(), 0, out.length());
                        }
                    } else {
                        List<String> out = new ArrayList<>(4096);
                        while (!cur.done()) {
                            out.clear();
                            rc = tables.read(s -> s.showChunk(req.table(), req.verbose(), cur, 4096, out::add, err::add));
                            for (String l : out) line(w, '1', l);
                        }
                    }
                    for (String l : err) line(w, '2', l);
                    return rc;
                }
                boolean readOnly = op == TableCommand.Op.TEST || req.dummy();
                CommandResult res = readOnly ? tables.read(s -> s.run(cmd)) : tables.write(s -> s.run(cmd));
                for (String l : res.out()) line(w, '1', l);
                for (String l : res.err()) line(w, '2', l);
                if (!readOnly && !res.err().isEmpty() && res.err().get(0).startsWith("pfctl: warning")) {
                    log.warn("{}: {}", who.isEmpty() ? "control" : who, res.err().get(0).substring(7));
                }
                return res.exit();
            }
            default -> {
                for (Extension e : extensions) {
                    if (e.handles(req.command())) return e.handle(req, who, (tag, l) -> line(w, tag, l));
                }
                throw new IllegalArgumentException("unknown request \"" + req.command() + "\": expected table, tables, why, entry or ping");
            }
        }
    }

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT);

    private int why(ControlRequest req, Writer w) {
        if (req.args().size() != 1) throw new IllegalArgumentException("why needs one address, got " + req.args().size());
        String text = req.args().get(0);
        IpAddress a = IpAddress.tryParse(text);
        if (a == null) throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 or IPv6 address");
        ZoneId z = settings.clock().getZone();
        long now = settings.clock().instant().getEpochSecond();
        List<TableSet.Why> ws = tables.read(s -> s.why(a));
        if (ws.isEmpty()) {
            line(w, '1', a + " is in no table");
            return 1;
        }
        for (TableSet.Why y : ws) {
            var e = y.entry();
            StringBuilder sb = new StringBuilder();
            sb.append('<').append(y.table()).append("> ").append(e.text());
            sb.append(y.matches() ? " matches" : " (negated: does not match)");
            sb.append(", since ").append(WHEN.format(Instant.ofEpochSecond(e.cleared()).atZone(z)));
            if (e.expires() == 0) sb.append(", until removed");
            else sb.append(", until ").append(WHEN.format(Instant.ofEpochSecond(e.expires()).atZone(z)))
                    .append(" (in ").append(Math.max(0, e.expires() - now)).append(" s)");
            sb.append(", why: ").append(e.origin().describe());
            line(w, '1', sb.toString());
        }
        return ws.stream().anyMatch(TableSet.Why::matches) ? 0 : 1;
    }

    /** Stops serving, makes every change durable and releases the state directory. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) return;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        ticker.interrupt();
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(settings.socket());
        tables.store().close();
        stateLock.release();
        lockFile.close();
        log.info("stopped; {} entries are safe in {}", set.entryCount(), settings.stateDir());
    }
}
