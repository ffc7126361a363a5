package dev.palisade.app.config;

import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.net.IpAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The services sections of palisade.conf (docs/palisade.conf.5.md): which
 * diverter serves which divert port, trap listeners, pftabled, the metrics
 * listener and logging. Every part is a value: palisaded compares the old and
 * the new configuration part by part on SIGHUP and restarts only what changed.
 */
public record ServicesConf(boolean createTables, List<TripwireDivert> tripwires, List<DnsblDivert> dnsbls,
                           List<DiverterConfig> payload, List<Trap> traps, Pftabled pftabled, Metrics metrics, Log log) {

    public ServicesConf {
        tripwires = List.copyOf(tripwires);
        dnsbls = List.copyOf(dnsbls);
        payload = List.copyOf(payload);
        traps = List.copyOf(traps);
    }

    /** Nothing configured: no diverters, listeners, pftabled or metrics; logs to standard output. */
    public static final ServicesConf NONE = new ServicesConf(false, List.of(), List.of(), List.of(), List.of(), null, null, Log.STDOUT);

    /** {@code divert PORT tripwire table NAME [lifetime SECONDS]}; lifetime 0: for ever. */
    public record TripwireDivert(int port, String table, long lifetime) {}

    /**
     * {@code divert PORT dnsbl black NAME cache NAME [zones { ... }] [resolver ADDR] [port N] [timeout S] ...};
     * resolver null: the first nameserver of /etc/resolv.conf.
     */
    public record DnsblDivert(int port, String black, String cache, List<String> zones, IpAddress resolver, int resolverPort,
                              long timeoutMillis, long blackLifetime, long cacheLifetime, boolean failClosed, String codes) {
        public DnsblDivert {
            zones = List.copyOf(zones);
        }
    }

    /** {@code trap listen on ADDR|{ ADDR ... } port N table NAME [lifetime S] [backlog N]}. */
    public record Trap(List<IpAddress> addresses, int port, String table, long lifetime, int backlog) {
        public Trap {
            addresses = List.copyOf(addresses);
        }

        /** {@code ADDR:PORT} of the first address, for log lines. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            for (IpAddress a : addresses) {
                if (!sb.isEmpty()) sb.append(',');
                sb.append(a.v6() ? "[" + a + "]" : a.toString()).append(':').append(port);
            }
            return sb.toString();
        }
    }

    /** {@code pftabled listen on ADDR port N [key "PATH"] [lifetime S] [table NAME] [v3-only]}; address null: every address. */
    public record Pftabled(IpAddress address, int port, Path key, long lifetime, String table, boolean v3Only) {}

    /** {@code metrics listen on ADDR port N}: the Prometheus exporter ({@code /metrics}). */
    public record Metrics(IpAddress address, int port) {}

    /** {@code log stdout} or {@code log syslog [host ADDR] [port N] [facility NAME]} (stdout is always kept). */
    public record Log(boolean syslog, String host, int port, String facility) {
        public static final Log STDOUT = new Log(false, null, 0, null);
    }
}
