package dev.palisade.app.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The client's copy of the daemon's answer: lines split across reads, long lines, UTF-8 untouched. */
class ControlClientRelayTest {

    /** A channel that hands out {@code text} at most {@code step} bytes per read. */
    static ReadableByteChannel trickle(String text, int step) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return new ReadableByteChannel() {
            int at;

            @Override
            public int read(ByteBuffer dst) {
                if (at == b.length) return -1;
                int n = Math.min(Math.min(step, dst.remaining()), b.length - at);
                dst.put(b, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void linesGoWhereTheirPrefixSaysWhateverTheReadsCut() throws Exception {
        String longLine = "x".repeat(150_000);
        String answer = "1 192.0.2.1\n2 1/1 addresses added.\n1 \u00fcber 2001:db8::/48\n1 " + longLine + "\nexit 3\n1 after\n";
        for (int step : new int[] {1, 7, 4096, 1 << 20}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            StringWriter err = new StringWriter();
            int rc = ControlClient.relay(trickle(answer, step), out, new PrintWriter(err));
            assertEquals(3, rc, "step " + step);
            assertEquals("192.0.2.1\n\u00fcber 2001:db8::/48\n" + longLine + "\n", out.toString(StandardCharsets.UTF_8), "step " + step);
            assertEquals("1/1 addresses added.\n", err.toString(), "step " + step);
        }
    }

    @Test
    void anAnswerWithoutExitIsAnError() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        assertEquals(1, ControlClient.relay(trickle("1 a\n1 b", 3), out, new PrintWriter(err)));
        assertEquals("a\n", out.toString(StandardCharsets.UTF_8), "a line cut by the daemon's end is not printed");
        assertEquals("pfctl: palisaded closed the connection without an answer (see its log)\n",
                err.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void aClosedStdoutEndsTheCopyAsItsOwnError() {
        java.io.OutputStream closed = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        };
        StringWriter err = new StringWriter();
        org.junit.jupiter.api.Assertions.assertThrows(ControlClient.StdoutClosed.class,
                () -> ControlClient.relay(trickle("1 a\nexit 0\n", 64), closed, new PrintWriter(err)));
        assertEquals("", err.toString(), "nothing said about the daemon");
    }
}
