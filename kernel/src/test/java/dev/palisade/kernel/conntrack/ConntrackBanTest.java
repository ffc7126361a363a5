package dev.palisade.kernel.conntrack;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.nft.NftRunner;
import dev.palisade.kernel.nft.NftSet;
import dev.palisade.kernel.nft.NftSets;
import dev.palisade.kernel.nft.SetElement;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ban is a set add plus a conntrack kill: an established TCP connection from
 * the banned host dies even though the ruleset accepts established traffic first.
 */
class ConntrackBanTest {

    static final String PROGRAM = """
            table inet palct {
              set ban4 { type ipv4_addr; flags interval; }
              set ban6 { type ipv6_addr; flags interval; }
              chain input {
                type filter hook input priority 0; policy accept;
                ct state established,related accept
                ip saddr @ban4 counter name banned drop
                ip6 saddr @ban6 counter name banned drop
              }
              counter banned { }
            }
            """;

    @Test
    void aBanKillsAnEstablishedConnection() throws Exception {
        for (boolean v6 : new boolean[] {false, true}) {
            try (NetnsPair ns = NetnsPair.create();
                 NftSets sets = NftSets.open(ns.b);
                 Conntrack ct = Conntrack.open(ns.b)) {
                new NftRunner("palct", ns.b, 30_000).load(PROGRAM);
                String server = v6 ? ns.b6 : ns.b4;
                String client = v6 ? ns.a6 : ns.a4;
                try (ServerSocket ss = ns.in(ns.b, () -> new ServerSocket(9200, 5, InetAddress.getByName(server)));
                     Socket c = ns.in(ns.a, () -> {
                         Socket s = new Socket();
                         s.connect(new InetSocketAddress(server, 9200), 5000);
                         return s;
                     });
                     Socket s = ss.accept()) {
                    s.setSoTimeout(100);
                    OutputStream out = c.getOutputStream();
                    InputStream in = s.getInputStream();
                    out.write('x');
                    out.flush();
                    assertEquals('x', readByte(in, 3000), "data flows before the ban");
                    List<Conntrack.Entry> entries = ct.list(v6);
                    assertTrue(entries.stream().anyMatch(e -> e.src().equals(IpAddress.parse(client)) && e.dport() == 9200),
                            "conntrack shows the connection: " + entries);

                    NftSet ban = sets.getSet(NftSet.NFPROTO_INET, "palct", v6 ? "ban6" : "ban4");
                    IpPrefix p = IpPrefix.parse(client);
                    sets.add(ban, List.of(SetElement.of(p)));
                    out.write('y');
                    out.flush();
                    assertEquals('y', readByte(in, 3000), "the set alone does not stop an established connection");

                    int killed = ct.kill(List.of(p), Conntrack.Match.SOURCE);
                    assertEquals(1, killed, "one connection from " + client);
                    assertTrue(ct.list(v6).stream().noneMatch(e -> e.src().equals(IpAddress.parse(client)) && e.dport() == 9200));
                    out.write('z');
                    out.flush();
                    assertTrue(NetnsPair.await(5000, () -> banned(ns) >= 1), "the ban rule counted the connection's next packet");
                    assertEquals(-2, readByte(in, 300), "no data after the ban and the kill");
                    assertEquals(0, ct.kill(List.of(IpPrefix.parse(v6 ? "2001:db8::/32" : "192.0.2.0/24")), Conntrack.Match.EITHER));
                }
            }
        }
    }

