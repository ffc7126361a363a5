package dev.palisade.app.cli;

import dev.palisade.app.config.PalisadeConf;
import dev.palisade.app.daemon.Defaults;
import dev.palisade.app.daemon.Palisaded;
import dev.palisade.app.daemon.services.DaemonServices;
import dev.palisade.services.StateKiller;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code palisade daemon}: runs palisaded in the foreground until SIGTERM or
 * SIGINT (docs/palisade.8.md). Options override palisade.conf, which
 * overrides the defaults of {@link Defaults}.
 */
@Command(name = "daemon", description = "Run palisaded: pf.conf into the kernel, durable tables, the services of palisade.conf, the control socket (stops on SIGTERM, reloads on SIGHUP).")
public final class DaemonCommand implements Callable<Integer> {

    // Lazy: picocli instantiates every subcommand for any command line, and the first
    // logger starts Logback (its XML configuration, ~600 classes), which pfctl never needs.
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger("palisaded");
    }

    @Option(names = "-f", paramLabel = "PF_CONF", description = "The ruleset to load (pf.conf).")
    Path pfConf;

    @Option(names = "-c", paramLabel = "PALISADE_CONF", description = "palisade.conf: state directory, socket, allowlist, diverters, listeners, pftabled, metrics, logging (SIGHUP re-reads it).")
    Path conf;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the tables are kept (default /var/lib/palisade as root, ./state otherwise).")
    Path stateDir;

    @Option(names = "--socket", paramLabel = "PATH", description = "The control socket (default /run/palisade/palisaded.sock as root, $XDG_RUNTIME_DIR/palisade/palisaded.sock otherwise).")
    Path socket;

    @Option(names = "--no-host-allowlist", hidden = true,
            description = "Tests only: do not put loopback and this host's addresses on the allowlist (so a local peer can be banned).")
    boolean noHostAllowlist;

    /** Kills the states of banned sources; the kernel side sets conntrack's (issue 8: a parameter of the services). */
    public StateKiller stateKiller = StateKiller.NONE;

    private final Object reloadLock = new Object();

    /**
     * SIGHUP: re-reads palisade.conf; a file with an error changes nothing (the errors are logged);
     * otherwise the services are made to match it (what did not change keeps running).
     */
    private void reload(DaemonServices services, PalisadeConf.Settings started) {
        synchronized (reloadLock) {
            Log.LOG.info("reload: SIGHUP: reading {}", conf);
            switch (PalisadeConf.parse(conf)) {
                case PalisadeConf.Result.Failed f -> {
                    for (String e : f.errors()) Log.LOG.error("reload: {}", e);
                    Log.LOG.error("reload: {}: {} error(s); the running configuration is unchanged", conf, f.errors().size());
                }
                case PalisadeConf.Result.Ok ok -> {
                    PalisadeConf.Settings n = ok.settings();
                    if (!java.util.Objects.equals(n.stateDir(), started.stateDir()) || !java.util.Objects.equals(n.socket(), started.socket())
                            || !n.allowlist().equals(started.allowlist())) {
                        Log.LOG.warn("reload: state-dir, socket and allowlist changes take effect at the next start");
                    }
                    List<String> refused = services.check(n.services());
                    if (!refused.isEmpty()) {
                        for (String e : refused) Log.LOG.error("reload: {}", e);
                        Log.LOG.error("reload: {}: {} error(s); the running configuration is unchanged", conf, refused.size());
                        return;
                    }
                    List<String> problems = services.apply(n.services());
                    for (String p : problems) Log.LOG.error("reload: {}", p);
                    if (problems.isEmpty()) Log.LOG.info("reload: {} applied", conf);
                    else Log.LOG.error("reload: {} applied except {} service(s) (their previous settings keep running)", conf, problems.size());
                }
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        PalisadeConf.Settings cs = PalisadeConf.Settings.EMPTY;
        if (conf != null) {
            switch (PalisadeConf.parse(conf)) {
                case PalisadeConf.Result.Ok ok -> cs = ok.settings();
                case PalisadeConf.Result.Failed f -> {
                    for (String e : f.errors()) System.err.println("palisaded: " + e);
                    System.err.println("palisaded: " + conf + ": " + f.errors().size() + " error(s); not started");
                    return 1;
                }
            }
        }
        if (pfConf != null && !Files.isReadable(pfConf)) {
            System.err.println("palisaded: " + pfConf + ": cannot read the ruleset; not started");
            return 1;
        }
        Path dir = stateDir != null ? stateDir : cs.stateDir() != null ? cs.stateDir() : Defaults.stateDir();
        Path sock = socket != null ? socket : cs.socket() != null ? cs.socket() : Defaults.socket();
        List<dev.palisade.core.net.IpPrefix> allow = cs.allowlist();
        Log.LOG.info("starting as {} (pid {}), state {}, socket {}", Defaults.isRoot() ? "root" : System.getProperty("user.name"),
                ProcessHandle.current().pid(), dir, sock);
        // ---- kernel side (issue 5): parse and compile first; a broken ruleset refuses the start
        dev.palisade.app.daemon.kernel.KernelSide.Prepared.Ok ruleset = null;
        if (pfConf != null) {
            switch (dev.palisade.app.daemon.kernel.KernelSide.prepare(pfConf, Defaults.isRoot(), Defaults.isRoot())) {
                case dev.palisade.app.daemon.kernel.KernelSide.Prepared.Ok ok -> ruleset = ok;
                case dev.palisade.app.daemon.kernel.KernelSide.Prepared.Failed f -> {
                    for (String e : f.errors()) System.err.println(e);
                    System.err.println("palisaded: " + pfConf + ": " + f.errors().size() + " error(s) in the ruleset; not started");
                    return 1;
                }
            }
        }
        Palisaded d;
        try {
            d = Palisaded.start(new Palisaded.Settings(dir, sock, allow, Clock.systemDefaultZone(), !noHostAllowlist));
        } catch (java.io.IOException e) {
            System.err.println("palisaded: " + e.getMessage() + "; not started");
            return 1;
        }
        dev.palisade.app.daemon.kernel.KernelSide kernel;
        try {
            kernel = dev.palisade.app.daemon.kernel.KernelSide.start(d.tables(), Clock.systemDefaultZone(), ruleset);
        } catch (dev.palisade.app.daemon.kernel.KernelSide.KernelException e) {
            for (String l : e.lines()) System.err.println(l);
            System.err.println("palisaded: the ruleset could not be loaded; not started");
            d.close();
            return 1;
        }
        d.addChangeListener(kernel::onMutation);
        d.addExpiryListener(kernel::onExpired);
        kernel.resyncAll(); // changes made between the load and the listener
        d.addExtension(new dev.palisade.app.daemon.kernel.KernelControl(kernel));
        // No killer for the services' ban queues: the kernel side already kills the states of every automatic
        // ban when its journal record arrives (before the fsync, right after the set add); the ban queue's own
        // kill after the fsync was a second walk of the conntrack table for the same source.
        // (kernel.stateKiller() remains for callers that ban without the journal.)
        // ---- end of the kernel side
        // ---- issue 8: services (diverters, trap listeners, pftabled, metrics, syslog)
        DaemonServices services = new DaemonServices(d.tables(), stateKiller, kernel.enforcer(), new PrometheusRegistry(), Clock.systemUTC());
        List<String> problems = services.check(cs.services());
        if (problems.isEmpty()) problems = services.apply(cs.services());
        if (!problems.isEmpty()) {
            for (String p : problems) System.err.println("palisaded: " + p);
            System.err.println("palisaded: " + problems.size() + " service(s) could not start; not started");
            services.close();
            kernel.close();
            d.close();
            return 1;
        }
        PalisadeConf.Settings started = cs;
        // SIGHUP reloads pf.conf (kernel side) and palisade.conf (services); each keeps its old
        // configuration running when the new one has errors.
        Path reloadFrom = pfConf == null ? null : pfConf.toAbsolutePath();
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> Thread.ofPlatform().name("palisaded-reload").start(() -> {
            if (reloadFrom != null) {
                Log.LOG.info("SIGHUP: reloading {}", reloadFrom);
                List<String> errs = kernel.reload(reloadFrom);
                for (String e : errs) Log.LOG.error("{}", e);
                if (!errs.isEmpty()) Log.LOG.error("{}: {} error(s); the previous ruleset stays", reloadFrom, errs.size());
            }
            if (conf == null) Log.LOG.warn("reload: palisade.conf not reloaded: palisaded was started without -c");
            else reload(services, started);
        }));
        // the first ban as fast as the later ones; in the background, so readiness and SIGHUP wait for nothing
        Thread.ofPlatform().name("palisaded-warmup").daemon(true).start(() -> {
            long warm = dev.palisade.app.daemon.BanPathWarmup.run(d.tables(), kernel);
            Log.LOG.info("ban path warmed up in {} ms", warm / 1_000_000);
        });
        // ---- end issue 8
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Log.LOG.info("stopping (signal)");
            kernel.close(); // nothing is flushed: enforcement outlives the daemon
            try {
                services.close(); // issue 8
                d.close();
            } catch (Exception e) {
                Log.LOG.error("stop failed: {}", e.toString());
            }
            stopped.countDown();
        }, "palisaded-stop"));
        stopped.await();
        return 0;
    }
}
