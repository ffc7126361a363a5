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

    /** palisaded's tables at its default control socket. */
    TablesConnector PALISADED = () -> at(dev.palisade.app.daemon.Defaults.socket()).connect();

    /** palisaded's tables over the control socket at {@code socket}. */
    static TablesConnector at(java.nio.file.Path socket) {
        return () -> {
            try {
                return dev.palisade.app.control.ControlTables.connect(socket);
            } catch (IllegalStateException e) {
                throw new UnavailableException("cannot reach palisaded's tables at " + socket + ": " + e.getMessage());
            }
        };
    }
}
