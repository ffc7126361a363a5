package dev.palisade.bench;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Parse and expand generated rulesets of 1k, 10k and 100k expanded rules
 * (macros, tables, lists of ports and addresses, state options, labels).
 * Target: at least 200k expanded rules per second on one core, and under
 * 200 MB of heap for 100k rules (run {@link #main} with -Xmx200m to check).
 *
 * <pre>
 * mvn -q -pl bench -am package -DskipTests
 * java -jar bench/target/benchmarks.jar ParseBench -f 1 -wi 2 -i 3 -w 2s -r 2s
 * java -Xmx200m -cp bench/target/benchmarks.jar dev.palisade.bench.ParseBench 100000
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ParseBench {

    @Param({"1000", "10000", "100000"})
    public int rules;

    String text;
    ParseOptions options;

    static final HostProfile HOST = HostProfile.parse("""
            interface lo0 127.0.0.1/8 ::1/128
            interface em0 192.0.2.1/24 2001:db8::1/64
            ifgroup egress em0
            user root 0
            user www 67
            group wheel 0
            """, "bench");

    /** A ruleset that expands to about {@code n} rules: 8 statements expand to 10 rules. */
    public static String generate(int n) {
        StringBuilder sb = new StringBuilder(n * 80);
        sb.append("ext = \"em0\"\nweb = \"{ 80, 443 }\"\n");
        sb.append("table <bad> persist { 198.51.100.0/24 !198.51.100.7 }\n");
        int stmts = n / 10 * 8;
        for (int i = 0; i < stmts; i++) {
            int a = (i >> 8) & 255, b = i & 255;
            switch (i % 8) {
                case 0 -> sb.append("pass in quick on $ext inet proto tcp from 10.").append(a).append('.').append(b)
                        .append(".0/24 to any port $web keep state (max 100, source-track rule)\n");
                case 1 -> sb.append("block return in log on $ext proto { tcp udp } from <bad> to 192.0.2.")
                        .append(b).append(" port ").append(1000 + i % 60000).append('\n');
                case 2 -> sb.append("pass out on egress inet6 proto udp to 2001:db8:").append(Integer.toHexString(i & 0xffff)).append(":").append(Integer.toHexString(i >> 16))
                        .append("::/64 port domain label \"$nr:$dstaddr\"\n");
                case 3 -> sb.append("match in on $ext from 172.16.").append(a).append('.').append(b)
                        .append(" scrub (no-df max-mss 1440)\n");
                case 4 -> sb.append("pass in on $ext proto tcp to port ssh flags S/SA keep state (max-src-conn 10, ")
                        .append("max-src-conn-rate 5/30, overload <bad> flush global) tag T").append(i).append('\n');
                case 5 -> sb.append("pass in on $ext proto tcp to port ").append(2000 + i % 50000)
                        .append(" divert-packet port 700\n");
                case 6 -> sb.append("block in quick from ! (em0:network) to 203.0.113.").append(b).append('\n');
                default -> sb.append("pass out inet proto tcp to port 8080 user root probability 50%\n");
            }
        }
        return sb.toString();
    }

    @Setup(Level.Trial)
    public void setup() {
        text = generate(rules);
        options = ParseOptions.of(HOST);
    }

    @Benchmark
    public ParseResult parse() {
        ParseResult r = Parser.parse("bench", text, options);
        if (!r.ok()) throw new IllegalStateException(r.errors().getFirst().toString());
        return r;
    }

    /** Parses N rules once, keeping the result, and reports rules, time and live heap. */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String text = generate(n);
        ParseOptions o = ParseOptions.of(HOST);
        for (int i = 0; i < 3; i++) Parser.parse("bench", text, o);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        ParseResult r = Parser.parse("bench", text, o);
        long wall = System.nanoTime() - t0;
        long ns = mx.getCurrentThreadCpuTime() - c0;
        if (!r.ok()) throw new IllegalStateException(r.errors().getFirst().toString());
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        System.out.printf("%d expanded rules in %.1f ms CPU, %.1f ms wall (%.0f rules/s of CPU); live heap with the ruleset %.1f MB (max %d MB)%n",
                r.ruleset().rules().size(), ns / 1e6, wall / 1e6, r.ruleset().rules().size() / (ns / 1e9), used / 1e6,
                rt.maxMemory() >> 20);
    }
}
