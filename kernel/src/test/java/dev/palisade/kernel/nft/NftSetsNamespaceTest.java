package dev.palisade.kernel.nft;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.netlink.NetlinkException;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nft sets over netlink against the kernel in namespace b; a's packets to b's port 9100. */
class NftSetsNamespaceTest {

    static final String TABLE = "paltest";

    static String program() {
        return """
                table inet paltest {
                  set ban4 { type ipv4_addr; flags interval, timeout; }
                  set ban6 { type ipv6_addr; flags interval; }
                  set hosts4 { type ipv4_addr; }
                  chain input {
                    type filter hook input priority 0; policy accept;
                    ip saddr @ban4 counter name banned4 drop
                    ip6 saddr @ban6 counter name banned6 drop
                  }
                  counter banned4 { }
                  counter banned6 { }
                }
                """;
    }

    static long counter(NetnsPair ns, String name) throws Exception {
        String out = ns.exec(ns.b, "nft", "list", "counter", "inet", TABLE, name);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    static boolean receives(DatagramSocket rx, String want) throws Exception {
        byte[] buf = new byte[1500];
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                rx.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII).equals(want)) return true;
        }
        return false;
    }

    static void send(DatagramSocket tx, String to, String msg) throws Exception {
        byte[] b = msg.getBytes(StandardCharsets.US_ASCII);
        tx.send(new DatagramPacket(b, b.length, InetAddress.getByName(to), 9100));
    }

    @Test
    void addingAHostMakesTheKernelDropItsNextPacket() throws Exception {
        try (NetnsPair ns = NetnsPair.create();
             NftSets sets = NftSets.open(ns.b)) {
            new NftRunner(TABLE, ns.b, 30_000).load(program());
            try (DatagramSocket rx = ns.in(ns.b, () -> new DatagramSocket(new InetSocketAddress("::", 9100)));
                 DatagramSocket tx = ns.in(ns.a, () -> new DatagramSocket(0))) {
                rx.setSoTimeout(50);
                send(tx, ns.b4, "before");
                assertTrue(receives(rx, "before"), "a's packet reaches b before the ban");
                NftSet ban4 = sets.getSet(NftSet.NFPROTO_INET, TABLE, "ban4");
                assertTrue(ban4.interval() && ban4.timeout() && !ban4.v6(), ban4.toString());
                sets.add(ban4, List.of(SetElement.of(IpPrefix.parse(ns.a4))));
                send(tx, ns.b4, "after");
                assertTrue(NetnsPair.await(3000, () -> {
                    try {
                        return counter(ns, "banned4") == 1;
                    } catch (Exception e) {
                        return false;
                    }
                }), "the ban rule counted a's packet");
                send(tx, ns.b4, "after2");
                assertTrue(!receives(rx, "after2"), "a banned host's packet must not arrive");
                assertEquals(2, counter(ns, "banned4"));

                // v6 and prefixes
                NftSet ban6 = sets.getSet(NftSet.NFPROTO_INET, TABLE, "ban6");
                sets.add(ban6, List.of(SetElement.of(IpPrefix.parse("fd00:" + ns.n + "::/64"))));
                send(tx, ns.b6, "six");
                assertTrue(NetnsPair.await(3000, () -> {
                    try {
                        return counter(ns, "banned6") >= 1; // a's neighbour solicitations count too
                    } catch (Exception e) {
                        return false;
                    }
                }), "the v6 prefix ban counted a's packet");

                // unban: a passes again
                sets.delete(ban4, List.of(IpPrefix.parse(ns.a4)));
                send(tx, ns.b4, "again");
                assertTrue(receives(rx, "again"), "a's packet arrives after the unban");
            }
        }
    }

    @Test
    void intervalsTimeoutsListingAndErrors() throws Exception {
        try (NetnsPair ns = NetnsPair.create();
             NftSets sets = NftSets.open(ns.b)) {
            new NftRunner(TABLE, ns.b, 30_000).load(program());
            NftSet ban4 = sets.getSet(NftSet.NFPROTO_INET, TABLE, "ban4");
            NftSet ban6 = sets.getSet(NftSet.NFPROTO_INET, TABLE, "ban6");
            List<SetElement> four = List.of(
                    SetElement.of(IpPrefix.parse("10.1.0.0/16"), 600_000),
                    SetElement.of(IpPrefix.parse("192.0.2.7")),
                    SetElement.of(IpPrefix.parse("192.0.2.8")),
                    SetElement.of(IpPrefix.parse("240.0.0.0/4")));
            sets.add(ban4, four);
            sets.add(ban6, List.of(SetElement.of(IpPrefix.parse("2001:db8::/32")),
                    SetElement.of(IpPrefix.parse("2001:db9::1")), SetElement.of(IpPrefix.parse("ff00::/8"))));
            Map<IpPrefix, SetElement> got = sets.list(ban4).stream()
                    .collect(Collectors.toMap(SetElement::prefix, Function.identity()));
            assertEquals(Set.of("10.1.0.0/16", "192.0.2.7", "192.0.2.8", "240.0.0.0/4"),
                    got.keySet().stream().map(IpPrefix::toString).collect(Collectors.toSet()));
            SetElement timed = got.get(IpPrefix.parse("10.1.0.0/16"));
            assertEquals(600_000, timed.timeoutMillis());
            assertTrue(timed.expiresMillis() > 590_000 && timed.expiresMillis() <= 600_000, timed.toString());
            assertEquals(0, got.get(IpPrefix.parse("192.0.2.7")).timeoutMillis());
            assertEquals(new TreeSet<>(List.of("2001:db8::/32", "2001:db9::1", "ff00::/8")),
                    sets.list(ban6).stream().map(e -> e.prefix().toString()).collect(Collectors.toCollection(TreeSet::new)));
            String nftView = ns.exec(ns.b, "nft", "list", "set", "inet", TABLE, "ban4");
            assertTrue(nftView.contains("10.1.0.0/16") && nftView.contains("240.0.0.0/4"), nftView);

            NetlinkException e = assertThrows(NetlinkException.class,
                    () -> sets.delete(ban4, List.of(IpPrefix.parse("198.51.100.1"))));
            assertEquals("NFT_MSG_DELSETELEM(inet paltest ban4): ENOENT", e.getMessage().replaceAll(" \\(.*", ""));
            NetlinkException missing = assertThrows(NetlinkException.class,
                    () -> sets.getSet(NftSet.NFPROTO_INET, TABLE, "nosuch"));
            assertTrue(missing.getMessage().startsWith("NFT_MSG_GETSET(inet paltest nosuch): ENOENT"), missing.getMessage());
            NftSet hosts = sets.getSet(NftSet.NFPROTO_INET, TABLE, "hosts4");
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> sets.add(hosts, List.of(SetElement.of(IpPrefix.parse("10.0.0.0/8")))));
            assertTrue(bad.getMessage().contains("no 'flags interval'"), bad.getMessage());
            sets.add(hosts, List.of(SetElement.of(IpPrefix.parse("10.0.0.9"))));
            assertEquals(List.of(SetElement.of(IpPrefix.parse("10.0.0.9"))), sets.list(hosts));
            // one bad element aborts the whole transaction: nothing of it lands
            assertThrows(NetlinkException.class, () -> sets.apply(ban4, List.of(IpPrefix.parse("192.0.2.7"),
                    IpPrefix.parse("203.0.113.1")), List.of(SetElement.of(IpPrefix.parse("198.18.0.0/15")))));
            assertEquals(4, sets.list(ban4).size(), "a failed transaction changed nothing");
            // an interval overlapping one in the set is refused by the kernel, named after the message
            NetlinkException overlap = assertThrows(NetlinkException.class,
                    () -> sets.add(ban4, List.of(SetElement.of(IpPrefix.parse("10.0.0.0/8")))));
            assertEquals("NFT_MSG_NEWSETELEM(inet paltest ban4): EEXIST", overlap.getMessage().replaceAll(" \\(.*", ""));
            // covering() drops what another element covers, so the same wish loads
            sets.delete(ban4, List.of(IpPrefix.parse("10.1.0.0/16")));
            sets.add(ban4, SetDiff.covering(List.of(SetElement.of(IpPrefix.parse("10.1.2.3")),
                    SetElement.of(IpPrefix.parse("10.0.0.0/8")), SetElement.of(IpPrefix.parse("10.1.0.0/16")))));
            Set<String> now = sets.list(ban4).stream().map(x -> x.prefix().toString()).collect(Collectors.toSet());
            assertTrue(now.contains("10.0.0.0/8") && !now.contains("10.1.0.0/16") && !now.contains("10.1.2.3"), now.toString());
            assertEquals(4, sets.list(ban4).size());
        }
    }

    @Test
    void reconcileLeavesUntouchedElementsAlone() throws Exception {
        try (NetnsPair ns = NetnsPair.create();
             NftSets sets = NftSets.open(ns.b)) {
            new NftRunner(TABLE, ns.b, 30_000).load(program());
            NftSet ban4 = sets.getSet(NftSet.NFPROTO_INET, TABLE, "ban4");
            sets.add(ban4, List.of(SetElement.of(IpPrefix.parse("10.9.0.0/16"), 300_000),
                    SetElement.of(IpPrefix.parse("10.8.0.1")), SetElement.of(IpPrefix.parse("10.7.0.0/24"))));
            List<SetElement> before = sets.list(ban4);
            long left = before.stream().filter(e -> e.prefix().toString().equals("10.9.0.0/16")).findFirst()
                    .orElseThrow().expiresMillis();
            List<SetElement> wanted = List.of(SetElement.of(IpPrefix.parse("10.9.0.0/16"), left),
                    SetElement.of(IpPrefix.parse("10.8.0.1")), SetElement.of(IpPrefix.parse("10.6.0.0/15")));
            SetDiff d = SetDiff.compute(before, wanted, 5_000);
            assertEquals(List.of(IpPrefix.parse("10.7.0.0/24")), d.delete());
            assertEquals(List.of(SetElement.of(IpPrefix.parse("10.6.0.0/15"))), d.add());
            assertEquals(2, d.unchanged());
            sets.apply(ban4, d.delete(), d.add());
            List<SetElement> after = sets.list(ban4);
            assertEquals(Set.of("10.9.0.0/16", "10.8.0.1", "10.6.0.0/15"),
                    after.stream().map(e -> e.prefix().toString()).collect(Collectors.toSet()));
            long leftAfter = after.stream().filter(e -> e.prefix().toString().equals("10.9.0.0/16")).findFirst()
                    .orElseThrow().expiresMillis();
            assertTrue(leftAfter <= left && leftAfter > 0, "the untouched element kept its timer: " + left + " then " + leftAfter);
            assertTrue(SetDiff.compute(after, wanted, 5_000).isEmpty(), "a second reconcile changes nothing");
        }
    }
}
