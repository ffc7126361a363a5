package dev.palisade.bench.kernel;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.nft.NftRunner;
import dev.palisade.kernel.nft.NftSet;
import dev.palisade.kernel.nft.NftSets;
import dev.palisade.kernel.nft.SetElement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * N random IPv4 addresses into a kernel set: over netlink with
 * {@link NftSets} against {@code nft -f} loading the same elements, into an
 * interval set and a plain (hash) set, in network namespace NETNS (run by
 * {@code bench/scripts/set-load-bench.sh}). usage: SetLoad NETNS [N]
 */
public final class SetLoad {

    public static void main(String[] args) throws Exception {
        String netns = args[0];
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        Random rnd = new Random(42);
        Set<Integer> uniq = new LinkedHashSet<>();
        while (uniq.size() < n) uniq.add(rnd.nextInt());
        List<SetElement> elems = new ArrayList<>(n);
        StringBuilder text = new StringBuilder();
        for (int a : uniq) {
            elems.add(SetElement.of(IpPrefix.host(IpAddress.ofV4(a))));
        }
        NftRunner nft = new NftRunner("palbench", netns, 600_000);
        for (String kind : List.of("interval", "hash")) {
            String flags = kind.equals("interval") ? " flags interval;" : "";
            nft.load("table inet palbench {\n set viaapi { type ipv4_addr;" + flags + " }\n set vianft { type ipv4_addr;"
                    + flags + " }\n}\n");
            try (NftSets sets = NftSets.open(netns)) {
                NftSet s = sets.getSet(NftSet.NFPROTO_INET, "palbench", "viaapi");
                long t0 = System.nanoTime();
                sets.add(s, elems);
                double api = (System.nanoTime() - t0) / 1e9;
                // XXX the kernel's rbtree dump restarts its walk per chunk (quadratic): list back only small sets
                int listed = n <= 100_000 || kind.equals("hash") ? sets.list(s).size() : -1;

                text.setLength(0);
                text.append("add element inet palbench vianft {\n");
                int i = 0;
                for (SetElement e : elems) {
                    text.append(e.prefix()).append(++i % 8 == 0 ? ",\n" : ", ");
                }
                text.setLength(text.length() - 2);
                text.append("\n}\n");
                Path f = Files.createTempFile("palbench", ".nft");
                Files.writeString(f, text);
                long t1 = System.nanoTime();
                run(netns, "nft", "-f", f.toString());
                double viaNft = (System.nanoTime() - t1) / 1e9;
                Files.delete(f);
                System.out.printf("%s set, %d addresses: NftSets %.2f s (%d listed back), nft -f %.2f s, ratio nft/api %.2f%n",
                        kind, n, api, listed, viaNft, viaNft / api);
            }
            nft.load("delete table inet palbench\n");
        }
    }

    static void run(String netns, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).inheritIO().start();
        if (p.waitFor() != 0) throw new IOException(String.join(" ", c) + ": exit " + p.exitValue());
    }
}
