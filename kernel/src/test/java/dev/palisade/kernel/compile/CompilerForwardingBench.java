package dev.palisade.kernel.compile;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.nft.NftRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BENCHMARKS.md "## Compiler": UDP packets per second from namespace a to
 * namespace b through a 1,000-rule pf.conf compiled into b, against no
 * ruleset, with and without the merge pass. Not part of the normal test run:
 * {@code mvn -pl kernel test -Dtest=CompilerForwardingBench -Dbench.compiler=true}
 * (root, iperf3). Every packet falls through all rules to the default pass
 * (no state), the worst case for a linear rule list.
 */
class CompilerForwardingBench {

    /** 20 ports × 50 source addresses, one rule per line: 1,000 rules, none matching the measured traffic. */
    static String thousandRules() {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < 20; p++) {
            for (int h = 1; h <= 50; h++) {
                b.append("block in quick proto udp from 172.16.").append(p).append('.').append(h)
                        .append(" to port ").append(6000 + p).append('\n');
            }
        }
        return b.toString();
    }

    static double udpPps(NetnsPair ns, int seconds) throws Exception {
        Process server = new ProcessBuilder("ip", "netns", "exec", ns.b, "iperf3", "-s", "-1", "-p", "5201")
                .redirectErrorStream(true).start();
        try {
            assertTrue(NetnsPair.await(5000, () -> {
                try {
                    return ns.exec(ns.b, "ss", "-ltn").contains(":5201");
                } catch (Exception e) {
                    return false;
                }
            }), "iperf3 server listening");
            String out = ns.exec(ns.a, "iperf3", "-c", ns.b4, "-p", "5201", "-u", "-b", "0", "-l", "64",
                    "-t", Integer.toString(seconds), "-J");
            Matcher endObj = Pattern.compile("\"end\"\\s*:\\s*\\{").matcher(out);
            assertTrue(endObj.find(), out);
            String end = out.substring(endObj.start());
            String sum = end.substring(end.indexOf("\"sum\""));
            sum = sum.substring(0, sum.indexOf('}'));
            Matcher pk = Pattern.compile("\"packets\"\\s*:\\s*(\\d+)").matcher(sum);
            Matcher lost = Pattern.compile("\"lost_packets\"\\s*:\\s*(\\d+)").matcher(sum);
            assertTrue(pk.find() && lost.find(), out);
            long received = Long.parseLong(pk.group(1)) - Long.parseLong(lost.group(1));
            return received / (double) seconds;
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    static long countRules(String program) {
        return program.lines().filter(l -> l.contains(" comment \"bench.conf:")).count();
    }

    @Test
    void forwardingThroughAThousandRules() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("bench.compiler"), "benchmark: run with -Dbench.compiler=true");
        try (NetnsPair ns = NetnsPair.create()) {
            HostProfile host = HostProfile.parse("interface " + ns.vethB + " " + ns.b4 + "/24\n", "netns");
            var rs = CompilerFixtures.parse("bench.conf", thousandRules(), host);
            List<String> report = new ArrayList<>();
            report.add("rules in pf.conf: " + rs.rules().size());
            NftRunner runner = new NftRunner("palisade", ns.b, 60_000);
            int secs = Integer.getInteger("bench.seconds", 5);
            int rounds = Integer.getInteger("bench.rounds", 3);
            String merged = ((CompileResult.Compiled) NftCompiler.compile(rs, host, NftCompiler.Options.defaults()))
                    .program().text();
            String unmerged = ((CompileResult.Compiled) NftCompiler.compile(rs, host,
                    NftCompiler.Options.defaults().withMerge(false))).program().text();
            report.add("nft rules: merged " + countRules(merged) + ", unmerged " + countRules(unmerged));
            List<List<Double>> pps = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int r = 0; r < rounds; r++) {
                // interleaved so that the shared machine's load drifts over all three alike
                ns.exec(ns.b, "nft", "add", "table", "inet", "palisade");
                ns.exec(ns.b, "nft", "delete", "table", "inet", "palisade");
                pps.get(0).add(udpPps(ns, secs));
                long t0 = System.nanoTime();
                runner.load(merged);
                report.add("load merged: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                pps.get(1).add(udpPps(ns, secs));
                t0 = System.nanoTime();
                runner.load(unmerged);
                report.add("load unmerged: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                pps.get(2).add(udpPps(ns, secs));
            }
            String[] names = {"no ruleset", "1,000 rules merged", "1,000 rules unmerged"};
            for (int i = 0; i < 3; i++) {
                List<Double> l = new ArrayList<>(pps.get(i));
                java.util.Collections.sort(l);
                report.add(String.format("%s: median %.0f pps (runs %s)", names[i], l.get(l.size() / 2),
                        pps.get(i).stream().map(x -> String.format("%.0f", x)).toList()));
            }
            report.forEach(System.out::println);
        }
    }
}
