package dev.palisade.app.cli;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.table.Tables;
import dev.palisade.services.StateKiller;
import java.nio.file.Path;

/**
 * Where the compatible commands ({@code bofh-divert}, {@code dnsbl-divert},
 * {@code iblock}) meet the daemon and the kernel.
 *
 * <p>The daemon's tables over the control socket
 * ({@link dev.palisade.app.control.ControlTables}) and the kernel's NFQUEUE
 * reader; each failure is one line for the user.
 */
final class SeedWiring {

    private SeedWiring() {}

    /** A piece of the system this build does not have; the message is one line for the user. */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    /** The running daemon's tables, reached over its control socket. */
    static Tables daemonTables(Path socket) throws Unavailable {
        try {
            return dev.palisade.app.control.ControlTables.connect(socket);
        } catch (IllegalStateException e) {
            throw new Unavailable("cannot reach palisaded's tables at " + socket + ": " + e.getMessage());
        }
    }

    /**
     * Kills the states of banned sources. XXX a standalone command kills no states: conntrack
     * deletion is the daemon's (its kernel side supplies the StateKiller); bans still block new packets.
     */
    static StateKiller stateKiller() {
        return StateKiller.NONE;
    }

    /**
     * Reads divert port {@code port} (NFQUEUE queue {@code port}) and hands every packet to {@code diverter}.
     *
     * @return closes the queue
     */
    static AutoCloseable serveDivert(int port, Diverter diverter) throws Unavailable {
        try {
            return dev.palisade.kernel.nfqueue.NfQueueReader.start(port, diverter,
                    dev.palisade.kernel.nfqueue.NfQueueReader.Options.DEFAULT, null);
        } catch (Exception e) {
            throw new Unavailable("cannot read divert port " + port + " (NFQUEUE " + port + "): "
                    + (dev.palisade.app.daemon.Defaults.isRoot() ? e.getMessage() : "not root (reading a queue needs root or CAP_NET_ADMIN)"));
        }
    }
}
