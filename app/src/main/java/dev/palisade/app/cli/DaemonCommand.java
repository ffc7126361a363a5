package dev.palisade.app.cli;

import dev.palisade.app.config.PalisadeConf;
import dev.palisade.app.daemon.Defaults;
import dev.palisade.app.daemon.Palisaded;
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
@Command(name = "daemon", description = "Run palisaded: durable tables and the control socket (stops on SIGTERM).")
public final class DaemonCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger("palisaded");

    @Option(names = "-f", paramLabel = "PF_CONF", description = "The ruleset to load (pf.conf).")
    Path pfConf;

    @Option(names = "-c", paramLabel = "PALISADE_CONF", description = "palisade.conf: state directory, socket, allowlist.")
    Path conf;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the tables are kept (default /var/lib/palisade as root, ./state otherwise).")
    Path stateDir;

    @Option(names = "--socket", paramLabel = "PATH", description = "The control socket (default /run/palisade/palisaded.sock as root, $XDG_RUNTIME_DIR/palisade/palisaded.sock otherwise).")
    Path socket;

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
        log.info("starting as {} (pid {}), state {}, socket {}", Defaults.isRoot() ? "root" : System.getProperty("user.name"),
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
            d = Palisaded.start(new Palisaded.Settings(dir, sock, allow, Clock.systemDefaultZone()));
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
        if (pfConf != null) {
            Path reloadFrom = pfConf.toAbsolutePath();
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> Thread.ofPlatform().name("palisaded-reload").start(() -> {
                log.info("SIGHUP: reloading {}", reloadFrom);
                List<String> errs = kernel.reload(reloadFrom);
                for (String e : errs) log.error("{}", e);
                if (!errs.isEmpty()) log.error("{}: {} error(s); the previous ruleset stays", reloadFrom, errs.size());
            }));
        }
        // ---- end of the kernel side
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping (signal)");
            kernel.close(); // nothing is flushed: enforcement outlives the daemon
            try {
                d.close();
            } catch (Exception e) {
                log.error("stop failed: {}", e.toString());
            }
            stopped.countDown();
        }, "palisaded-stop"));
        stopped.await();
        return 0;
    }
}
