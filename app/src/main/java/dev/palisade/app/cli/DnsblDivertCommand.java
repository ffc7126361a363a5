package dev.palisade.app.cli;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.dnsbl.DnsblGate;
import dev.palisade.services.dnsbl.ReturnCodes;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade dnsbl-divert -p PORT -t BLACK -c CACHE [-z ZONE]... [DNS_IP]}:
 * the DNSBL gate on one divert port (docs/services.md).
 */
@Command(name = "dnsbl-divert", sortOptions = false,
        description = "DNSBL gate: sources of packets diverted to PORT pass only when DNS blocklists do not list them.")
public final class DnsblDivertCommand implements Callable<Integer> {

    @Option(names = "-p", required = true, paramLabel = "PORT", description = "The divert port (NFQUEUE queue), 1 to 65535.")
    String port;

    @Option(names = "-t", required = true, paramLabel = "BLACK", description = "Table for listed sources (at most 31 characters).")
    String black;

    @Option(names = "-c", required = true, paramLabel = "CACHE", description = "Table for clean sources (at most 31 characters).")
    String cache;

    @Option(names = "-z", paramLabel = "ZONE", description = "A DNSBL zone (repeatable; default zen.spamhaus.org).")
    List<String> zones = new ArrayList<>();

    @Option(names = "--dns-port", paramLabel = "PORT", description = "The resolver's port (default ${DEFAULT-VALUE}).")
    String dnsPort = "53";

    @Option(names = "--timeout", paramLabel = "MS", description = "Per-query timeout in milliseconds (default ${DEFAULT-VALUE}).")
    long timeoutMs = 2000;

    @Option(names = "--black-lifetime", paramLabel = "SECONDS", description = "Lifetime of black entries (default ${DEFAULT-VALUE}).")
    long blackLifetime = 86400;

    @Option(names = "--cache-lifetime", paramLabel = "SECONDS", description = "Lifetime of cache entries (default ${DEFAULT-VALUE}).")
    long cacheLifetime = 3600;

    @Option(names = "--fail-closed", description = "Drop a source's packets when its lookup fails (default: pass).")
    boolean failClosed;

    @Option(names = "--codes", paramLabel = "LIST",
            description = "Answers that mean listed: addresses, ranges A-B or prefixes inside 127/8 (default ${DEFAULT-VALUE}).")
    String codes = "127.0.0.2-127.0.0.254";

    @Option(names = "--create-tables", description = "Create BLACK and CACHE when they do not exist (default: refuse to start).")
    boolean createTables;

    @Option(names = "--socket", paramLabel = "PATH", description = "palisaded's control socket (default ${DEFAULT-VALUE}).")
    Path socket = SeedArgs.DEFAULT_SOCKET;

    @Parameters(arity = "0..1", paramLabel = "DNS_IP", description = "The resolver to ask (default: the first nameserver of /etc/resolv.conf).")
    String dnsIp;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    DnsblGate.Config config() {
        int p = SeedArgs.port(spec, "-p", port);
        String b = SeedArgs.table(spec, "-t", black);
        String c = SeedArgs.table(spec, "-c", cache);
        int dp = SeedArgs.port(spec, "--dns-port", dnsPort);
        IpAddress resolver = dnsIp != null ? SeedArgs.address(spec, "DNS server address", dnsIp) : systemResolver();
        if (timeoutMs <= 0) throw bad("--timeout must be a positive number of milliseconds, got " + timeoutMs);
        if (blackLifetime <= 0) throw bad("--black-lifetime must be a positive number of seconds, got " + blackLifetime);
        if (cacheLifetime <= 0) throw bad("--cache-lifetime must be a positive number of seconds, got " + cacheLifetime);
        try {
            InetSocketAddress ra = new InetSocketAddress(InetAddress.getByAddress(resolver.toBytes()), dp);
            return new DnsblGate.Config(p, b, c, zones.isEmpty() ? List.of("zen.spamhaus.org") : zones, ra,
                    Duration.ofMillis(timeoutMs), Duration.ofSeconds(blackLifetime), Duration.ofSeconds(cacheLifetime),
                    failClosed, ReturnCodes.parse(codes), 64, 65536, 16384, createTables);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "dnsbl-divert: " + e.getMessage().replaceFirst("^dnsbl: ", ""));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }

    private CommandLine.ParameterException bad(String msg) {
        return new CommandLine.ParameterException(spec.commandLine(), "dnsbl-divert: " + msg);
    }

    private IpAddress systemResolver() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] w = line.strip().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver")) {
                    IpAddress a = IpAddress.tryParse(w[1].replaceFirst("%.*$", ""));
                    if (a != null) return a;
                }
            }
        } catch (IOException e) {
            // fall through to the message below
        }
        throw bad("no DNS_IP given and no nameserver in /etc/resolv.conf: give the resolver's address");
    }

    @Override
    public Integer call() {
        DnsblGate.Config c = config();
        try {
            Tables tables = SeedWiring.daemonTables(socket);
            SeedMetrics metrics = new SeedMetrics(PrometheusRegistry.defaultRegistry);
            Banner banner = new Banner(tables, SeedWiring.stateKiller(), metrics, 65536, "dnsbl-banner");
            ExecutorService executor = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("dnsbl-", 0).daemon(true).factory());
            DnsblGate gate;
            try {
                gate = new DnsblGate(c, tables, banner, metrics, Clock.systemUTC(), executor);
            } catch (IllegalStateException e) {
                banner.close();
                executor.shutdownNow();
                spec.commandLine().getErr().println("palisade dnsbl-divert: " + e.getMessage());
                return 1;
            }
            AutoCloseable queue = SeedWiring.serveDivert(c.port(), gate);
            return SeedArgs.runUntilStopped(queue, gate, banner, executor::shutdownNow);
        } catch (SeedWiring.Unavailable e) {
            return SeedArgs.unavailable(spec, e);
        }
    }
}
