package dev.palisade.bench.kernel;

import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.netlink.Netns;
import dev.palisade.kernel.nft.NftRunner;
import dev.palisade.kernel.nft.NftSet;
import dev.palisade.kernel.nft.NftSets;
import dev.palisade.kernel.nft.SetElement;
import dev.palisade.kernel.conntrack.Conntrack;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One ban, from the API call until the kernel drops the next packet. The
 * netlink transaction is synchronous: when {@link NftSets#add} returns, the
 * kernel has committed the element, so the time of the call (plus the
 * conntrack kill, as every ban does) is the time to enforcement. Each round
 * checks it: right after the ban, A sends "probe-i", then after the unban
 * "ok-i"; veth keeps order, so if "ok-i" arrives and "probe-i" did not, the
 * probe was dropped. usage: BanLatency NETNS_A NETNS_B ADDR_A ADDR_B [ROUNDS]
 */
public final class BanLatency {

    public static void main(String[] args) throws Exception {
        String nsA = args[0], nsB = args[1], addrA = args[2], addrB = args[3];
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
        new NftRunner("palban", nsB, 30_000).load("""
                table inet palban {
                  set ban4 { type ipv4_addr; flags interval, timeout; }
                  chain input { type filter hook input priority 0; ct state established,related accept; ip saddr @ban4 drop; }
                }
                """);
        long[] banNs = new long[rounds];
        long[] addNs = new long[rounds];
        int leaks = 0;
        try (NftSets sets = NftSets.open(nsB);
             Conntrack ct = Conntrack.open(nsB);
             DatagramSocket rx = Netns.call(nsB, () -> new DatagramSocket(new InetSocketAddress(addrB, 9300)));
             DatagramSocket tx = Netns.call(nsA, () -> new DatagramSocket(0))) {
            rx.setSoTimeout(2000);
            NftSet ban = sets.getSet(NftSet.NFPROTO_INET, "palban", "ban4");
            IpPrefix a = IpPrefix.parse(addrA);
            List<SetElement> add = List.of(SetElement.of(a, 3_600_000));
            List<IpPrefix> del = List.of(a);
            byte[] buf = new byte[100];
            InetAddress to = InetAddress.getByName(addrB);
            for (int i = -200; i < rounds; i++) { // 200 rounds of warm-up
                long t0 = System.nanoTime();
                sets.add(ban, add);
                long t1 = System.nanoTime();
                ct.kill(del, Conntrack.Match.SOURCE);
                long t2 = System.nanoTime();
                byte[] probe = ("probe-" + i).getBytes(StandardCharsets.US_ASCII);
                tx.send(new DatagramPacket(probe, probe.length, to, 9300));
                sets.delete(ban, del);
                byte[] ok = ("ok-" + i).getBytes(StandardCharsets.US_ASCII);
                tx.send(new DatagramPacket(ok, ok.length, to, 9300));
                while (true) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    rx.receive(p);
                    String s = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
                    if (s.equals("ok-" + i)) break;
                    if (s.equals("probe-" + i) && i >= 0) leaks++;
                }
                if (i >= 0) {
                    addNs[i] = t1 - t0;
                    banNs[i] = t2 - t0;
                }
            }
        } finally {
            new NftRunner("palban", nsB, 30_000).load("delete table inet palban\n");
        }
        Arrays.sort(banNs);
        Arrays.sort(addNs);
        System.out.printf("ban (set add + conntrack kill), %d rounds: p50 %.3f ms, p99 %.3f ms, max %.3f ms;"
                        + " set add alone p50 %.3f ms, p99 %.3f ms; probes that passed after the ban: %d%n",
                rounds, banNs[rounds / 2] / 1e6, banNs[rounds * 99 / 100] / 1e6, banNs[rounds - 1] / 1e6,
                addNs[rounds / 2] / 1e6, addNs[rounds * 99 / 100] / 1e6, leaks);
    }
}
