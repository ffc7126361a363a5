package dev.palisade.kernel.compile;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.divert.QueueFeatures;
import dev.palisade.kernel.divert.XtDivert;
import dev.palisade.kernel.nfqueue.NfQueueReader;
import dev.palisade.kernel.nft.NftRunner;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * divert-packet through the compiled program on whichever path the kernel
 * has (nft's queue, or marks and the xt NFQUEUE target): a diverted packet
 * reaches the Java diverter, which passes or drops it; a packet that a later
 * (deciding) block rule blocks is dropped and never reaches the diverter.
 */
class DivertNamespaceTest {

    static final class Judge implements Diverter {
        final Set<String> seen = ConcurrentHashMap.newKeySet();

        @Override
        public String name() {
            return "judge";
        }

        @Override
        public void divert(DivertedPacket p, Consumer<Verdict> verdict) {
            byte[] d = p.data();
            int off = (d[0] & 0x0f) * 4 + 8;
            String payload = new String(d, off, d.length - off, StandardCharsets.US_ASCII);
            seen.add(payload);
            verdict.accept(payload.startsWith("drop") ? Verdict.DROP : Verdict.PASS);
        }
    }

    @Test
    void divertedPacketsReachTheDiverterAndBlockedOnesDoNot() throws Exception {
        try (NetnsPair ns = NetnsPair.create()) {
            QueueFeatures.Path path = QueueFeatures.probe(ns.b);
            Assumptions.assumeTrue(path != QueueFeatures.Path.NONE, "no NFQUEUE path in this kernel; skipped");
            HostProfile host = HostProfile.parse("interface " + ns.vethB + " " + ns.b4 + "/24\n", "netns");
            var rs = CompilerFixtures.parse("divert.conf", """
                    pass in proto udp to port { 9200, 9201 } no state divert-packet port 5
                    block in proto udp to port 9201
                    """, host);
            NftProgram p = ((CompileResult.Compiled) NftCompiler.compile(rs, host,
                    NftCompiler.Options.defaults().withDivertPath(path))).program();
            new NftRunner("palisade", ns.b, 30_000).load(p.text());
            XtDivert xt = new XtDivert(ns.b);
            if (path == QueueFeatures.Path.XT_NFQUEUE) xt.install(p.xtDiverts(), NftCompiler.DIVERT_MASK);
            Judge judge = new Judge();
            try (NfQueueReader reader = NfQueueReader.start(5, judge, NfQueueReader.Options.DEFAULT, ns.b);
                 DatagramSocket rx200 = ns.in(ns.b, () -> new DatagramSocket(new InetSocketAddress("0.0.0.0", 9200)));
                 DatagramSocket rx201 = ns.in(ns.b, () -> new DatagramSocket(new InetSocketAddress("0.0.0.0", 9201)));
                 DatagramSocket tx = ns.in(ns.a, () -> new DatagramSocket(0))) {
                rx200.setSoTimeout(100);
                rx201.setSoTimeout(100);
                send(tx, ns.b4, 9200, "pass-1");
                send(tx, ns.b4, 9200, "drop-1");
                send(tx, ns.b4, 9201, "blocked-1");
                send(tx, ns.b4, 9200, "pass-2");
                Set<String> got = ConcurrentHashMap.newKeySet();
                long end = System.nanoTime() + 5_000_000_000L;
                while (!got.containsAll(Set.of("pass-1", "pass-2")) && System.nanoTime() < end) receive(rx200, got);
                assertTrue(got.containsAll(Set.of("pass-1", "pass-2")), "passed by the diverter: " + got);
                assertTrue(NetnsPair.await(3000, () -> judge.seen.contains("drop-1")), "diverter saw " + judge.seen);
                receive(rx200, got);
                receive(rx201, got);
                assertFalse(got.contains("drop-1"), "the diverter dropped it: " + got);
                assertFalse(got.contains("blocked-1"), "blocked by the deciding rule: " + got);
                assertFalse(judge.seen.contains("blocked-1"), "a blocked packet is not diverted: " + judge.seen);
                assertTrue(reader.packets() >= 3, "reader saw " + reader.packets());
            } finally {
                if (path == QueueFeatures.Path.XT_NFQUEUE) xt.remove();
            }
        }
    }

    static void send(DatagramSocket tx, String to, int port, String msg) throws Exception {
        byte[] b = msg.getBytes(StandardCharsets.US_ASCII);
        tx.send(new DatagramPacket(b, b.length, InetAddress.getByName(to), port));
    }

    static void receive(DatagramSocket rx, Set<String> got) throws Exception {
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            rx.receive(p);
            got.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
        } catch (SocketTimeoutException e) {
            // nothing within the socket timeout
        }
    }
}
