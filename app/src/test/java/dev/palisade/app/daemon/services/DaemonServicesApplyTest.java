package dev.palisade.app.daemon.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.app.config.ServicesConf;
import dev.palisade.app.daemon.Palisaded;
import dev.palisade.core.net.IpAddress;
import dev.palisade.services.StateKiller;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@link DaemonServices#apply} on a real palisaded core (durable tables in a
 * temporary directory): a change whose start fails is undone whole, the
 * services that ran before run again; {@code log syslog} sends real UDP
 * datagrams and stops when the statement goes.
 */
class DaemonServicesApplyTest {

    @TempDir
    Path tmp;
    Palisaded d;
    DaemonServices services;

    static final IpAddress LOOPBACK = IpAddress.parse("127.0.0.1");

    void start() throws Exception {
        d = Palisaded.start(new Palisaded.Settings(tmp.resolve("state"), tmp.resolve("p.sock"), List.of(), Clock.systemUTC(), false));
        services = new DaemonServices(d.tables(), StateKiller.NONE, new PrometheusRegistry(), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        if (services != null) services.close();
        if (d != null) d.close();
    }

    static ServicesConf conf(List<ServicesConf.Trap> traps, ServicesConf.Log log) {
        return new ServicesConf(true, List.of(), List.of(), List.of(), traps, null, null, log);
    }

    static ServicesConf.Trap trap(int port, String table) {
        return new ServicesConf.Trap(List.of(LOOPBACK), port, table, 0, 16);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    void bansOn(int port, String table) throws Exception {
        d.tables().flush(table);
        DaemonServicesTest.connect(port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!d.tables().matches(table, LOOPBACK)) {
            if (System.nanoTime() > deadline) throw new AssertionError("no ban into <" + table + "> via port " + port);
            LockSupport.parkNanos(5_000_000); // polls the condition, bounded by the deadline
        }
    }

    @Test
    void aChangeThatCannotStartIsUndoneWhole() throws Exception {
        start();
        int a = freePort(), c = freePort();
        assertEquals(List.of(), services.apply(conf(List.of(trap(a, "first")), ServicesConf.Log.STDOUT)));
        bansOn(a, "first");
        try (ServerSocket taken = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            // move the trap to a port someone holds, and add another: nothing of it may stay
            List<String> p = services.apply(conf(List.of(trap(taken.getLocalPort(), "first"), trap(c, "second")), ServicesConf.Log.STDOUT));
            assertEquals(1, p.size(), p::toString);
            assertTrue(p.get(0).startsWith("trap 127.0.0.1:" + taken.getLocalPort() + ": "), p.get(0));
            bansOn(a, "first"); // the previous trap runs again
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), c), 2000);
                throw new AssertionError("the failed change's second trap must not be running");
            } catch (java.net.ConnectException expected) {
                // nothing listens there
            }
        }
        // the same change now succeeds
        int b = freePort();
        assertEquals(List.of(), services.apply(conf(List.of(trap(b, "first"), trap(c, "second")), ServicesConf.Log.STDOUT)));
        bansOn(b, "first");
        bansOn(c, "second");
    }

    @Test
    void syslogDestinationSendsDatagramsUntilRemoved() throws Exception {
        start();
        try (DatagramSocket syslog = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            syslog.setSoTimeout(5000); // the deadline for each datagram
            ServicesConf.Log to = new ServicesConf.Log(true, "127.0.0.1", syslog.getLocalPort(), "LOCAL3");
            assertEquals(List.of(), services.apply(conf(List.of(), to)));
            LoggerFactory.getLogger("palisade.test").info("hello syslog {}", 42);
            byte[] buf = new byte[4096];
            String got = "";
            while (!got.contains("hello syslog 42")) {
                DatagramPacket pk = new DatagramPacket(buf, buf.length);
                syslog.receive(pk); // throws on the deadline
                got = new String(pk.getData(), 0, pk.getLength(), StandardCharsets.UTF_8);
            }
            // <PRI>: local3 (19) * 8 + info (6) = 158
            assertTrue(got.startsWith("<158>"), got);
            assertTrue(got.contains("palisaded[" + ProcessHandle.current().pid() + "]: test: hello syslog 42"), got);
            assertEquals(List.of(), services.apply(conf(List.of(), ServicesConf.Log.STDOUT)));
            LoggerFactory.getLogger("palisade.test").info("after removal");
            syslog.setSoTimeout(300); // a short deadline: nothing more may arrive
            try {
                while (true) {
                    DatagramPacket pk = new DatagramPacket(buf, buf.length);
                    syslog.receive(pk);
                    String s = new String(pk.getData(), 0, pk.getLength(), StandardCharsets.UTF_8);
                    assertTrue(!s.contains("after removal"), "syslog removed, yet got: " + s);
                }
            } catch (java.net.SocketTimeoutException expected) {
                // nothing more
            }
        }
    }
}
