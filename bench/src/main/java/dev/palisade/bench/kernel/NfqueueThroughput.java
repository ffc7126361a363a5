package dev.palisade.bench.kernel;

import dev.palisade.core.divert.DivertedPacket;
import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.kernel.nfqueue.NfQueueReader;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * NFQUEUE throughput of Palisade's reader with an accept-everything diverter,
 * counted like the C baseline ({@code /work/shared/baselines/nfq_accept.c}):
 * from the first packet to the COUNT-th. Driven by
 * {@code bench/scripts/nfqueue-bench.sh}, which floods the queue from another
 * namespace. usage: NfqueueThroughput NETNS QUEUE COUNT
 */
public final class NfqueueThroughput {

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: NfqueueThroughput NETNS QUEUE COUNT");
            System.exit(2);
        }
        String netns = args[0];
        int queue = Integer.parseInt(args[1]);
        long want = Long.parseLong(args[2]);
        CountDownLatch done = new CountDownLatch(1);
        long[] t = new long[3];
        Diverter acceptAll = new Diverter() {
            @Override
            public String name() {
                return "accept";
            }

            @Override
            public void divert(DivertedPacket p, Consumer<Verdict> verdict) {
                long n = ++t[2];
                if (n == 1) t[0] = System.nanoTime();
                if (n == want) {
                    t[1] = System.nanoTime();
                    done.countDown();
                }
                verdict.accept(Verdict.PASS);
            }
        };
        // Same settings as the C baseline: copy whole packets, 8192-packet queue, no fail-open, no GSO flag.
        try (NfQueueReader r = NfQueueReader.start(queue, acceptAll, new NfQueueReader.Options(0xffff, false, false, 8192), netns)) {
            System.err.println("ready");
            done.await();
            double s = (t[1] - t[0]) / 1e9;
            System.out.printf("palisade_nfqueue: %d packets in %.3f s = %.0f pps (overruns %d)%n", want, s, want / s,
                    r.overruns());
        }
    }
}
