package dev.palisade.app.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.palisade.app.control.ControlClient;
import dev.palisade.app.control.ControlRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability promise end to end: palisaded as a real child process,
 * concurrent clients streaming {@code -T add} over the control socket, a
 * {@code kill -9} in mid-stream, a restart on the same state directory:
 * every add that was acknowledged (exit 0) must be in the table.
 */
class KillNineTest {

    @TempDir
    Path tmp;
    final List<Process> children = new ArrayList<>();

    @AfterEach
    void cleanup() {
        for (Process p : children) p.destroyForcibly();
    }

    Process startDaemon(Path state, Path socket, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.palisade.app.Main", "daemon", "--state-dir", state.toString(), "--socket", socket.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        children.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (call(socket, new ControlRequest("ping", null, null, false, false, 0, List.of())).rc != 0) {
            if (!p.isAlive()) fail("palisaded exited with " + p.exitValue() + ": " + Files.readString(log));
            if (System.nanoTime() > deadline) fail("palisaded not ready within 60 s: " + Files.readString(log));
            LockSupport.parkNanos(20_000_000); // poll the condition, bounded by the deadline
        }
        return p;
    }

    record Answer(int rc, String out, String err) {}

    static Answer call(Path socket, ControlRequest req) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int rc = ControlClient.call(socket, req, new PrintWriter(o), new PrintWriter(e));
        return new Answer(rc, o.toString(), e.toString());
    }

    @Test
    void everyAcknowledgedAddSurvivesKillNine() throws Exception {
        Path state = tmp.resolve("state");
        Path socket = tmp.resolve("p.sock");
        Path log = tmp.resolve("palisaded.log");
        Process d = startDaemon(state, socket, log);

        ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger attempts = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            int base = k;
            clients.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String a = "10." + base + "." + (i >> 8 & 0xff) + "." + (i & 0xff);
                    attempts.incrementAndGet();
                    Answer r = call(socket, new ControlRequest("table", "k9", "add", false, true, 0, List.of(a)));
                    if (r.rc == 0) acked.add(a);
                }
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acked.size() < 1500 && System.nanoTime() < deadline) LockSupport.parkNanos(1_000_000);
        d.destroyForcibly(); // SIGKILL
        assertTrue(d.waitFor(30, TimeUnit.SECONDS), "palisaded did not die on SIGKILL");
        assertEquals(137, d.exitValue(), "killed by SIGKILL");
        stop.set(true);
        for (Thread t : clients) t.join();
        Set<String> ackedSet = new HashSet<>(acked);
        assertTrue(ackedSet.size() >= 1500, "only " + ackedSet.size() + " adds acknowledged before the kill");
        assertTrue(attempts.get() > ackedSet.size(), "the kill must land mid-stream (some adds unacknowledged)");

        startDaemon(state, socket, log);
        Answer show = call(socket, new ControlRequest("table", "k9", "show", false, false, 0, List.of()));
        assertEquals(0, show.rc, show.err);
        Set<String> present = new HashSet<>();
        for (String l : show.out.split("\n")) if (!l.isBlank()) present.add(l.trim());
        List<String> lost = new ArrayList<>();
        for (String a : ackedSet) if (!present.contains(a)) lost.add(a);
        assertTrue(lost.isEmpty(), lost.size() + " acknowledged adds lost after kill -9, e.g. " + lost.subList(0, Math.min(5, lost.size())));
        assertTrue(present.size() >= ackedSet.size());
    }
}