    @Test
    void bansAddThenKill() throws Exception {
        try (NetnsPair ns = NetnsPair.create();
             NftSets sets = NftSets.open(ns.b);
             Conntrack ct = Conntrack.open(ns.b)) {
            new NftRunner("palct", ns.b, 30_000).load(PROGRAM);
            try (ServerSocket ss = ns.in(ns.b, () -> new ServerSocket(9201, 5, InetAddress.getByName(ns.b4)));
                 Socket c = ns.in(ns.a, () -> {
                     Socket s = new Socket();
                     s.connect(new InetSocketAddress(ns.b4, 9201), 5000);
                     return s;
                 });
                 Socket s = ss.accept()) {
                s.setSoTimeout(100);
                c.getOutputStream().write('a');
                assertEquals('a', readByte(s.getInputStream(), 3000));
                dev.palisade.kernel.Bans.Outcome o = new dev.palisade.kernel.Bans(sets, ct).ban(
                        sets.getSet(NftSet.NFPROTO_INET, "palct", "ban4"), List.of(SetElement.of(IpPrefix.parse(ns.a4))));
                assertEquals(new dev.palisade.kernel.Bans.Outcome(1, 1), o);
                c.getOutputStream().write('b');
                assertTrue(NetnsPair.await(5000, () -> banned(ns) >= 1), "the banned connection's packet was dropped");
                assertEquals(-2, readByte(s.getInputStream(), 300));
            }
        }
    }

    /**
     * Killing a host's states (the kernel-filtered dump, IPv4 and IPv6) takes
     * its connections and only them: another peer's connection to the same
     * server lives on, and a prefix kill (the full dump) still works.
     */
    @Test
    void killingAHostLeavesOtherPeersAlone() throws Exception {
        for (boolean v6 : new boolean[] {false, true}) {
            try (NetnsPair ns = NetnsPair.create();
                 Conntrack ct = Conntrack.open(ns.b)) {
                new NftRunner("palct", ns.b, 30_000).load(PROGRAM); // a ct rule: the namespace tracks connections
                String other = v6 ? "fd00:" + ns.n + "::7" : "10." + ns.n + ".0.7";
                ns.exec(ns.a, "ip", "addr", "add", other + (v6 ? "/64" : "/24"), "dev", ns.vethA, "nodad");
                String server = v6 ? ns.b6 : ns.b4;
                String banned = v6 ? ns.a6 : ns.a4;
                try (ServerSocket ss = ns.in(ns.b, () -> new ServerSocket(9202, 5, InetAddress.getByName(server)));
                     Socket c1 = connect(ns, banned, server, 9202);
                     Socket s1 = ss.accept();
                     Socket c2 = connect(ns, other, server, 9202);
                     Socket s2 = ss.accept()) {
                    IpAddress bannedAddr = IpAddress.parse(banned);
                    IpAddress otherAddr = IpAddress.parse(other);
                    List<Conntrack.Entry> before = ct.list(v6);
                    assertTrue(before.stream().anyMatch(e -> e.src().equals(otherAddr) && e.dport() == 9202), v6 + " " + before);
                    assertEquals(1, ct.kill(List.of(IpPrefix.host(bannedAddr)), Conntrack.Match.SOURCE), "one state of " + banned);
                    assertTrue(ct.kernelFilter(), "the kernel took the filtered dump (Linux >= 5.8)");
                    List<Conntrack.Entry> left = ct.list(v6);
                    assertTrue(left.stream().noneMatch(e -> e.src().equals(bannedAddr) && e.dport() == 9202), left.toString());
                    assertTrue(left.stream().anyMatch(e -> e.src().equals(otherAddr) && e.dport() == 9202),
                            "the other peer's state survives: " + left);
                    s2.setSoTimeout(100);
                    c2.getOutputStream().write('k');
                    assertEquals('k', readByte(s2.getInputStream(), 3000), "the other peer's connection still carries data");
                    assertEquals(1, ct.kill(List.of(IpPrefix.parse(other + (v6 ? "/120" : "/30"))), Conntrack.Match.SOURCE),
                            "a prefix kill takes the full dump");
                }
            }
        }
    }

    private static Socket connect(NetnsPair ns, String from, String to, int port) throws Exception {
        return ns.in(ns.a, () -> {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(to, port), 5000);
            return s;
        });
    }

    /** The byte read, -1 at end of stream, -2 when nothing came within {@code millis}. */
    static int readByte(InputStream in, long millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            try {
                return in.read();
            } catch (SocketTimeoutException e) {
                // again until the deadline
            }
        }
        return -2;
    }

    static long banned(NetnsPair ns) {
        try {
            String out = ns.exec(ns.b, "nft", "list", "counter", "inet", "palct", "banned");
            Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
