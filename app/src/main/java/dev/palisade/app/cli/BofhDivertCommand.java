package dev.palisade.app.cli;

import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.tripwire.Tripwire;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code palisade bofh-divert -p PORT -t TABLE}: the tripwire on one divert port (docs/services.md). */
@Command(name = "bofh-divert", sortOptions = false,
        description = "Tripwire: ban the source of every packet diverted to PORT into TABLE, drop the packet.")
public final class BofhDivertCommand implements Callable<Integer> {

    @Option(names = "-p", required = true, paramLabel = "PORT", description = "The divert port (NFQUEUE queue), 1 to 65535.")
    String port;

    @Option(names = "-t", required = true, paramLabel = "TABLE", description = "The table to add sources to (at most 31 characters).")
    String table;

    @Option(names = "--lifetime", paramLabel = "SECONDS", description = "Ban lifetime in seconds (default: for ever, as bofh-divert).")
    Long lifetime;

    @Option(names = "--create-table", description = "Create TABLE when it does not exist (default: refuse to start).")
    boolean createTable;

    @Option(names = "--socket", paramLabel = "PATH", description = "palisaded's control socket (default ${DEFAULT-VALUE}).")
    Path socket = SeedArgs.DEFAULT_SOCKET;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The checked configuration; throws a ParameterException naming the bad argument. */
    Tripwire.Config config() {
        int p = SeedArgs.port(spec, "-p", port);
        String t = SeedArgs.table(spec, "-t", table);
        if (lifetime != null && lifetime <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "bofh-divert: --lifetime must be a positive number of seconds, got " + lifetime);
        }
        return new Tripwire.Config(p, t, lifetime == null ? null : Duration.ofSeconds(lifetime), createTable);
    }

    @Override
    public Integer call() {
        Tripwire.Config c = config();
        try {
            Tables tables = SeedWiring.daemonTables(socket);
            SeedMetrics metrics = new SeedMetrics(PrometheusRegistry.defaultRegistry);
            Banner banner = new Banner(tables, SeedWiring.stateKiller(), metrics, 65536, "tripwire-banner");
            Tripwire tripwire;
            try {
                tripwire = new Tripwire(c, tables, banner, metrics, Clock.systemUTC());
            } catch (IllegalStateException e) {
                banner.close();
                spec.commandLine().getErr().println("palisade bofh-divert: " + e.getMessage());
                return 1;
            }
            AutoCloseable queue = SeedWiring.serveDivert(c.port(), tripwire);
            return SeedArgs.runUntilStopped(queue, banner);
        } catch (SeedWiring.Unavailable e) {
            return SeedArgs.unavailable(spec, e);
        }
    }
}
