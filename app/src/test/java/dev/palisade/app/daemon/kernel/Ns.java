package dev.palisade.app.daemon.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import dev.palisade.kernel.netlink.Netns;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Shell and socket helpers of the kernel side's namespace tests. */
final class Ns {
    private Ns() {
    }

    /** Runs {@code cmd}, output discarded; its exit code, -1 when it could not run or took over 30 s. */
    static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    static void must(String... cmd) {
        int rc = run(cmd);
        if (rc != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed with " + rc);
    }

    /** Runs {@code cmd}; its output and error output. */
    static String exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** Polls {@code cond} until it holds; fails the test after {@code millis}. */
    static void waitFor(BooleanSupplier cond, long millis, String what) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("not within " + millis + " ms: " + what);
            LockSupport.parkNanos(5_000_000); // poll the condition, bounded by the deadline
        }
    }

    /**
     * A TCP server in namespace {@code ns} on {@code addr:port} that accepts and closes every
     * connection, on a daemon thread that ends when the returned socket is closed.
     */
    static java.net.ServerSocket acceptAndClose(String ns, String addr, int port) throws Exception {
        java.net.ServerSocket server = Netns.call(ns, () -> new java.net.ServerSocket(port, 50, java.net.InetAddress.getByName(addr)));
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    server.accept().close();
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server;
    }

    /** Whether a TCP connection from namespace {@code ns} to {@code addr:port} is accepted within 400 ms (a drop times out). */
    static boolean connects(String ns, String addr, int port) {
        try {
            return Netns.call(ns, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(addr, port), 400);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (Exception e) {
            return false;
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A firewall namespace and a peer joined by a veth pair ({@code vf}/{@code vp}) on 10.{@code second}.N.0/24,
     * the firewall .1, the peer .2, both lo and veths up. Unique names; {@link #close()} removes both.
     */
    record Pair(String fw, String peer, String vf, String vp, String net, String fwAddr, String peerAddr)
            implements AutoCloseable {
        static Pair create(String prefix, int second) {
            long n = (ProcessHandle.current().pid() * 13 + SEQ.incrementAndGet()) % 200 + 20;
            String tag = Long.toString(ProcessHandle.current().pid(), 36) + prefix + SEQ.get();
            String net = "10." + second + "." + n + ".";
            Pair p = new Pair(prefix + "f" + tag, prefix + "p" + tag, "vf" + prefix + tag, "vp" + prefix + tag,
                    net + "0/24", net + "1", net + "2");
            try {
                must("ip", "netns", "add", p.fw);
                must("ip", "netns", "add", p.peer);
                must("ip", "-n", p.fw, "link", "add", p.vf, "type", "veth", "peer", "name", p.vp, "netns", p.peer);
                must("ip", "-n", p.fw, "addr", "add", p.fwAddr + "/24", "dev", p.vf);
                must("ip", "-n", p.peer, "addr", "add", p.peerAddr + "/24", "dev", p.vp);
                for (String ns : List.of(p.fw, p.peer)) must("ip", "-n", ns, "link", "set", "lo", "up");
                must("ip", "-n", p.fw, "link", "set", p.vf, "up");
                must("ip", "-n", p.peer, "link", "set", p.vp, "up");
            } catch (RuntimeException e) {
                p.close();
                throw e;
            }
            return p;
        }

        /** An address of the pair's network: {@code host} is the last octet. */
        String addr(int host) {
            return net.substring(0, net.lastIndexOf('.') + 1) + host;
        }

        /** {@code nft ARGS} in the firewall namespace: its output. */
        String nft(String... args) {
            String[] c = new String[args.length + 5];
            System.arraycopy(new String[]{"ip", "netns", "exec", fw, "nft"}, 0, c, 0, 5);
            System.arraycopy(args, 0, c, 5, args.length);
            try {
                return exec(c);
            } catch (IOException | InterruptedException e) {
                return "";
            }
        }

        @Override
        public void close() {
            run("ip", "netns", "del", fw);
            run("ip", "netns", "del", peer);
        }
    }
}
