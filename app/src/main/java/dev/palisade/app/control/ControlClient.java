package dev.palisade.app.control;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client side of the control socket: sends one request, copies the
 * answer's lines to standard output and standard error as they arrive
 * (a {@code -T show} of a million entries streams), returns the exit status.
 */
public final class ControlClient {

    private ControlClient() {}

    /** Sends {@code req} to the daemon at {@code socket}; prints errors itself; returns the exit status. */
    public static int call(Path socket, ControlRequest req, PrintWriter out, PrintWriter err) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            err.println("pfctl: cannot create a Unix domain socket: " + e.getMessage());
            return 1;
        }
        try (ch) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                if (!Files.exists(socket)) {
                    err.println("pfctl: palisaded is not running: no control socket at " + socket);
                } else if (e instanceof AccessDeniedException || String.valueOf(e.getMessage()).contains("ermission")) {
                    err.println("pfctl: cannot connect to palisaded at " + socket + ": permission denied (needs root or group palisade)");
                } else {
                    err.println("pfctl: palisaded is not running: cannot connect to " + socket + ": " + e.getMessage());
                }
                return 1;
            }
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(ch), StandardCharsets.UTF_8), 1 << 16);
            req.write(w);
            BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8), 1 << 16);
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("1 ")) {
                    out.write(line, 2, line.length() - 2);
                    out.write('\n');
                } else if (line.startsWith("2 ")) {
                    out.flush();
                    err.write(line, 2, line.length() - 2);
                    err.write('\n');
                    err.flush();
                } else if (line.startsWith("exit ")) {
                    out.flush();
                    err.flush();
                    return Integer.parseInt(line.substring(5).trim());
                }
            }
            out.flush();
            err.println("pfctl: palisaded closed the connection without an answer (see its log)");
            return 1;
        } catch (IOException e) {
            out.flush();
            err.println("pfctl: talking to palisaded at " + socket + ": " + e.getMessage());
            return 1;
        }
    }
}
