package dev.palisade.bench;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableFlags;
import dev.palisade.core.table.TableSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The table workloads of the benchmarks, deterministic (seeded): a
 * "realistic mix" of prefixes as ban lists and blocklists look: 80% IPv4
 * (90% /32 hosts, 10% networks /8 to /31 weighted to /16../24), 20% IPv6
 * (half /128 hosts, half /32../64 networks).
 */
final class TableData {

    private TableData() {}

    static List<IpPrefix> prefixes(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<IpPrefix> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(prefix(r));
        return out;
    }

    static IpPrefix prefix(SplittableRandom r) {
        if (r.nextInt(10) < 8) {
            int a = r.nextInt();
            int len;
            if (r.nextInt(10) < 9) len = 32;
            else len = r.nextInt(4) == 0 ? 8 + r.nextInt(24) : 16 + r.nextInt(9);
            return new IpPrefix(IpAddress.ofV4(a), len);
        }
        long hi = 0x2000000000000000L | (r.nextLong() >>> 4);
        long lo = r.nextLong();
        int len = r.nextBoolean() ? 128 : 32 + r.nextInt(33);
        return new IpPrefix(IpAddress.ofV6(hi, lo), len);
    }

    static TableSet table(List<IpPrefix> prefixes) {
        TableSet set = new TableSet(Clock.systemUTC(), Allowlist.EMPTY);
        set.create("t", TableFlags.PERSIST);
        Origin o = new Origin.Tripwire(22);
        for (IpPrefix p : prefixes) set.add("t", p, null, o);
        return set;
    }
}
