package dev.palisade.bench;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.tabled.TabledCodec;
import dev.palisade.core.tabled.TabledConfig;
import dev.palisade.core.tabled.TabledKeys;
import dev.palisade.services.tabled.TabledCounters;
import dev.palisade.services.tabled.TabledServer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Clock;
import java.util.Random;

/**
 * End-to-end pftabled throughput: valid, distinct, signed datagrams sent over
 * loopback UDP to a {@link TabledServer}, which verifies each (MAC, window,
 * replay cache) and applies it to an in-memory {@link MapTables}. The figure
 * is datagrams applied per second, counted by the server, from the first
 * send to the last apply, after a warm-up of a fifth of the datagrams (JIT). The sender keeps at most {@code window} datagrams
 * ahead of the server's receive counter, so that the kernel's socket buffer
 * does not drop (drops are reported anyway). It also prints the process's CPU
 * time (sender and server together), since on a shared machine the wall-clock
 * figure depends on the other load.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.palisade.bench.TabledThroughput [COUNT] [VERSION] [LANES] [SENDERS]}
 * (defaults 1000000, 2, 16, 1; SENDERS client threads, each its own socket, share the datagrams). Target (issue 6): at least 100000/s.
 */
public final class TabledThroughput {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int version = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int lanes = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int senders = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int window = 4096;

        byte[] keyBytes = new byte[32];
        new Random(1).nextBytes(keyBytes);
        TabledKeys keys = TabledKeys.fromKeyFile(keyBytes, "bench");
        long now = System.currentTimeMillis() / 1000;
        System.out.printf("signing %d version %d datagrams...%n", count, version);
        byte[][] datagrams = new byte[count][];
        byte[] nonce = new byte[16];
        for (int i = 0; i < count; i++) {
            IpPrefix p = IpPrefix.host(IpAddress.ofV4(0x0a000000 | i));
            TableCommand c = TableCommand.add("bench", p);
            if (version == 3) {
                nonce[0] = (byte) i;
                datagrams[i] = TabledCodec.encodeV3(c, now, nonce, keys.v3Key());
            } else {
                datagrams[i] = TabledCodec.encodeV2(c, now, keys.v2Key());
            }
        }

        MapTables tables = new MapTables();
        tables.create("bench");
        TabledConfig config = TabledConfig.defaults(keys).withRate(0, 0).withReplayCapacity(Math.max(count, 1));
        TabledServer.Settings settings = TabledServer.Settings.of(0).withBind(new InetSocketAddress("127.0.0.1", 0)).withLanes(lanes);
        try (TabledServer server = TabledServer.start(config, settings, tables, Clock.systemUTC());
             DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(server.localAddress());
            TabledCounters c = server.counters();
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            ByteBuffer buf = ByteBuffer.allocateDirect(TabledCodec.V3_SIZE);
            int warm = count / 5;
            send(ch, buf, datagrams, 0, warm, c, window, 0, 1);
            drain(server, c, warm);
            long applied0 = c.appliedTotal();
            long cpu0 = os.getProcessCpuTime();
            long sender0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            if (senders <= 1) {
                send(ch, buf, datagrams, warm, count, c, window, warm, 1);
            } else {
                Thread[] ts = new Thread[senders - 1];
                int share = (count - warm) / senders;
                for (int k = 1; k < senders; k++) {
                    int from = warm + k * share;
                    int to = k == senders - 1 ? count : from + share;
                    ts[k - 1] = Thread.ofPlatform().start(() -> {
                        try (DatagramChannel own = DatagramChannel.open()) {
                            own.connect(server.localAddress());
                            send(own, ByteBuffer.allocateDirect(TabledCodec.V3_SIZE), datagrams, from, to, c, window, warm, senders);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                }
                send(ch, buf, datagrams, warm, warm + share, c, window, warm, senders);
                for (Thread t : ts) t.join();
            }
            drain(server, c, count);
            long t1 = System.nanoTime();
            double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
            double senderSeconds = (threads.getCurrentThreadCpuTime() - sender0) / 1e9;
            double seconds = (t1 - t0) / 1e9;
            long applied = c.appliedTotal() - applied0;
            System.out.printf("version %d, lanes %d: %d sent (first %d to warm up), %d received, %d rejected, %d in table;"
                    + " measured: %d applied in %.2f s: %.0f applied/s%n",
                    version, lanes, count, warm, c.received(), c.rejectedTotal(), tables.size("bench"), applied, seconds, applied / seconds);
            if (senders == 1) {
                System.out.printf("process CPU %.2f s (sender thread %.2f s, server and JVM %.2f s): %.0f applied per server CPU-second;"
                        + " load average %.1f on %d CPUs%n", cpuSeconds, senderSeconds, cpuSeconds - senderSeconds,
                        applied / (cpuSeconds - senderSeconds), os.getSystemLoadAverage(), os.getAvailableProcessors());
            } else {
                System.out.printf("%d senders; process CPU %.2f s (senders and server): %.0f applied per process CPU-second;"
                        + " load average %.1f on %d CPUs%n", senders, cpuSeconds, applied / cpuSeconds,
                        os.getSystemLoadAverage(), os.getAvailableProcessors());
            }
            if (c.rejectedTotal() != 0) System.out.println("rejections: " + c);
        }
    }

    /**
     * Sends datagrams[from, to), one of {@code senders} equal shares sent at once after {@code base} were received:
     * waits while the senders together would be more than {@code window} ahead of the server.
     */
    private static void send(DatagramChannel ch, ByteBuffer buf, byte[][] datagrams, int from, int to, TabledCounters c, int window,
                             int base, int senders) throws java.io.IOException {
        for (int i = from; i < to; i++) {
            while ((long) (i - from) * senders + base - c.received() > window) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000); // 2 cores: do not spin
            }
            buf.clear();
            buf.put(datagrams[i]).flip();
            ch.write(buf);
        }
    }

    /** Waits until {@code count} datagrams were handled, or nothing arrives any more (drops). */
    private static void drain(TabledServer server, TabledCounters c, long count) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        long last = -1;
        long lastChange = System.nanoTime();
        while (c.appliedTotal() + c.rejectedTotal() < count && System.nanoTime() < deadline) {
            long handled = c.appliedTotal() + c.rejectedTotal();
            if (handled != last) {
                last = handled;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > 1_000_000_000L && c.received() == handled) {
                break; // the rest was dropped by the kernel
            }
            Thread.sleep(1);
        }
        server.awaitIdle(10_000);
    }
}
