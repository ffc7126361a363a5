package dev.palisade.kernel.nfqueue;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.divert.QueueFeatures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NFQUEUE in namespaces: packets from a to b's UDP port go to queue 3 read by a Java diverter. */
class NfQueueNamespaceTest {

    /** Drops "drop*", rewrites "rewr*" to upper case, passes "late*" from another thread, passes the rest at once. */
    static final class Judge implements Diverter {
        final List<DivertedPacket> seen = new CopyOnWriteArrayList<>();
        final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();

        @Override
        public String name() {
            return "judge";
        }

        @Override
        public void divert(DivertedPacket p, Consumer<Verdict> verdict) {
            seen.add(p);
            byte[] d = p.data();
            int ihl = (d[0] & 0x0f) * 4;
            int off = (d[0] >>> 4) == 6 ? 48 : ihl + 8;
            String payload = new String(d, off, d.length - off, StandardCharsets.US_ASCII);
            if (payload.startsWith("drop")) {
                verdict.accept(Verdict.DROP);
            } else if (payload.startsWith("rewr")) {
                byte[] n = d.clone();
                byte[] up = payload.toUpperCase().getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(up, 0, n, off, up.length);
                verdict.accept(new Verdict.Rewrite(n));
            } else if (payload.startsWith("late")) {
                later.schedule(() -> verdict.accept(Verdict.PASS), 20, TimeUnit.MILLISECONDS);
            } else {
                verdict.accept(Verdict.PASS);
            }
        }
    }

    @Test
    void divertedPacketsAreDroppedRewrittenAndPassed() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            Assumptions.assumeTrue(QueueFeatures.xtNfqueue(ns.b), "kernel lacks the xt NFQUEUE target; skipped");
            ns.exec(ns.b, "iptables", "-w", "-A", "INPUT", "-p", "udp", "--dport", "9000", "-j", "NFQUEUE", "--queue-num", "3");
            ns.exec(ns.b, "ip6tables", "-w", "-A", "INPUT", "-p", "udp", "--dport", "9000", "-j", "NFQUEUE", "--queue-num", "3");
            Judge judge = new Judge();
            Set<String> got = ConcurrentHashMap.newKeySet();
            try (NfQueueReader reader = NfQueueReader.start(3, judge, NfQueueReader.Options.DEFAULT, ns.b);
                 DatagramSocket rx = ns.in(ns.b, () -> new DatagramSocket(new InetSocketAddress("::", 9000)));
                 DatagramSocket tx = ns.in(ns.a, () -> new DatagramSocket(0))) {
                assertThrows(QueueTakenException.class,
                        () -> NfQueueReader.start(3, judge, NfQueueReader.Options.DEFAULT, ns.b).close(),
                        "a second socket binding queue 3 must be refused");
                rx.setSoTimeout(100);
                List<String> msgs = List.of("drop-1", "pass-1", "rewr-1", "late-1", "drop-2", "pass-2", "rewr-6");
                for (String m : msgs) {
                    String dst = m.endsWith("6") ? ns.b6 : ns.b4;
                    byte[] b = m.getBytes(StandardCharsets.US_ASCII);
                    tx.send(new DatagramPacket(b, b.length, InetAddress.getByName(dst), 9000));
                }
                byte[] buf = new byte[1500];
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!got.containsAll(Set.of("pass-1", "REWR-1", "late-1", "pass-2")) && System.nanoTime() < deadline) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        rx.receive(p);
                        got.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                    } catch (SocketTimeoutException e) {
                        // keep waiting until the deadline
                    }
                }
                assertTrue(NetnsPair.await(5000, () -> reader.packets() >= msgs.size()), "reader saw " + reader.packets());
                assertEquals(Set.of("pass-1", "REWR-1", "late-1", "pass-2", "REWR-6").size(), 5);
                assertTrue(got.containsAll(Set.of("pass-1", "REWR-1", "late-1", "pass-2")), "received " + got);
                assertTrue(NetnsPair.await(5000, () -> got.contains("REWR-6") || drain(rx, got)), "received " + got);
                assertFalse(got.stream().anyMatch(s -> s.startsWith("drop") || s.startsWith("rewr")), "received " + got);
                DivertedPacket first = judge.seen.get(0);
                assertEquals(3, first.queue());
                assertEquals(ns.vethB, first.inInterface(), "input interface name");
                assertEquals(null, first.outInterface());
                assertEquals(0, reader.errors());
                assertEquals(0, reader.outstanding());
            } finally {
                judge.later.shutdownNow();
            }
        }
    }

    private static boolean drain(DatagramSocket rx, Set<String> got) {
        try {
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            rx.receive(p);
            got.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
        } catch (Exception e) {
            // timeout
        }
        return got.contains("REWR-6");
    }
}
