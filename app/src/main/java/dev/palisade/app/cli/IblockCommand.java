package dev.palisade.app.cli;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.trap.TrapListener;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code palisade iblock [-t TABLE] [-p PORT]}: the trap listener, as iblock
 * runs it: on localhost (127.0.0.1 and ::1), port 2507, table {@code iblocked}
 * (iblock's defaults); pf.conf redirects the trap ports there.
 */
@Command(name = "iblock", sortOptions = false,
        description = "Trap listener: whoever connects to PORT is disconnected and banned into TABLE.")
public final class IblockCommand implements Callable<Integer> {

    @Option(names = "-t", paramLabel = "TABLE", description = "The table to add peers to (default ${DEFAULT-VALUE}).")
    String table = "iblocked";

    @Option(names = "-p", paramLabel = "PORT", description = "The port to listen on (default ${DEFAULT-VALUE}).")
    String port = "2507";

    @Option(names = "-l", paramLabel = "ADDRESS",
            description = "Listen on ADDRESS instead of 127.0.0.1 and ::1 (repeatable; IPv4 or IPv6).")
    List<String> listen = new ArrayList<>();

    @Option(names = "--lifetime", paramLabel = "SECONDS", description = "Ban lifetime in seconds (default: for ever, as iblock).")
    Long lifetime;

    @Option(names = "--create-table", description = "Create TABLE when it does not exist (default: refuse to start).")
    boolean createTable;

    @Option(names = "--socket", paramLabel = "PATH", description = "palisaded's control socket (default ${DEFAULT-VALUE}).")
    Path socket = SeedArgs.DEFAULT_SOCKET;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    TrapListener.Config config() {
        String t = SeedArgs.table(spec, "-t", table);
        int p = SeedArgs.port(spec, "-p", port);
        if (lifetime != null && lifetime <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "iblock: --lifetime must be a positive number of seconds, got " + lifetime);
        }
        List<String> addrs = listen.isEmpty() ? List.of("127.0.0.1", "::1") : listen;
        List<InetSocketAddress> l = new ArrayList<>();
        for (String a : addrs) {
            IpAddress ip = SeedArgs.address(spec, "listen address (-l)", a);
            try {
                l.add(new InetSocketAddress(InetAddress.getByAddress(ip.toBytes()), p));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("4 or 16 bytes are always an address", e);
            }
        }
        return new TrapListener.Config(l, t, lifetime == null ? null : Duration.ofSeconds(lifetime), createTable, 1024);
    }

    @Override
    public Integer call() {
        TrapListener.Config c = config();
        try {
            Tables tables = SeedWiring.daemonTables(socket);
            SeedMetrics metrics = new SeedMetrics(PrometheusRegistry.defaultRegistry);
            Banner banner = new Banner(tables, SeedWiring.stateKiller(), metrics, 65536, "trap-banner");
            TrapListener trap;
            try {
                trap = new TrapListener(c, tables, banner, metrics, Clock.systemUTC());
                trap.start();
            } catch (IllegalStateException | IOException e) {
                banner.close();
                spec.commandLine().getErr().println("palisade iblock: " + e.getMessage());
                return 1;
            }
            return SeedArgs.runUntilStopped(trap, banner);
        } catch (SeedWiring.Unavailable e) {
            return SeedArgs.unavailable(spec, e);
        }
    }
}
