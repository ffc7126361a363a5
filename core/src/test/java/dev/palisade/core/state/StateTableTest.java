package dev.palisade.core.state;

import static dev.palisade.core.packet.TestPackets.*;
import static dev.palisade.core.state.StateVerdict.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.packet.Checksums;
import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StateTableTest {
    static final int SYN = Packet.TH_SYN, ACK = Packet.TH_ACK, FIN = Packet.TH_FIN, RST = Packet.TH_RST, PSH = Packet.TH_PUSH;
    static final String C = "10.0.0.1", S = "192.0.2.80";

    /** A clock the test moves. */
    static final class TestClock implements InstantSource {
        long millis = 1_700_000_000_000L;

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public long millis() {
            return millis;
        }

        void advance(long seconds) {
            millis += seconds * 1000;
        }
    }

    final TestClock clock = new TestClock();
    final StateTable st = new StateTable(clock, new Random(7));

    static Packet pk(byte[] b) {
        Packet p = new Packet();
        assertEquals(Malformed.NONE, p.decode(b));
        return p;
    }

    static byte[] t4(String src, int sp, String dst, int dp, long seq, long ack, int flags, int win, byte[] opts, int len) {
        return v4(6, src, dst, tcp(sp, dp, seq, ack, flags, win, opts, new byte[len]));
    }

    static final byte[] NO = new byte[0];

    /** Client C:40000 -> server S:80, inbound; handshake, data both ways, close. */
    @Test
    void tcpLifecycleAndTimeouts() {
        int id = st.create(pk(t4(C, 40000, S, 80, 1000, 0, SYN, 64000, NO, 0)), true, 1, StateOptions.keep(3));
        assertTrue(id >= 0);
        assertEquals(Timeout.TCP_FIRST, st.timeout(id));
        assertEquals(TcpStates.SYN_SENT, st.peerState(id, 0));
        assertEquals(TcpStates.CLOSED, st.peerState(id, 1));
        // SYN|ACK goes out
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40000, 5000, 1001, SYN | ACK, 65000, NO, 0)), false, 1));
        assertFalse(st.lastForward());
        assertEquals(id, st.lastId());
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 0));
        assertEquals(TcpStates.SYN_SENT, st.peerState(id, 1));
        assertEquals(Timeout.TCP_OPENING, st.timeout(id));
        assertEquals(PASS, st.test(pk(t4(C, 40000, S, 80, 1001, 5001, ACK, 64000, NO, 0)), true, 1));
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 1));
        assertEquals(Timeout.TCP_ESTABLISHED, st.timeout(id));
        assertEquals("all tcp 192.0.2.80:80 <- 10.0.0.1:40000       ESTABLISHED:ESTABLISHED", st.entry(id).toString());
        // data
        assertEquals(PASS, st.test(pk(t4(C, 40000, S, 80, 1001, 5001, ACK | PSH, 64000, NO, 100)), true, 1));
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40000, 5001, 1101, ACK | PSH, 65000, NO, 1400)), false, 1));
        // the same segment seen going out (another interface): not this state's orientation
        assertEquals(NO_STATE, st.test(pk(t4(C, 40000, S, 80, 1101, 6401, ACK, 64000, NO, 0)), false, 2));
        // close: server FIN, client ACK+FIN, server ACK
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40000, 6401, 1101, FIN | ACK, 65000, NO, 0)), false, 1));
        assertEquals(TcpStates.CLOSING, st.peerState(id, 1));
        assertEquals(Timeout.TCP_CLOSING, st.timeout(id));
        assertEquals(PASS, st.test(pk(t4(C, 40000, S, 80, 1101, 6402, FIN | ACK, 64000, NO, 0)), true, 1));
        assertEquals(TcpStates.FIN_WAIT_2, st.peerState(id, 1));
        assertEquals(TcpStates.CLOSING, st.peerState(id, 0));
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40000, 6402, 1102, ACK, 65000, NO, 0)), false, 1));
        assertEquals(TcpStates.FIN_WAIT_2, st.peerState(id, 0));
        assertEquals(Timeout.TCP_CLOSED, st.timeout(id));
        StateEntry e = st.entry(id);
        assertEquals(4, e.packetsFwd());
        assertEquals(4, e.packetsRev());
        assertEquals(3, e.ruleId());
        // a new SYN on the closed state: removed, back to the rules
        assertEquals(REUSED, st.test(pk(t4(C, 40000, S, 80, 90000, 0, SYN, 64000, NO, 0)), true, 1));
        assertEquals(0, st.size());
        assertEquals(0, st.ruleStates(3));
    }

    int established(String c, int cp, String s, int sp, int cwin, int swin, byte[] cOpts, byte[] sOpts) {
        int id = st.create(pk(t4(c, cp, s, sp, 1000, 0, SYN, cwin, cOpts, 0)), true, 1, StateOptions.keep(1));
        assertEquals(PASS, st.test(pk(t4(s, sp, c, cp, 5000, 1001, SYN | ACK, swin, sOpts, 0)), false, 1));
        assertEquals(PASS, st.test(pk(t4(c, cp, s, sp, 1001, 5001, ACK, cwin, NO, 0)), true, 1));
        return id;
    }

    @Test
    void segmentsOutsideTheWindowAreBadState() {
        int id = established(C, 40001, S, 80, 2000, 3000, NO, NO);
        // the server's window is 3000: data ending beyond 1001+3000 is refused
        assertEquals(BAD_STATE, st.test(pk(t4(C, 40001, S, 80, 1001 + 2500, 5001, ACK, 2000, NO, 1000)), true, 1));
        assertEquals(PASS, st.test(pk(t4(C, 40001, S, 80, 1001 + 1500, 5001, ACK, 2000, NO, 1000)), true, 1));
        // more than a window back
        assertEquals(BAD_STATE, st.test(pk(t4(C, 40001, S, 80, 1001 - 100_000, 5001, ACK, 2000, NO, 10)), true, 1));
        // acking data never sent (beyond MAXACKWINDOW)
        assertEquals(BAD_STATE, st.test(pk(t4(C, 40001, S, 80, 3501, 5001 + 200_000, ACK, 2000, NO, 0)), true, 1));
        assertEquals(3, st.stateMismatches());
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 0));
    }

    @Test
    void handshakeMismatchAsksForARst() {
        int id = st.create(pk(t4(C, 40009, S, 80, 1000, 0, SYN, 1000, NO, 0)), true, 1, StateOptions.keep(1));
        // a shotgunned SYN from the other side makes both ends SYN_SENT
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40009, 5000, 0, SYN, 1000, NO, 0)), false, 1));
        assertEquals(TcpStates.SYN_SENT, st.peerState(id, 1));
        // then the server sends something far outside the windows
        byte[] bad = t4(S, 80, C, 40009, 5000 + 500_000, 777, ACK, 1000, NO, 10);
        assertEquals(BAD_STATE, st.test(pk(bad), false, 1));
        assertTrue(st.lastHandshakeMismatch());
        Packet rst = pk(dev.palisade.core.packet.PacketBuilder.tcpResetHandshakeMismatch(pk(bad), 64));
        assertEquals(Packet.TH_RST, rst.tcpFlags());
        assertEquals(777, rst.seq());
        assertEquals(dev.palisade.core.net.IpAddress.parse(S), rst.dst());
        assertTrue(Checksums.transportOk(rst));
        // the server's end is forgotten, as in pf
        assertEquals(0, st.peerWindow(id, 1)[0]);
        assertEquals(PASS, st.test(pk(t4(C, 40009, S, 80, 1000, 0, SYN, 1000, NO, 0)), true, 1));
        assertFalse(st.lastHandshakeMismatch());
    }

    @Test
    void resetOnlyWithExactSequence() {
        int id = established(C, 40002, S, 80, 2000, 3000, NO, NO);
        // in-window but not exact: refused (blind reset)
        assertEquals(BAD_STATE, st.test(pk(t4(S, 80, C, 40002, 5001 + 500, 0, RST, 0, NO, 0)), false, 1));
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 1));
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40002, 5001, 0, RST, 0, NO, 0)), false, 1));
        assertEquals(TcpStates.TIME_WAIT, st.peerState(id, 0));
        assertEquals(TcpStates.TIME_WAIT, st.peerState(id, 1));
        assertEquals(Timeout.TCP_CLOSED, st.timeout(id));
    }

    @Test
    void windowScaling() {
        byte[] ws7 = bytes(1, 3, 3, 7);
        established(C, 40003, S, 80, 1000, 1000, ws7, ws7);
        // SYN windows are never scaled; the server's first scaled window: 1000 << 7 = 128000
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40003, 5001, 1001, ACK, 1000, NO, 0)), false, 1));
        assertEquals(PASS, st.test(pk(t4(C, 40003, S, 80, 1001 + 100_000, 5001, ACK, 1000, NO, 1000)), true, 1));
        assertEquals(BAD_STATE, st.test(pk(t4(C, 40003, S, 80, 1001 + 140_000, 5001, ACK, 1000, NO, 1000)), true, 1));
        // without scaling on one side, the windows are not scaled
        established(C, 40004, S, 80, 1000, 1000, ws7, NO);
        assertEquals(PASS, st.test(pk(t4(S, 80, C, 40004, 5001, 1001, ACK, 1000, NO, 0)), false, 1));
        assertEquals(BAD_STATE, st.test(pk(t4(C, 40004, S, 80, 1001 + 100_000, 5001, ACK, 1000, NO, 1000)), true, 1));
    }

    @Test
    void expiryAndAdaptiveTimeouts() {
        int id = st.create(pk(t4(C, 40005, S, 80, 1000, 0, SYN, 1000, NO, 0)), true, 1, StateOptions.keep(1));
        assertEquals(clock.millis + 120_000, st.expiresAt(id));
        clock.advance(119);
        assertEquals(PASS, st.test(pk(t4(C, 40005, S, 80, 1000, 0, SYN, 1000, NO, 0)), true, 1)); // retransmitted SYN
        clock.advance(121);
        assertEquals(NO_STATE, st.test(pk(t4(C, 40005, S, 80, 1000, 0, SYN, 1000, NO, 0)), true, 1));
        assertEquals(0, st.size());

        StateTable small = new StateTable(100, Timeouts.defaults().with(Map.of(Timeout.ADAPTIVE_START, 2, Timeout.ADAPTIVE_END, 4)),
                clock, new Random(1));
        int a = small.create(pk(v4(17, C, S, udp(1, 53, NO))), true, 1, StateOptions.keep(0));
        assertEquals(clock.millis + 60_000, small.expiresAt(a));
        small.create(pk(v4(17, C, S, udp(2, 53, NO))), true, 1, StateOptions.keep(0));
        small.create(pk(v4(17, C, S, udp(3, 53, NO))), true, 1, StateOptions.keep(0));
        assertEquals(clock.millis + 30_000, small.expiresAt(a)); // 3 states: (4-3)/(4-2) of 60 s
        small.create(pk(v4(17, C, S, udp(4, 53, NO))), true, 1, StateOptions.keep(0));
        assertEquals(clock.millis, small.expiresAt(a)); // at adaptive.end: expire now
        // purging one lowers the count, which lengthens the others' timeouts again (pf's adaptive scaling is live)
        assertEquals(1, small.purge(100));
        assertEquals(3, small.size());
        assertEquals(clock.millis + 30_000, small.expiresAt(a == 0 ? 1 : 0));
    }

    @Test
    void udpPseudoStates() {
        int id = st.create(pk(v4(17, C, S, udp(5000, 53, new byte[10]))), false, 1, StateOptions.keep(2));
        assertEquals(Timeout.UDP_FIRST, st.timeout(id));
        assertEquals(PASS, st.test(pk(v4(17, C, S, udp(5000, 53, new byte[10]))), false, 1));
        assertEquals(Timeout.UDP_SINGLE, st.timeout(id));
        assertEquals(PASS, st.test(pk(v4(17, S, C, udp(53, 5000, new byte[40]))), true, 1));
        assertEquals(Timeout.UDP_SINGLE, st.timeout(id));
        assertEquals(PASS, st.test(pk(v4(17, C, S, udp(5000, 53, new byte[10]))), false, 1));
        assertEquals(Timeout.UDP_MULTIPLE, st.timeout(id));
        assertEquals("all udp 10.0.0.1:5000 -> 192.0.2.80:53       MULTIPLE:MULTIPLE", st.entry(id).toString());
        assertEquals(NO_STATE, st.test(pk(v4(17, S, C, udp(53, 5001, new byte[4]))), true, 1));
        // other protocols
        int g = st.create(pk(v4(47, C, S, new byte[8])), false, 1, StateOptions.keep(2));
        assertEquals(Timeout.OTHER_FIRST, st.timeout(g));
        assertEquals(PASS, st.test(pk(v4(47, S, C, new byte[8])), true, 1));
        assertEquals(Timeout.OTHER_SINGLE, st.timeout(g));
    }

    @Test
    void icmpQueriesAndErrors() {
        int id = st.create(pk(v4(1, C, S, icmp(8, 0, 77, 1, new byte[8]))), false, 1, StateOptions.keep(1));
        assertEquals(Timeout.ICMP_FIRST, st.timeout(id));
        assertEquals(PASS, st.test(pk(v4(1, S, C, icmp(0, 0, 77, 1, new byte[8]))), true, 1));
        assertEquals(Timeout.ICMP_ERROR, st.timeout(id));
        assertEquals(NO_STATE, st.test(pk(v4(1, S, C, icmp(0, 0, 78, 1, new byte[8]))), true, 1));
        // ICMPv6 echo
        int id6 = st.create(pk(v6(58, "2001:db8::1", "2001:db8::2", icmp(128, 0, 9, 1, NO))), false, 1, StateOptions.keep(1));
        assertEquals(PASS, st.test(pk(v6(58, "2001:db8::2", "2001:db8::1", icmp(129, 0, 9, 1, NO))), true, 1));
        assertEquals(id6, st.lastId());

        // UDP out, port unreachable comes back in quoting it
        byte[] dgram = v4(17, C, S, udp(33000, 9999, new byte[20]));
        int u = st.create(pk(dgram), false, 1, StateOptions.keep(1));
        byte[] err = v4(1, S, C, icmp(3, 3, 0, 0, Arrays.copyOf(dgram, 28)));
        assertEquals(PASS, st.test(pk(err), true, 1));
        assertEquals(u, st.lastId());
        // the same error for a flow never seen goes to the rules
        byte[] other = v4(17, C, S, udp(33001, 9999, new byte[20]));
        assertEquals(NO_STATE, st.test(pk(v4(1, S, C, icmp(3, 3, 0, 0, Arrays.copyOf(other, 28)))), true, 1));
        // an error sent to someone else than the quoted packet's source
        assertEquals(BAD_STATE, st.test(pk(v4(1, S, "10.0.0.99", icmp(3, 3, 0, 0, Arrays.copyOf(dgram, 28)))), true, 1));
        // ICMPv6 error quoting a v6 UDP flow
        byte[] d6 = v6(17, "2001:db8::1", "2001:db8::2", udp(1234, 9999, new byte[4]));
        st.create(pk(d6), false, 1, StateOptions.keep(1));
        assertEquals(PASS, st.test(pk(v6(58, "2001:db8::2", "2001:db8::1", icmp(1, 4, 0, 0, d6))), true, 1));
    }

    @Test
    void icmpErrorForTcpChecksQuotedSequence() {
        established(C, 40006, S, 80, 2000, 3000, NO, NO);
        // an error from a router on the path about the client's segment, coming back in... the client sent in, so
        // the error about it travels out
        byte[] seg = t4(C, 40006, S, 80, 1001, 5001, ACK, 2000, NO, 0);
        assertEquals(PASS, st.test(pk(v4(1, "198.51.100.1", C, icmp(11, 0, 0, 0, Arrays.copyOf(seg, 28)))), false, 1));
        byte[] far = t4(C, 40006, S, 80, 900_000, 5001, ACK, 2000, NO, 0);
        assertEquals(BAD_STATE, st.test(pk(v4(1, "198.51.100.1", C, icmp(11, 0, 0, 0, Arrays.copyOf(far, 28)))), false, 1));
    }

    @Test
    void modulateStateRewritesConsistently() {
        StateOptions mod = new StateOptions(1, true, false, 0, false, null);
        byte[] syn = t4(C, 40007, S, 80, 1000, 0, SYN, 64000, NO, 0);
        int id = st.create(pk(syn), true, 1, mod);
        assertTrue(st.lastRewritten());
        Packet ps = pk(syn);
        long cIsn = ps.seq();
        assertNotEquals(1000, cIsn);
        assertTrue(Checksums.transportOk(ps));
        // the server answers the modulated ISN
        byte[] synack = t4(S, 80, C, 40007, 5000, cIsn + 1, SYN | ACK, 65000, NO, 0);
        assertEquals(PASS, st.test(pk(synack), false, 1));
        Packet pa = pk(synack);
        assertEquals(1001, pa.ack()); // demodulated for the client
        long sIsn = pa.seq();
        assertNotEquals(5000, sIsn); // the server's ISN modulated too
        assertTrue(Checksums.transportOk(pa));
        // the client acks the modulated server ISN
        byte[] ack = t4(C, 40007, S, 80, 1001, sIsn + 1, ACK, 64000, NO, 0);
        assertEquals(PASS, st.test(pk(ack), true, 1));
        Packet pk3 = pk(ack);
        assertEquals(cIsn + 1, pk3.seq());
        assertEquals(5001, pk3.ack());
        assertTrue(Checksums.transportOk(pk3));
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 0));
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 1));
        // data from the server
        byte[] data = t4(S, 80, C, 40007, 5001, cIsn + 1, ACK | PSH, 65000, NO, 300);
        assertEquals(PASS, st.test(pk(data), false, 1));
        assertEquals(sIsn + 1, pk(data).seq());
        assertEquals(1001, pk(data).ack());
        // the client acks 1 and SACKs 101..201 of the server's (modulated) data: the edges go back to the server's numbers
        long l = sIsn + 101, r = sIsn + 201;
        byte[] sack = bytes(1, 1, 5, 10, (int) (l >>> 24), (int) (l >>> 16), (int) (l >>> 8), (int) l,
                (int) (r >>> 24), (int) (r >>> 16), (int) (r >>> 8), (int) r);
        byte[] sacked = t4(C, 40007, S, 80, 1001, sIsn + 1, ACK, 64000, sack, 0);
        assertEquals(PASS, st.test(pk(sacked), true, 1));
        Packet ps2 = pk(sacked);
        int o = ps2.transportOffset() + 20 + 4;
        assertEquals(5101, dev.palisade.core.net.IpAddress.ofBytes(sacked, o, 4).lo());
        assertEquals(5201, dev.palisade.core.net.IpAddress.ofBytes(sacked, o + 4, 4).lo());
        assertTrue(Checksums.transportOk(ps2));
    }

    @Test
    void sloppyTracksOneHalf() {
        StateOptions sloppy = new StateOptions(1, false, true, 0, false, null);
        int id = st.create(pk(t4(C, 40008, S, 80, 1000, 0, SYN, 1000, NO, 0)), true, 1, sloppy);
        // the replies take another path; we see only the client's ACK, with any sequence numbers
        assertEquals(PASS, st.test(pk(t4(C, 40008, S, 80, 999_999, 123_456, ACK, 1000, NO, 100)), true, 1));
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 0));
        assertEquals(TcpStates.ESTABLISHED, st.peerState(id, 1));
        assertEquals(Timeout.TCP_ESTABLISHED, st.timeout(id));
    }

    @Test
    void limitsAndIfBound() {
        StateTable t = new StateTable(2, Timeouts.defaults(), clock, new Random(1));
        StateOptions max1 = new StateOptions(5, false, false, 1, false, null);
        int a = t.create(pk(v4(17, C, S, udp(1, 2, NO))), true, 1, max1);
        assertTrue(a >= 0);
        assertEquals(StateTable.CREATE_RULE_LIMIT, t.create(pk(v4(17, C, S, udp(3, 2, NO))), true, 1, max1));
        assertEquals(StateTable.CREATE_EXISTS, t.create(pk(v4(17, C, S, udp(1, 2, NO))), true, 1, StateOptions.keep(6)));
        assertEquals(1, t.stateInsertFailures());
        assertTrue(t.create(pk(v4(17, C, S, udp(3, 2, NO))), true, 1, StateOptions.keep(6)) >= 0);
        assertEquals(StateTable.CREATE_LIMIT, t.create(pk(v4(17, C, S, udp(4, 2, NO))), true, 1, StateOptions.keep(6)));
        assertEquals(2, t.stateLimitHits());
        t.remove(a);
        assertTrue(t.create(pk(v4(17, C, S, udp(1, 2, NO))), true, 1, max1) >= 0);
        assertEquals(StateTable.CREATE_UNSUPPORTED,
                t.create(pk(v4(1, S, C, icmp(3, 3, 0, 0, Arrays.copyOf(v4(17, C, S, udp(1, 2, NO)), 28)))), true, 1, max1));

        StateOptions bound = new StateOptions(1, false, false, 0, true, null);
        int b = st.create(pk(v4(17, C, S, udp(7, 8, NO))), true, 3, bound);
        assertEquals(NO_STATE, st.test(pk(v4(17, S, C, udp(8, 7, NO))), false, 4));
        assertEquals(PASS, st.test(pk(v4(17, S, C, udp(8, 7, NO))), false, 3));
        assertEquals(b, st.lastId());
    }

    @Test
    void ipv6TcpHandshake() {
        String c6 = "2001:db8::10", s6 = "2001:db8:1::80";
        int id = st.create(pk(v6(6, c6, s6, tcp(50000, 443, 7, 0, SYN, 1000, NO, NO))), false, 1, StateOptions.keep(1));
        assertEquals(PASS, st.test(pk(v6(6, s6, c6, tcp(443, 50000, 900, 8, SYN | ACK, 1000, NO, NO))), true, 1));
        assertEquals(PASS, st.test(pk(v6(6, c6, s6, tcp(50000, 443, 8, 901, ACK, 1000, NO, NO))), false, 1));
        assertEquals("all tcp 2001:db8::10[50000] -> 2001:db8:1::80[443]       ESTABLISHED:ESTABLISHED", st.entry(id).toString());
    }

    /** The hash index against a HashMap oracle through inserts, lookups and deletions (backward shift). */
    @Test
    void indexAgreesWithOracle() {
        StateTable t = new StateTable(1_000_000, Timeouts.defaults().with(Map.of(Timeout.ADAPTIVE_START, 0, Timeout.ADAPTIVE_END, 0)),
                clock, new Random(1));
        Random r = new Random(99);
        Map<Long, Integer> oracle = new HashMap<>();
        byte[][] pkts = new byte[60_000][];
        for (int i = 0; i < pkts.length; i++) {
            int a = r.nextInt(64), port = r.nextInt(2000);
            pkts[i] = v4(17, "10.1.0." + a, "10.2.0.1", udp(port, 53, NO));
            long k = ((long) a << 16) | port;
            int id = t.create(pk(pkts[i]), true, 1, StateOptions.keep(0));
            if (oracle.containsKey(k)) {
                assertEquals(StateTable.CREATE_EXISTS, id);
            } else {
                assertTrue(id >= 0);
                oracle.put(k, id);
            }
        }
        assertEquals(oracle.size(), t.size());
        int removed = 0;
        for (var it = oracle.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (r.nextBoolean()) {
                t.remove(e.getValue());
                it.remove();
                removed++;
            }
        }
        assertTrue(removed > 1000);
        for (byte[] b : pkts) {
            Packet p = pk(b);
            long k = ((long) (p.srcV4() & 0xff) << 16) | p.srcPort();
            int slot = t.probeIndex(p, true);
            long searches = t.searches();
            t.touchRecord(slot);
            assertEquals(searches, t.searches(), "a prefetch is no search");
            StateVerdict v = t.test(p, true, 1);
            if (oracle.containsKey(k)) {
                // linear probing leaves no hole between a key's home slot and its entry
                assertNotEquals(0, slot, "the home slot of a present key is never empty");
                assertEquals(PASS, v);
                assertEquals((int) oracle.get(k), t.lastId());
            } else {
                assertEquals(NO_STATE, v);
            }
        }
        assertEquals(oracle.size(), t.size());
    }

    @Test
    void limitsBeyondTheIndexIdsAreRefusedWithTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StateTable(StateTable.MAX_LIMIT + 1, Timeouts.defaults(), clock, new Random(1)));
        assertTrue(e.getMessage().contains("1..16777215, got 16777216"), e.getMessage());
        StateTable t = new StateTable(StateTable.MAX_LIMIT, Timeouts.defaults(), clock, new Random(1));
        assertThrows(IllegalArgumentException.class, () -> t.setLimit(0));
        assertEquals(StateTable.MAX_LIMIT, t.limit());
    }

    /** The prefetch hint names the state a lone flow's packets (both directions) will find, and changes nothing. */
    @Test
    void prefetchNamesTheStateAndChangesNothing() {
        Packet syn = pk(t4(C, 40000, S, 80, 1000, 0, SYN, 64000, NO, 0));
        assertEquals(0, st.probeIndex(syn, true), "empty table");
        assertEquals(0, st.touchRecord(0));
        int id = st.create(syn, true, 1, StateOptions.keep(3));
        Packet reply = pk(t4(S, 80, C, 40000, 5000, 1001, SYN | ACK, 65000, NO, 0));
        assertEquals(id + 1, st.probeIndex(syn, true));
        assertEquals(id + 1, st.probeIndex(reply, false));
        st.touchRecord(id + 1);
        assertEquals(0, st.touchRecord(id + 2), "past the last record: nothing read");
        assertEquals(1, st.size());
        assertEquals(TcpStates.SYN_SENT, st.peerState(id, 0));
        assertEquals(PASS, st.test(reply, false, 1));
        assertEquals(0, st.probeIndex(pk(v4(1, C, S, icmp(8, 0, 1, 1, NO))), true), "ICMP: no hint");
    }
}
