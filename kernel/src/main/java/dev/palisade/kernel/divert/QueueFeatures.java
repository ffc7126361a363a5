package dev.palisade.kernel.divert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which way this kernel can send packets to an NFQUEUE queue.
 *
 * <p>Probed, not guessed from the kernel version: nft's {@code queue}
 * expression (CONFIG_NFT_QUEUE) is tried in a throwaway table created and
 * deleted in one nft transaction, so nothing is left behind; the xt NFQUEUE
 * target (CONFIG_NETFILTER_XT_TARGET_NFQUEUE, through iptables-nft's xt
 * compat) is tried in a throwaway chain of iptables' filter table.
 */
public final class QueueFeatures {

    /** The route found. */
    public enum Path {
        /** nft's {@code queue num N [bypass]} statement works. */
        NFT_QUEUE,
        /** only the xt NFQUEUE target ({@code iptables -j NFQUEUE}) works. */
        XT_NFQUEUE,
        /** neither: divert rules cannot be loaded. */
        NONE
    }

    private QueueFeatures() {}

    /** Probes in network namespace {@code netns} (null: the current one). */
    public static Path probe(String netns) throws IOException, InterruptedException {
        if (nftQueue(netns)) return Path.NFT_QUEUE;
        if (xtNfqueue(netns)) return Path.XT_NFQUEUE;
        return Path.NONE;
    }

    /** Whether nft's queue expression loads (nothing stays: the table is deleted in the same transaction). */
    public static boolean nftQueue(String netns) throws IOException, InterruptedException {
        String t = "palisade_probe_" + ProcessHandle.current().pid();
        String prog = "table inet " + t + " {\n chain c {\n  queue num 0 bypass\n }\n}\ndelete table inet " + t + "\n";
        return run(netns, prog, "nft", "-f", "-") == 0;
    }

    /** Whether iptables accepts an NFQUEUE rule (in a throwaway chain, removed afterwards). */
    public static boolean xtNfqueue(String netns) throws IOException, InterruptedException {
        String c = "PALISADE-PROBE-" + (ProcessHandle.current().pid() % 100000);
        if (run(netns, "", "iptables", "-w", "-N", c) != 0) return false;
        try {
            return run(netns, "", "iptables", "-w", "-A", c, "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass") == 0;
        } finally {
            run(netns, "", "iptables", "-w", "-F", c);
            run(netns, "", "iptables", "-w", "-X", c);
        }
    }

    static int run(String netns, String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (netns != null) cmd.addAll(List.of("ip", "netns", "exec", netns));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream os = p.getOutputStream()) {
            os.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        p.getInputStream().transferTo(sink);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
