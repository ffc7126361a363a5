package dev.palisade.services.payload.url;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The first bytes of real clients (openssl s_client, curl) as they send
 * them to a local socket, parsed by the urlfilter parsers. Skips when the
 * programs are missing.
 */
class RealClientsTest {

    static boolean have(String cmd) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, cmd))) return true;
        }
        return false;
    }

    /**
     * Starts {@code command} (with {@code %d} for the port) against a local
     * listener and returns what the client sent once {@code done} accepts it,
     * or all it sent before the 10 s deadline.
     */
    static byte[] firstBytes(String command, Function<byte[], Boolean> done) throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ss.setSoTimeout(10_000);
            List<String> argv = List.of(command.formatted(ss.getLocalPort()).split(" "));
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (Socket s = ss.accept()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[4096];
                while (System.nanoTime() < deadline) {
                    s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    if (n < 0) break;
                    got.write(buf, 0, n);
                    if (done.apply(got.toByteArray())) break;
                }
                return got.toByteArray();
            } finally {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void opensslClientHelloSni() throws Exception {
        Assumptions.assumeTrue(have("openssl"), "openssl not installed");
        byte[] hello = firstBytes("openssl s_client -connect 127.0.0.1:%d -servername x.example -quiet",
                b -> !(ClientHelloSni.parse(b, 0, b.length) instanceof HostName.NeedMore));
        assertEquals(new HostName.Found("x.example"), ClientHelloSni.parse(hello, 0, hello.length));
    }

    @Test
    void curlHttpsSniAndHttpHost() throws Exception {
        Assumptions.assumeTrue(have("curl"), "curl not installed");
        byte[] hello = firstBytes("curl -sk --max-time 10 --resolve blocked.example:%1$d:127.0.0.1 https://blocked.example:%1$d/",
                b -> !(ClientHelloSni.parse(b, 0, b.length) instanceof HostName.NeedMore));
        assertEquals(new HostName.Found("blocked.example"), ClientHelloSni.parse(hello, 0, hello.length));
        byte[] req = firstBytes("curl -s --max-time 10 --resolve Other.Example:%1$d:127.0.0.1 http://Other.Example:%1$d/path",
                b -> !(HttpHost.parse(b, 0, b.length) instanceof HostName.NeedMore));
        assertInstanceOf(HostName.Found.class, HttpHost.parse(req, 0, req.length));
        assertEquals(new HostName.Found("other.example"), HttpHost.parse(req, 0, req.length));
    }
}
