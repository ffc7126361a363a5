package dev.palisade.app.cli;

import dev.palisade.core.table.Tables;

/**
 * How a command that changes tables reaches them: palisaded's tables over its
 * control socket, or a test's own {@link Tables}.
 */
@FunctionalInterface
public interface TablesConnector {

    /** Thrown when the tables cannot be reached; the message says what is missing. */
    final class UnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        public UnavailableException(String message) {
            super(message);
        }
    }

    /** Connects; the result is used from several threads. */
    Tables connect() throws UnavailableException;

    /**
     * palisaded's tables.
     * XXX the lead connects this to palisaded's control socket at merge (the
     * daemon's tables and control socket are built in parallel); until then it
     * fails with a message naming what is missing, never silently falling
     * back to tables that would not reach the kernel.
     */
    TablesConnector PALISADED = () -> {
        throw new UnavailableException("palisaded's tables are not reachable from this build: the control socket client "
                + "is not wired in yet (a standalone pftabled would change tables that no firewall uses)");
    };
}
