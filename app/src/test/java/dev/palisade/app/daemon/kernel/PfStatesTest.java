package dev.palisade.app.daemon.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.core.net.IpAddress;
import dev.palisade.kernel.compile.NftCompiler;
import dev.palisade.kernel.conntrack.Conntrack;
import java.util.List;
import org.junit.jupiter.api.Test;

/** pfctl's {@code -s states} lines from conntrack entries: direction from the mark, pf's level names. */
class PfStatesTest {

    private static Conntrack.State st(String src, int sport, String dst, int dport, int proto, String rsrc, int mark,
                                      int tcp, boolean seen, long[] pk) {
        return new Conntrack.State(new Conntrack.Entry(IpAddress.parse(src), IpAddress.parse(dst), proto, sport, dport),
                IpAddress.parse(rsrc), dport, mark, tcp, seen, 3725, pk, pk);
    }

    @Test
    void inboundPrintsOursFirstWithTheArrowBack() {
        Conntrack.State s = st("10.0.0.1", 5555, "10.0.0.2", 22, 6, "10.0.0.2", NftCompiler.CT_IN, 3, true, new long[]{-1, -1});
        assertEquals(List.of("all tcp 10.0.0.2:22 <- 10.0.0.1:5555       ESTABLISHED:ESTABLISHED"), PfStates.lines(s, false, false));
    }

    @Test
    void outboundOpeningAndVerboseDetails() {
        Conntrack.State s = st("10.0.0.2", 40000, "192.0.2.1", 80, 6, "192.0.2.1", NftCompiler.CT_OUT, 1, false,
                new long[]{3, 0});
        assertEquals(List.of("all tcp 10.0.0.2:40000 -> 192.0.2.1:80       SYN_SENT:CLOSED",
                        "   expires in 01:02:05, 3:0 pkts, 3:0 bytes, ct mark 0x40000000"),
                PfStates.lines(s, false, true));
    }

    @Test
    void inboundHalfOpenSwapsTheLevelsAndDnatShowsTheRealAddress() {
        Conntrack.State s = st("10.0.0.1", 5555, "10.0.0.2", 80, 6, "10.9.9.9", NftCompiler.CT_IN, 1, false,
                new long[]{-1, -1});
        assertEquals("all tcp 10.0.0.2:80 (10.9.9.9:80) <- 10.0.0.1:5555       CLOSED:SYN_SENT",
                PfStates.lines(s, false, false).getFirst());
    }

    @Test
    void udpAndIcmpAndIpv6() {
        assertEquals("all udp 2001:db8::1[53] -> 2001:db8::2[53]       MULTIPLE:MULTIPLE",
                PfStates.lines(st("2001:db8::1", 53, "2001:db8::2", 53, 17, "2001:db8::2", NftCompiler.CT_OUT, -1, true,
                        new long[]{-1, -1}), true, false).getFirst());
        assertEquals("all udp 10.0.0.1:53 -> 10.0.0.2:53       SINGLE:NO_TRAFFIC",
                PfStates.lines(st("10.0.0.1", 53, "10.0.0.2", 53, 17, "10.0.0.2", NftCompiler.CT_OUT, -1, false,
                        new long[]{-1, -1}), false, false).getFirst());
        assertEquals("all icmp 10.0.0.1 -> 10.0.0.2       0:0",
                PfStates.lines(st("10.0.0.1", 0, "10.0.0.2", 0, 1, "10.0.0.2", NftCompiler.CT_OUT, -1, true,
                        new long[]{-1, -1}), false, false).getFirst());
    }
}
