package dev.palisade.app.daemon.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import dev.palisade.kernel.netlink.Netns;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
}
