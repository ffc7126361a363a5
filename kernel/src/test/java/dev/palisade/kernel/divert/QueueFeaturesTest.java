package dev.palisade.kernel.divert;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.nfqueue.NfQueueReader;
import dev.palisade.kernel.nft.NftRunner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe finds a divert path and leaves nothing behind; the xt fallback delivers marked packets to a queue. */
class QueueFeaturesTest {

    @Test
    void probeFindsAPathAndTheXtFallbackDelivers() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            QueueFeatures.Path path = QueueFeatures.probe(ns.b);
            assertNotEquals(QueueFeatures.Path.NONE, path, "this kernel can divert one way or the other");
            assertFalse(ns.exec(ns.b, "nft", "list", "tables").contains("palisade_probe"), "the probe table is gone");
            assertFalse(ns.exec(ns.b, "iptables", "-S").contains("PALISADE-PROBE"), "the probe chain is gone");
            Assumptions.assumeTrue(QueueFeatures.xtNfqueue(ns.b), "no xt NFQUEUE target; fallback not testable");

            // Palisade's table marks what it diverts; XtDivert sends marked packets to the queue.
            new NftRunner("paldiv", ns.b, 30_000).load("""
                    table inet paldiv {
                      chain input { type filter hook input priority -10; udp dport 9006 meta mark set 0x6; }
                    }
                    """);
            XtDivert xt = new XtDivert(ns.b);
            xt.install(List.of(new XtDivert.Rule(6, 6, false)));
            try {
                String rules = ns.exec(ns.b, "iptables", "-S");
                assertTrue(rules.contains("-A INPUT -j PALISADE-DIVERT") && rules.contains("--queue-num 6"), rules);
                AtomicInteger seen = new AtomicInteger();
                AtomicInteger firstPort = new AtomicInteger(-1);
                Diverter d = new Diverter() {
                    public String name() {
                        return "seen";
                    }

                    public void divert(DivertedPacket p, Consumer<Verdict> v) {
                        byte[] x = p.data();
                        int ihl = (x[0] & 0x0f) * 4;
                        firstPort.compareAndSet(-1, ((x[ihl + 2] & 0xff) << 8) | (x[ihl + 3] & 0xff));
                        seen.incrementAndGet();
                        v.accept(Verdict.PASS);
                    }
                };
                try (NfQueueReader r = NfQueueReader.start(6, d, NfQueueReader.Options.DEFAULT, ns.b);
                     DatagramSocket tx = ns.in(ns.a, () -> new DatagramSocket(0))) {
                    byte[] b = "hi".getBytes(StandardCharsets.US_ASCII);
                    tx.send(new DatagramPacket(b, b.length, InetAddress.getByName(ns.b4), 9007)); // not marked
                    tx.send(new DatagramPacket(b, b.length, InetAddress.getByName(ns.b4), 9006));
                    assertTrue(NetnsPair.await(5000, () -> seen.get() >= 1), "the marked packet reached queue 6");
                    assertTrue(firstPort.get() == 9006, "the unmarked packet (sent first) was not diverted: " + firstPort.get());
                }
            } finally {
                xt.remove();
            }
            assertFalse(ns.exec(ns.b, "iptables", "-S").contains("PALISADE"), "remove() leaves iptables clean");
            assertFalse(ns.exec(ns.b, "ip6tables", "-S").contains("PALISADE"), "remove() leaves ip6tables clean");
        }
    }
}
