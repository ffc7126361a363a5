package dev.palisade.app.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where palisaded keeps its state and its control socket when neither the
 * command line nor palisade.conf says: {@code /var/lib/palisade} and
 * {@code /run/palisade/palisaded.sock} as root; otherwise {@code ./state}
 * and {@code $XDG_RUNTIME_DIR/palisade/palisaded.sock} (or
 * {@code ./state/palisaded.sock} without {@code XDG_RUNTIME_DIR}), so that
 * the daemon runs for anyone. The client uses the same rule to find the socket.
 */
public final class Defaults {

    private Defaults() {}

    public static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    public static Path stateDir() {
        return isRoot() ? Path.of("/var/lib/palisade") : Path.of("state").toAbsolutePath();
    }

    public static Path socket() {
        if (isRoot()) return Path.of("/run/palisade/palisaded.sock");
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) return Path.of(xdg, "palisade", "palisaded.sock");
        return stateDir().resolve("palisaded.sock");
    }
}
