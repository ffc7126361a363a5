package dev.palisade.app.daemon;

import dev.palisade.app.daemon.kernel.KernelSide;
import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.TableSet;
import dev.palisade.core.table.Tables;
import dev.palisade.services.Banner;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import dev.palisade.services.store.TableStore;
import dev.palisade.services.tripwire.Tripwire;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Instant;

/**
 * Runs the ban path's code once at start, on scratch objects, so that the
 * daemon's first real ban is as fast as the later ones.
 *
 * <p>Why: measured with bench/scripts/tripwire-latency.sh, the first ban after
 * start took 80-115 ms from the scanner's SYN to the kernel's drop, the
 * later ones 2-7 ms. The difference is one-time JVM work on the path: class
 * loading and initialisation (the packet decoder, the ban queue's records,
 * the journal codec) and the linkage of invokedynamic call sites (lambdas,
 * records' {@code hashCode}/{@code equals}, pattern switches), each paid at
 * its first execution: about 22 ms in the packet decode, 37 ms in the hand-off
 * to the ban queue, 30 ms in the table write and journal. Running the same
 * code once on throwaway data pays them before the first scanner comes.
 *
 * <p>Nothing real is touched: the tripwire, the ban queue and the table are
 * scratch instances over an in-memory {@link TableSet} (whose adds answer
 * "already there", so no ban is logged), the journal encodes into nothing,
 * the daemon's own tables take a read and an empty write, and the kernel
 * side adds and deletes, in one transaction that no packet can see, an
 * address its set does not hold. The addresses are from
 * the documentation ranges (RFC 5737, RFC 3849).
 */
public final class BanPathWarmup {

    private BanPathWarmup() {}

    /**
     * Runs the warm-up (a few tens of milliseconds, once); returns how long it took in nanoseconds.
     *
     * @param tables the daemon's tables: their read and write paths run once, changing nothing
     * @param kernel the kernel side: one add-and-delete transaction per address family (see {@link KernelSide#warmUp})
     */
    public static long run(dev.palisade.services.store.DurableTables tables, KernelSide kernel) {
        long t0 = System.nanoTime();
        TableSet scratch = new TableSet(Clock.systemUTC(), Allowlist.EMPTY);
        scratch.setJournal(TableStore::warmUp);
        scratch.create("warmup");
        Tables quiet = new Tables() { // TableSet's own code, but every add answers REFRESHED: no ban line, no kill
            @Override
            public AddOutcome add(String table, IpPrefix prefix, Instant expires, Origin origin) {
                AddOutcome o = scratch.add(table, prefix, expires, origin);
                return o == AddOutcome.ADDED ? AddOutcome.REFRESHED : o;
            }

            @Override
            public boolean delete(String table, IpPrefix prefix) {
                return scratch.delete(table, prefix);
            }

            @Override
            public int flush(String table) {
                return scratch.flush(table);
            }

            @Override
            public boolean exists(String table) {
                return scratch.exists(table);
            }

            @Override
            public boolean create(String table) {
                return scratch.create(table);
            }

            @Override
            public boolean matches(String table, IpAddress address) {
                return scratch.matches(table, address);
            }
        };
        SeedMetrics metrics = new SeedMetrics(new PrometheusRegistry());
        try (Banner banner = new Banner(quiet, StateKiller.NONE, metrics, 16, "palisaded-warmup")) {
            Tripwire tw = new Tripwire(new Tripwire.Config(1, "warmup", null, false), quiet, banner, metrics, Clock.systemUTC());
            tw.divert(new DivertedPacket(1, 1, syn(false), "lo", null, 0), v -> { });
            tw.divert(new DivertedPacket(1, 2, syn(true), "lo", null, 0), v -> { });
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (banner.backlog() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        }
        tables.warmUp();
        kernel.warmUp();
        return System.nanoTime() - t0;
    }

    /** A TCP SYN from 192.0.2.1 (or 2001:db8::1) to port 1, headers only. */
    static byte[] syn(boolean v6) {
        int ip = v6 ? 40 : 20;
        byte[] b = new byte[ip + 20];
        if (v6) {
            b[0] = 0x60;
            b[5] = 20;
            b[6] = 6;
            b[7] = 64;
            b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = (byte) 0xb8; b[23] = 1;
            b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = (byte) 0xb8; b[39] = 2;
        } else {
            b[0] = 0x45;
            b[3] = (byte) b.length;
            b[8] = 64;
            b[9] = 6;
            b[12] = (byte) 192; b[14] = 2; b[15] = 1;
            b[16] = (byte) 192; b[18] = 2; b[19] = 2;
        }
        b[ip] = (byte) 0xc3; b[ip + 1] = 0x50; // source port 50000
        b[ip + 3] = 1;                          // destination port 1
        b[ip + 12] = 0x50;                      // data offset 5
        b[ip + 13] = 0x02;                      // SYN
        dev.palisade.core.packet.Checksums.fixChecksums(b);
        return b;
    }
}
