package dev.palisade.services.dnsbl;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real unbound, started by a test on 127.0.0.1 and a free high port,
 * serving static local zones; {@link #close()} kills it and removes its
 * directory. Use {@link #available()} to skip when unbound is not installed.
 */
final class Unbound implements AutoCloseable {

    static final String UNBOUND = "/usr/sbin/unbound";

    final int port;
    private final Path dir;
    private final Process process;

    static boolean available() {
        return new File(UNBOUND).canExecute();
    }

    /**
     * @param zones zone name to its records, each "OWNER A ADDRESS" relative to the zone
     *              (e.g. "2.0.0.127 A 127.0.0.2")
     */
    Unbound(Map<String, List<String>> zones) throws IOException, InterruptedException {
        port = freePort();
        dir = Files.createTempDirectory("palisade-unbound");
        StringBuilder c = new StringBuilder();
        c.append("server:\n")
                .append("  interface: 127.0.0.1\n")
                .append("  port: ").append(port).append('\n')
                .append("  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n")
                .append("  directory: \"").append(dir).append("\"\n")
                .append("  pidfile: \"").append(dir.resolve("unbound.pid")).append("\"\n")
                .append("  use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n")
                .append("  num-threads: 1\n  do-ip6: no\n  do-tcp: yes\n")
                .append("  access-control: 127.0.0.0/8 allow\n")
                .append("  module-config: \"iterator\"\n")
                .append("  outgoing-range: 64\n  num-queries-per-thread: 4096\n")
                .append("  ratelimit: 0\n  ip-ratelimit: 0\n  so-rcvbuf: 4m\n");
        for (var z : zones.entrySet()) {
            // a zone whose records say "refuse" answers every query with REFUSED
            boolean refuse = z.getValue().equals(List.of("refuse"));
            c.append("  local-zone: \"").append(z.getKey()).append(".\" ").append(refuse ? "refuse" : "static").append('\n');
            if (refuse) continue;
            for (String r : z.getValue()) {
                String[] p = r.split(" ", 2);
                c.append("  local-data: \"").append(p[0]).append('.').append(z.getKey()).append(". 60 IN ").append(p[1]).append("\"\n");
            }
        }
        c.append("remote-control:\n  control-enable: no\n");
        Path conf = dir.resolve("unbound.conf");
        Files.writeString(conf, c);
        process = new ProcessBuilder(UNBOUND, "-d", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("unbound.log").toFile()).start();
        try {
            awaitAnswering(zones.keySet().iterator().next(), Duration.ofSeconds(15));
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    private void awaitAnswering(String zone, Duration deadline) throws IOException, InterruptedException {
        SimpleResolver r = new SimpleResolver(address());
        r.setTimeout(Duration.ofMillis(200));
        Message q = Message.newQuery(Record.newRecord(Name.fromString("probe." + zone + "."), Type.A, DClass.IN));
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("unbound exited with " + process.exitValue() + ": " + Files.readString(dir.resolve("unbound.log")));
            }
            try {
                r.send(q);
                return; // any answer, whatever its rcode, means unbound is serving
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > end) {
                throw new IOException("unbound did not answer within " + deadline + ": " + Files.readString(dir.resolve("unbound.log")));
            }
            Thread.sleep(20);
        }
    }

    static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int p = s.getLocalPort();
                try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p))) {
                    return p;
                } catch (IOException udpTaken) {
                    // try another
                }
            }
        }
        throw new IOException("no free port for unbound");
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // temp dir cleanup
        }
    }
}
