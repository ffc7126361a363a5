package dev.palisade.kernel.compile;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The per-rule counters of a loaded program, read back from {@code nft list table}.
 *
 * <p>Why this shape: the compiler puts an anonymous counter before the verdict
 * of every rule line and names the pf.conf source in the line's comment
 * ({@code "FILE:LINE"}, or {@code "FILE:LO-HI"} / {@code "A:1,B:2"} when
 * adjacent rules were merged into one set lookup). Summing the counters of the
 * filter chains by that comment gives each pf.conf line its packets and bytes
 * without a counter object per rule; a merged line's figure is attributed to
 * every line it came from (it cannot be split), and the nat chains are left out
 * (their lines repeat the filter rule's comment).
 */
public final class RuleCounters {
    private RuleCounters() {
    }

    private static final Pattern CHAIN = Pattern.compile("^\\s*chain (\\S+) \\{");
    private static final Pattern LINE = Pattern.compile("counter packets (\\d+) bytes (\\d+) .*comment \"([^\"]*)\"");

    /** {@code FILE:LINE} to {packets, bytes}, summed over the lines of chains {@code filter_in} and {@code filter_out}. */
    public static Map<String, long[]> parse(String nftListing) {
        Map<String, long[]> out = new HashMap<>();
        String chain = "";
        for (String l : nftListing.split("\n")) {
            Matcher c = CHAIN.matcher(l);
            if (c.find()) {
                chain = c.group(1);
                continue;
            }
            if (!chain.equals("filter_in") && !chain.equals("filter_out")) continue;
            Matcher m = LINE.matcher(l);
            if (!m.find()) continue;
            long p = Long.parseLong(m.group(1)), b = Long.parseLong(m.group(2));
            for (String where : m.group(3).split(",")) {
                int colon = where.lastIndexOf(':');
                if (colon < 0) continue;
                String file = where.substring(0, colon), lines = where.substring(colon + 1);
                int dash = lines.indexOf('-');
                try {
                    int lo = Integer.parseInt(dash < 0 ? lines : lines.substring(0, dash));
                    int hi = dash < 0 ? lo : Integer.parseInt(lines.substring(dash + 1));
                    for (int n = lo; n <= hi && n - lo < 100_000; n++) {
                        long[] v = out.computeIfAbsent(file + ":" + n, k -> new long[2]);
                        v[0] += p;
                        v[1] += b;
                    }
                } catch (NumberFormatException e) {
                    // a comment of ours that names no line ("state", "default pass")
                }
            }
        }
        return out;
    }
}
