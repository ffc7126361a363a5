package dev.palisade.app.control;

import java.io.BufferedWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
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
            OutputStream sink = out instanceof StdoutWriter sw ? sw.bytes() : new LinesToWriter(out);
            return relay(ch, sink, err);
        } catch (StdoutClosed e) {
            return 1; // the reader went away (`| head`): pfctl dies of SIGPIPE there, without a word
        } catch (IOException e) {
            out.flush();
            err.println("pfctl: talking to palisaded at " + socket + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * Copies the answer's lines as they arrive: {@code 1 TEXT} to {@code out}
     * (the bytes as they are: no decoding, one write per line into a
     * buffer), {@code 2 TEXT} to {@code err}, until {@code exit N}.
     */
    static int relay(ReadableByteChannel ch, OutputStream stdout, PrintWriter err) throws IOException {
        OutputStream out = new FilterOutputStream(stdout) {
            @Override
            public void write(byte[] b, int off, int len) throws StdoutClosed {
                try {
                    stdout.write(b, off, len);
                } catch (IOException e) {
                    throw new StdoutClosed(e);
                }
            }

            @Override
            public void flush() throws StdoutClosed {
                try {
                    stdout.flush();
                } catch (IOException e) {
                    throw new StdoutClosed(e);
                }
            }
        };
        byte[] buf = new byte[1 << 16];
        int start = 0, end = 0; // unread bytes: buf[start, end)
        while (true) {
            for (int nl; (nl = indexOf(buf, start, end)) >= 0; start = nl + 1) {
                int len = nl - start;
                if (len >= 2 && buf[start] == '1' && buf[start + 1] == ' ') {
                    out.write(buf, start + 2, len - 1); // with its newline
                } else if (len >= 2 && buf[start] == '2' && buf[start + 1] == ' ') {
                    out.flush();
                    err.write(new String(buf, start + 2, len - 2, StandardCharsets.UTF_8));
                    err.write('\n');
                    err.flush();
                } else if (len >= 5 && new String(buf, start, 5, StandardCharsets.US_ASCII).equals("exit ")) {
                    out.flush();
                    err.flush();
                    return Integer.parseInt(new String(buf, start + 5, len - 5, StandardCharsets.US_ASCII).trim());
                }
            }
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buf.length) buf = java.util.Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
            int n = ch.read(ByteBuffer.wrap(buf, end, buf.length - end));
            if (n < 0) break;
            end += n;
        }
        out.flush();
        err.println("pfctl: palisaded closed the connection without an answer (see its log)");
        return 1;
    }

    private static int indexOf(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] == '\n') return i;
        return -1;
    }

    /** Standard output failed (a closed pipe): not the daemon's fault, so not reported as its. */
    static final class StdoutClosed extends IOException {
        StdoutClosed(IOException cause) {
            super(cause);
        }
    }

    /** Whole UTF-8 lines written as bytes, decoded onto a writer (the tests' and other callers' output). */
    private static final class LinesToWriter extends OutputStream {
        private final PrintWriter w;

        LinesToWriter(PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            w.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            w.write(new String(b, off, len, StandardCharsets.UTF_8));
        }

        @Override
        public void flush() {
            w.flush();
        }
    }
}
