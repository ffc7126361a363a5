package dev.palisade.kernel;

import dev.palisade.kernel.netlink.Netns;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Two fresh network namespaces joined by a veth pair, uniquely named per
 * test: {@code a} (10.N.0.1, fd00:N::1) and {@code b} (10.N.0.2, fd00:N::2).
 * {@link #close} always deletes both.
 */
public final class NetnsPair implements AutoCloseable {

    private static final AtomicInteger SEQ = new AtomicInteger();
    public final String a, b, vethA, vethB;
    public final int n;
    public final String a4, b4, a6, b6;

    private NetnsPair() throws Exception {
        int k = SEQ.incrementAndGet();
        long pid = ProcessHandle.current().pid();
        String tag = Long.toString(pid % 100000, 36) + k;
        a = "pala" + tag;
        b = "palb" + tag;
        vethA = "va" + tag;
        vethB = "vb" + tag;
        n = (int) ((pid * 7 + k) % 200) + 20;
        a4 = "10." + n + ".0.1";
        b4 = "10." + n + ".0.2";
        a6 = "fd00:" + n + "::1";
        b6 = "fd00:" + n + "::2";
        try {
            sh("ip", "netns", "add", a);
            sh("ip", "netns", "add", b);
            sh("ip", "link", "add", vethA, "netns", a, "type", "veth", "peer", "name", vethB, "netns", b);
            sh("ip", "-n", a, "addr", "add", a4 + "/24", "dev", vethA);
            sh("ip", "-n", b, "addr", "add", b4 + "/24", "dev", vethB);
            sh("ip", "-n", a, "addr", "add", a6 + "/64", "dev", vethA, "nodad");
            sh("ip", "-n", b, "addr", "add", b6 + "/64", "dev", vethB, "nodad");
            for (String ns : List.of(a, b)) sh("ip", "-n", ns, "link", "set", "lo", "up");
            sh("ip", "-n", a, "link", "set", vethA, "up");
            sh("ip", "-n", b, "link", "set", vethB, "up");
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** Skips the test unless root with the ip tool; then makes the pair. */
    public static NetnsPair create() throws Exception {
        assumeRoot();
        return new NetnsPair();
    }

    public static void assumeRoot() throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        Assumptions.assumeTrue(root, "needs root to create network namespaces; skipped");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")), "needs the ip tool (iproute2); skipped");
    }

    public <T> T in(String ns, Callable<T> task) throws Exception {
        return Netns.call(ns, task);
    }

    /** Runs a command, fails with its output when it fails; returns stdout. */
    public static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": timed out");
        }
        String s = out.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + s);
        return s;
    }

    public String exec(String ns, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return sh(c.toArray(String[]::new));
    }

    /** Waits for {@code cond} up to {@code millis}; polls every few milliseconds. */
    public static boolean await(long millis, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) return true;
            Thread.sleep(5);
        }
        return cond.getAsBoolean();
    }

    @Override
    public void close() {
        for (String ns : List.of(a, b)) {
            try {
                sh("ip", "netns", "del", ns);
            } catch (Exception e) {
                // not created
            }
        }
    }
}
