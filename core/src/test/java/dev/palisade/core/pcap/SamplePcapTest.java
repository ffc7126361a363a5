package dev.palisade.core.pcap;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** examples/sample.pcap (recorded by examples/make-sample-pcap.sh from real traffic) decodes completely. */
class SamplePcapTest {
    static Path sample() {
        for (Path p : new Path[] {Path.of("examples/sample.pcap"), Path.of("../examples/sample.pcap")}) {
            if (Files.exists(p)) return p;
        }
        return null;
    }

    @Test
    void everyPacketDecodesAndEachFlowKindIsThere() throws Exception {
        Path f = sample();
        assumeTrue(f != null, "examples/sample.pcap not found from " + Path.of("").toAbsolutePath());
        int syn4 = 0, syn6 = 0, rst = 0, dnsQ = 0, dnsA = 0, unreach4 = 0, unreach6 = 0, echo4 = 0, echo6 = 0, n = 0;
        Packet p = new Packet();
        try (CaptureReader r = CaptureReader.open(f)) {
            CaptureRecord rec = new CaptureRecord();
            while (r.next(rec)) {
                n++;
                assertEquals(LinkType.ETHERNET, rec.linkType());
                assertEquals(14, rec.ipOffset());
                assertEquals(Malformed.NONE, p.decode(rec.data(), rec.ipOffset(), rec.length() - 14), "packet " + rec.number() + ": " + p);
                if (p.proto() == Packet.PROTO_TCP && p.tcpFlags() == Packet.TH_SYN && p.dstPort() == 8080) {
                    if (p.v6()) syn6++; else syn4++;
                }
                if (p.proto() == Packet.PROTO_TCP && p.tcpFlag(Packet.TH_RST)) rst++;
                if (p.proto() == Packet.PROTO_UDP && p.dstPort() == 53) dnsQ++;
                if (p.proto() == Packet.PROTO_UDP && p.srcPort() == 53) dnsA++;
                if (p.icmpType() == 3 && p.icmpCode() == 3 && !p.v6()) {
                    assertEquals(9999, p.embedded().dstPort());
                    assertEquals(p.dst(), p.embedded().src());
                    unreach4++;
                }
                if (p.v6() && p.icmpType() == 1 && p.icmpCode() == 4) {
                    assertEquals(9999, p.embedded().dstPort());
                    unreach6++;
                }
                if (!p.v6() && (p.icmpType() == 8 || p.icmpType() == 0)) echo4++;
                if (p.v6() && (p.icmpType() == 128 || p.icmpType() == 129)) echo6++;
            }
            assertEquals(0, r.badRecords());
        }
        assertTrue(n > 30, "packets: " + n);
        assertEquals(1, syn4);
        assertEquals(1, syn6);
        assertEquals(4, rst);
        assertEquals(1, dnsQ);
        assertEquals(1, dnsA);
        assertEquals(1, unreach4);
        assertEquals(1, unreach6);
        assertEquals(2, echo4);
        assertEquals(2, echo6);
    }
}
