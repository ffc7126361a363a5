package dev.palisade.app.cli;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.tabled.TabledCodec;
import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledKeys;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.table.Tables;
import dev.palisade.services.tabled.TabledKeyFile;
import dev.palisade.services.tabled.TabledServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code palisade pftabled}: pftabled(1)'s options and meanings
 * (docs/pftabled.8.md), serving palisaded's tables.
 */
@Command(name = "pftabled", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Remote table service, wire-compatible with pftabled 1.09 (UDP, HMAC-authenticated), plus version 3.")
public final class PftabledCommand implements Callable<Integer> {

    // Lazy: picocli instantiates every subcommand for any command line, and the first
    // logger starts Logback (its XML configuration, ~600 classes), which pfctl never needs.
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(PftabledCommand.class);
    }

    @Option(names = "-d", description = "Accepted for pftabled compatibility: Palisade does not fork; run it under systemd. Logs go to standard output.")
    public boolean daemon;

    @Option(names = "-v", description = "Log every applied command.")
    public boolean verbose;

    @Option(names = "-a", paramLabel = "ADDRESS", description = "Bind to this address (default: every IPv4 and IPv6 address; 0.0.0.0: IPv4 only).")
    public String address;

    @Option(names = "-p", paramLabel = "PORT", description = "UDP port (default: 56789).")
    public int port = TabledCodec.DEFAULT_PORT;

    @Option(names = "-k", paramLabel = "KEYFILE",
            description = "Authentication key: first 20 bytes for version 2, first 32 for version 3. Must not be readable by group or others.")
    public Path keyFile;

    @Option(names = "-t", paramLabel = "SECONDS", description = "Added entries expire after SECONDS (durable; a re-add refreshes).")
    public long lifetime;

    @Option(names = "-f", paramLabel = "TABLE", description = "Force every request to this table, ignoring the name in the datagram.")
    public String forcedTable;

    @Option(names = "--create-tables", description = "Create a missing table on add (default: refuse the datagram).")
    public boolean createTables;

    @Option(names = "--v3-only", description = "Refuse versions 0 to 2 (needs a key file of at least 32 bytes).")
    public boolean v3Only;

    @Option(names = "--rate", paramLabel = "N", description = "Datagrams per second per peer (IPv4 address or IPv6 /64); 0: no limit (default: 1000).")
    public double rate = TabledConfig.DEFAULT_RATE;

    @Option(names = "--burst", paramLabel = "N", description = "Datagrams a peer may send at once (default: 2000).")
    public double burst = TabledConfig.DEFAULT_BURST;

    @Option(names = "--replay-cache", paramLabel = "N", description = "Most datagrams remembered against replay (default: 1048576).")
    public int replayCapacity = TabledConfig.DEFAULT_REPLAY_CAPACITY;

    @Option(names = "--lanes", paramLabel = "N", description = "Threads applying commands concurrently (default: 16; 0: on the receive thread).")
    public int lanes = 16;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH", description = "palisaded's control socket (default: palisaded's default).")
    public Path socket;

    /** Where the tables come from; tests put their own (null: palisaded at --socket). */
    public TablesConnector connector;

    /** A usage error: the message names the input; exit status 1 as pftabled's err(1, ...). */
    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** The protocol settings from the options (checks the key file). */
    TabledConfig config() throws UsageError {
        if (port < 0 || port > 65535) throw new UsageError("invalid port -p " + port + ": expected 1 to 65535 (0: any free port)");
        if (lifetime < 0 || lifetime > 0xffffffffL) throw new UsageError("invalid timeout -t " + lifetime + ": expected 0 to 4294967295 seconds");
        if (forcedTable != null) {
            String problem = TableCommand.tableNameProblem(forcedTable);
            if (problem != null) throw new UsageError("table name -f \"" + forcedTable + "\": " + problem);
        }
        TabledKeys keys = TabledKeys.NONE;
        if (keyFile != null) {
            try {
                keys = TabledKeyFile.load(keyFile);
            } catch (TabledKeyFile.KeyFileException e) {
                throw new UsageError(e.getMessage());
            }
        }
        try {
            return new TabledConfig(keys, forcedTable, lifetime, TabledConfig.DEFAULT_WINDOW, !v3Only, replayCapacity, rate, burst,
                    TabledConfig.DEFAULT_MAX_PEERS);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }

    InetSocketAddress bindAddress() throws UsageError {
        if (address == null) return TabledServer.Settings.of(port).bind();
        IpAddress a = IpAddress.tryParse(address);
        if (a == null) throw new UsageError("invalid bind address -a \"" + address + "\": expected an IPv4 or IPv6 address");
        try {
            return new InetSocketAddress(InetAddress.getByAddress(a.toBytes()), port);
        } catch (UnknownHostException e) {
            throw new UsageError("invalid bind address -a \"" + address + "\"");
        }
    }

    /** Checks the options, connects to the tables and starts serving. */
    TabledServer start(Clock clock) throws UsageError, IOException, TablesConnector.UnavailableException {
        TabledConfig config = config();
        if (lanes < 0 || lanes > 1024) throw new UsageError("invalid --lanes " + lanes + ": expected 0 to 1024");
        TabledServer.Settings settings = new TabledServer.Settings(bindAddress(), createTables, verbose, lanes, 1024);
        Tables tables = (connector != null ? connector
                : socket != null ? TablesConnector.at(socket) : TablesConnector.PALISADED).connect();
        if (!config.keys().hasV2Key()) {
            Log.LOG.warn("pftabled: WARNING: no key file (-k): datagrams are NOT authenticated; anyone who can send UDP to port {} "
                    + "can change your tables. Make a key: head -c 32 /dev/urandom > /etc/pftabled.key && chmod 600 /etc/pftabled.key", port);
        }
        TabledServer server = TabledServer.start(config, settings, tables, clock);
        Log.LOG.info("pftabled: listening on UDP {} ({}; {}{}{})", server.localAddress(), config.keys(),
                forcedTable == null ? "any table" : "table <" + forcedTable + "> only",
                lifetime == 0 ? "" : ", entries expire after " + lifetime + " s",
                createTables ? ", creating tables" : "");
        return server;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (daemon) Log.LOG.info("pftabled: -d: Palisade does not fork; run it under systemd (logs go to standard output)");
        TabledServer server;
        try {
            server = start(Clock.systemUTC());
        } catch (UsageError | IOException | TablesConnector.UnavailableException e) {
            err.println("palisade pftabled: " + e.getMessage());
            err.flush();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            Log.LOG.info("pftabled: stopped: {}", server.counters());
            stopped.countDown();
        }, "pftabled-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            server.close();
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
