package dev.palisade.services.payload.ns;

import dev.palisade.kernel.netlink.Netns;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Two fresh network namespaces joined by a veth pair, uniquely named per
 * test: {@code a} (the client, 10.77.X.Y+1 and fd00:77:X:Y::1) and {@code b}
 * (the server, 10.77.X.Y+2 and fd00:77:X:Y::2). Programs started with {@link #spawn} are killed and both
 * namespaces deleted by {@link #close}. (The kernel module's test helper is
 * not on this module's test class path; this is the small part we need.)
 */
public final class NsPair implements AutoCloseable {

    /** A command's exit status and its merged output. */
    public record Result(int exit, String output) {}

    public final String a, b, vethA, vethB, a4, b4, a6, b6;
    /** The router between a and b ({@link #routed}), or null when a and b share a link. */
    public final String r;
    private final List<Process> spawned = new ArrayList<>();

    private NsPair(boolean routed) throws IOException, InterruptedException {
        String tag = Long.toString(ProcessHandle.current().pid() % 10000, 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        a = "pdna" + tag;
        b = "pdnb" + tag;
        vethA = "pda" + tag;
        vethB = "pdb" + tag;
        int x = ThreadLocalRandom.current().nextInt(256), y = ThreadLocalRandom.current().nextInt(256);
        String hx = Integer.toHexString(x), hy = Integer.toHexString(y);
        r = routed ? "pdnr" + tag : null;
        if (!routed) {
            a4 = "10.77." + x + "." + (y & ~3 | 1);
            b4 = "10.77." + x + "." + (y & ~3 | 2);
            a6 = "fd00:77:" + hx + ":" + hy + "::1";
            b6 = "fd00:77:" + hx + ":" + hy + "::2";
        } else {
            a4 = "10.78." + x + ".1";
            b4 = "10.79." + x + ".2";
            a6 = "fd00:78:" + hx + ":" + hy + "::1";
            b6 = "fd00:79:" + hx + ":" + hy + "::2";
        }
        try {
            sh("ip", "netns", "add", a);
            sh("ip", "netns", "add", b);
            if (!routed) {
                sh("ip", "link", "add", vethA, "netns", a, "type", "veth", "peer", "name", vethB, "netns", b);
                sh("ip", "-n", a, "addr", "add", a4 + "/30", "dev", vethA);
                sh("ip", "-n", b, "addr", "add", b4 + "/30", "dev", vethB);
                sh("ip", "-n", a, "addr", "add", a6 + "/64", "dev", vethA, "nodad");
                sh("ip", "-n", b, "addr", "add", b6 + "/64", "dev", vethB, "nodad");
            } else {
                // a -- (vethA | ra) r (rb | vethB) -- b, r forwarding, each end's default route via r.
                sh("ip", "netns", "add", r);
                String ra = "pra" + tag, rb = "prb" + tag;
                sh("ip", "link", "add", vethA, "netns", a, "type", "veth", "peer", "name", ra, "netns", r);
                sh("ip", "link", "add", vethB, "netns", b, "type", "veth", "peer", "name", rb, "netns", r);
                sh("ip", "-n", a, "addr", "add", a4 + "/24", "dev", vethA);
                sh("ip", "-n", b, "addr", "add", b4 + "/24", "dev", vethB);
                sh("ip", "-n", r, "addr", "add", "10.78." + x + ".254/24", "dev", ra);
                sh("ip", "-n", r, "addr", "add", "10.79." + x + ".254/24", "dev", rb);
                sh("ip", "-n", a, "addr", "add", a6 + "/64", "dev", vethA, "nodad");
                sh("ip", "-n", b, "addr", "add", b6 + "/64", "dev", vethB, "nodad");
                sh("ip", "-n", r, "addr", "add", "fd00:78:" + hx + ":" + hy + "::fe/64", "dev", ra, "nodad");
                sh("ip", "-n", r, "addr", "add", "fd00:79:" + hx + ":" + hy + "::fe/64", "dev", rb, "nodad");
                for (String l : List.of("lo", ra, rb)) sh("ip", "-n", r, "link", "set", l, "up");
                sh("ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
                sh("ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
            }
            for (String ns : List.of(a, b)) sh("ip", "-n", ns, "link", "set", "lo", "up");
            sh("ip", "-n", a, "link", "set", vethA, "up");
            sh("ip", "-n", b, "link", "set", vethB, "up");
            if (routed) {
                sh("ip", "-n", a, "route", "add", "default", "via", "10.78." + x + ".254");
                sh("ip", "-n", b, "route", "add", "default", "via", "10.79." + x + ".254");
                sh("ip", "-n", a, "-6", "route", "add", "default", "via", "fd00:78:" + hx + ":" + hy + "::fe");
                sh("ip", "-n", b, "-6", "route", "add", "default", "via", "fd00:79:" + hx + ":" + hy + "::fe");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Skips the test unless root with ip and iptables (and {@code tools}); then makes the pair. */
    public static NsPair create(String... tools) throws IOException, InterruptedException {
        assume(tools);
        return new NsPair(false);
    }

    /** As {@link #create}, but a and b are on two links joined by a third namespace {@link #r} that routes. */
    public static NsPair routed(String... tools) throws IOException, InterruptedException {
        assume(tools);
        return new NsPair(true);
    }

    static void assume(String... tools) throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        Assumptions.assumeTrue(root, "needs root to create network namespaces; skipped");
        List<String> need = new ArrayList<>(List.of("ip", "iptables"));
        need.addAll(List.of(tools));
        for (String t : need) Assumptions.assumeTrue(onPath(t), "needs " + t + " on the PATH; skipped");
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (new File(dir, tool).canExecute()) return true;
        }
        return new File("/usr/sbin", tool).canExecute() || new File("/sbin", tool).canExecute();
    }

    /** Runs {@code task} on a thread inside namespace {@code ns}; sockets it creates stay there. */
    public <T> T in(String ns, Callable<T> task) throws Exception {
        return Netns.call(ns, task);
    }

    /** Runs a command inside {@code ns} within {@code seconds}; fails with its output when it fails. */
    public String exec(String ns, String... cmd) throws IOException, InterruptedException {
        Result r = run(ns, 30, cmd);
        if (r.exit != 0) throw new IOException(String.join(" ", cmd) + " in " + ns + ": exit " + r.exit + ": " + r.output);
        return r.output;
    }

    /** Runs a command inside {@code ns} (null: here), killed after {@code seconds}; returns its status and output. */
    public static Result run(String ns, int seconds, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>();
        if (ns != null) c.addAll(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // Read on another thread so that a silent, hung command still meets the deadline.
        // (its own thread, not the common pool, which a busy test may have filled)
        var out = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofPlatform().daemon().name("output-" + cmd[0]).start(() -> {
            try {
                out.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.complete("(output lost: " + e + ")");
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(String.join(" ", c) + ": did not finish within " + seconds + " s: " + out.join());
        }
        return new Result(p.exitValue(), out.join());
    }

    static String sh(String... cmd) throws IOException, InterruptedException {
        Result r = run(null, 30, cmd);
        if (r.exit != 0) throw new IOException(String.join(" ", cmd) + ": exit " + r.exit + ": " + r.output);
        return r.output;
    }

    /** Starts a long-running program inside {@code ns}, output to {@code log}; {@link #close} kills it. */
    public Process spawn(String ns, Path log, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        synchronized (spawned) {
            spawned.add(p);
        }
        return p;
    }

    @Override
    public void close() {
        synchronized (spawned) {
            for (Process p : spawned) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (String ns : r == null ? List.of(a, b) : List.of(a, b, r)) {
            try {
                sh("ip", "netns", "del", ns);
            } catch (Exception e) {
                // not created
            }
        }
    }
}
