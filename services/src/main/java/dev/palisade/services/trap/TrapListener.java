package dev.palisade.services.trap;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.PacketFields;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.TableNames;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trap listener, iblock's job: TCP listeners on trap ports; whoever
 * connects is disconnected at once and banned.
 *
 * <p>Why this shape: iblock forks per connection (inetd) and runs pfctl
 * twice per ban, so a scan of a few thousand connections forks thousands of
 * processes. Here one selector thread accepts on every listening socket,
 * closes each connection with an RST at once (SO_LINGER 0: no TIME_WAIT
 * entry is left behind, so a flood leaves no kernel memory either) and hands
 * the peer to a {@link Banner}, whose bounded queue coalesces repeats per
 * address. Threads: this one plus the banner's worker, whatever the load;
 * memory: the banner's queue, whatever the load. A peer already in the
 * table (with no lifetime to refresh) costs a table lookup and a counter.
 *
 * <p>Log lines: {@code blocking ADDR} for a new ban (iblock's wording);
 * {@code not blocking ADDR: allowlisted} once per allowlisted address.
 */
public final class TrapListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("palisade.trap");
    private static final int ACCEPTS_PER_WAKEUP = 512;
    private static final int ALLOWLIST_LOG_MEMORY = 4096;

    /**
     * @param listen      the address/port pairs to listen on (IPv4 and IPv6; port 0 picks a free port)
     * @param table       the ban table
     * @param lifetime    how long a ban lasts, or null for ever
     * @param createTable create the table when missing instead of refusing to start
     * @param backlog     the listen backlog of each socket
     */
    public record Config(List<InetSocketAddress> listen, String table, Duration lifetime, boolean createTable, int backlog) {
        public Config {
            listen = List.copyOf(listen);
            if (listen.isEmpty()) throw new IllegalArgumentException("trap: at least one listen address is required");
            for (InetSocketAddress a : listen) {
                if (a.isUnresolved()) throw new IllegalArgumentException("trap: listen address must be a literal IP address, got \"" + a.getHostString() + "\"");
            }
            TableNames.check("trap", table);
            if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
                throw new IllegalArgumentException("trap: lifetime must be positive, got " + lifetime);
            }
            if (backlog < 1) throw new IllegalArgumentException("trap: backlog must be at least 1, got " + backlog);
        }
    }

    private final Config config;
    private final Tables tables;
    private final Banner banner;
    private final SeedMetrics metrics;
    private final Clock clock;
    private final Set<IpAddress> allowlistLogged = ConcurrentHashMap.newKeySet();
    private final List<ServerSocketChannel> channels = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private Selector selector;
    private Thread thread;
    private volatile boolean closed;

    /** @throws IllegalStateException when the table is missing and may not be created */
    public TrapListener(Config config, Tables tables, Banner banner, SeedMetrics metrics, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.banner = Objects.requireNonNull(banner, "banner");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!tables.exists(config.table())) {
            if (!config.createTable()) {
                throw new IllegalStateException("trap: table <" + config.table() + "> does not exist"
                        + " (define it in pf.conf or let the trap listener create it)");
            }
            tables.create(config.table());
            log.info("created table <{}>", config.table());
        }
    }

    /**
     * Binds every listen address and starts the accept thread.
     *
     * @throws IOException naming the address that could not be bound; nothing stays open then
     */
    public synchronized void start() throws IOException {
        if (thread != null) throw new IllegalStateException("trap listener already started");
        selector = Selector.open();
        try {
            for (InetSocketAddress a : config.listen()) {
                ServerSocketChannel ch = ServerSocketChannel.open(a.getAddress() instanceof java.net.Inet6Address
                        ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
                channels.add(ch);
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                try {
                    ch.bind(a, config.backlog());
                } catch (IOException e) {
                    throw new IOException("trap: cannot listen on " + PacketFields.endpoint(IpAddress.ofBytes(a.getAddress().getAddress()), a.getPort())
                            + ": " + e.getMessage(), e);
                }
                ch.configureBlocking(false);
                InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
                bound.add(local);
                String name = PacketFields.endpoint(IpAddress.ofBytes(local.getAddress().getAddress()), local.getPort());
                ch.register(selector, SelectionKey.OP_ACCEPT, new Origin.Trap(name));
                log.info("trap listening on {}", name);
            }
        } catch (IOException | RuntimeException e) {
            closeChannels();
            throw e;
        }
        thread = Thread.ofPlatform().name("trap-acceptor").daemon(true).start(this::loop);
    }

    /** The addresses actually bound (with the ports chosen for port 0). */
    public synchronized List<InetSocketAddress> boundAddresses() {
        return List.copyOf(bound);
    }

    private void loop() {
        while (!closed) {
            try {
                selector.select(1000);
            } catch (IOException e) {
                log.error("trap selector failed", e);
                return;
            }
            var it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                if (!k.isValid() || !k.isAcceptable()) continue;
                ServerSocketChannel ch = (ServerSocketChannel) k.channel();
                Origin.Trap origin = (Origin.Trap) k.attachment();
                for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
                    SocketChannel c;
                    try {
                        c = ch.accept();
                    } catch (IOException e) {
                        // EMFILE and the like: say so, keep serving the other sockets
                        log.warn("trap accept on {} failed: {}", origin.listener(), e.getMessage());
                        break;
                    }
                    if (c == null) break;
                    handle(c, origin);
                }
            }
        }
    }

    private void handle(SocketChannel c, Origin.Trap origin) {
        IpAddress peer = null;
        try {
            InetSocketAddress remote = (InetSocketAddress) c.getRemoteAddress();
            peer = IpAddress.ofBytes(remote.getAddress().getAddress()).unmapV4();
            c.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException e) {
            // the peer may already be gone; its address is what matters
        } finally {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing an accepted socket: nothing to do about a failure
            }
        }
        metrics.trapConnections.labelValues(origin.listener()).inc();
        if (peer == null) return;
        ban(peer, origin);
    }

    private void ban(IpAddress peer, Origin.Trap origin) {
        if (config.lifetime() == null && tables.matches(config.table(), peer)) return;
        Instant expires = config.lifetime() == null ? null : clock.instant().plus(config.lifetime());
        IpAddress p = peer;
        Banner.Submitted s = banner.submit(new Banner.Request(config.table(), peer, expires, origin, "trap", r -> done(p, r)));
        if (s == Banner.Submitted.QUEUE_FULL) log.warn("ban queue full: {} not blocked", peer);
    }

    private void done(IpAddress peer, Banner.Result r) {
        if (r instanceof Banner.Result.Done(Tables.AddOutcome o)) {
            switch (o) {
                case ADDED -> log.info("blocking {}", peer);
                case REFUSED_ALLOWLIST -> {
                    if (allowlistLogged.size() < ALLOWLIST_LOG_MEMORY && allowlistLogged.add(peer)) {
                        log.info("not blocking {}: allowlisted", peer);
                    }
                }
                case NO_SUCH_TABLE, REFUSED_CONST -> log.error("cannot block {}: table <{}> {}", peer, config.table(),
                        o == Tables.AddOutcome.NO_SUCH_TABLE ? "no longer exists" : "is const");
                case REFRESHED -> { }
            }
        }
    }

    private void closeChannels() {
        for (ServerSocketChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a listener on shutdown
            }
        }
        channels.clear();
        try {
            if (selector != null) selector.close();
        } catch (IOException ignored) {
            // shutdown
        }
    }

    /** Stops accepting and closes the listening sockets. */
    @Override
    public synchronized void close() {
        closed = true;
        if (selector != null) selector.wakeup();
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeChannels();
    }
}
