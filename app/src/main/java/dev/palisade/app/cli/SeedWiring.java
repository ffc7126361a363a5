package dev.palisade.app.cli;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.table.Tables;
import dev.palisade.services.StateKiller;
import java.nio.file.Path;

/**
 * Where the compatible commands ({@code bofh-divert}, {@code dnsbl-divert},
 * {@code iblock}) meet the daemon and the kernel.
 *
 * <p>XXX the pieces are built in parallel and connected at merge: the
 * daemon's tables over the control socket (issue 4), the NFQUEUE reader and
 * conntrack delete (issue 5). Until then each method that has no piece to
 * call fails with one line that says which piece is missing; the commands'
 * argument checking and the services themselves are real.
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
        // XXX bind to the control-socket client of issue 4 (palisaded's Tables over the socket).
        throw new Unavailable("cannot reach palisaded's tables at " + socket
                + ": the control-socket client is not part of this build yet");
    }

    /** Kills the states of banned sources: the kernel's conntrack delete, or nothing without a kernel. */
    static StateKiller stateKiller() {
        // XXX bind to the kernel backend's conntrack delete (issue 5); until then states are left alone.
        return StateKiller.NONE;
    }

    /**
     * Reads divert port {@code port} (NFQUEUE queue {@code port}) and hands every packet to {@code diverter}.
     *
     * @return closes the queue
     */
    static AutoCloseable serveDivert(int port, Diverter diverter) throws Unavailable {
        // XXX bind to the kernel backend's NFQUEUE reader (issue 5).
        throw new Unavailable("cannot read divert port " + port + " (NFQUEUE " + port
                + "): the kernel queue reader is not part of this build yet");
    }
}
