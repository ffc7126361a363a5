package dev.palisade.bench;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Address and prefix parsing, the first step of every table command and
 * pf.conf address. Run: {@code java -jar bench/target/benchmarks.jar AddressParseBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AddressParseBench {

    @Benchmark
    public IpAddress parseV4() {
        return IpAddress.parse("192.168.37.29");
    }

    @Benchmark
    public IpAddress parseV6() {
        return IpAddress.parse("2001:db8::ff00:42:8329");
    }

    @Benchmark
    public IpPrefix parsePrefix() {
        return IpPrefix.parse("2001:db8:1::/48");
    }

    @Benchmark
    public String printV6() {
        return IpAddress.ofV6(0x20010db800000000L, 0xff0000428329L).toString();
    }
}
