package dev.palisade.services.trap;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.net.IpAddress;
import dev.palisade.services.Await;
import dev.palisade.services.Banner;
import dev.palisade.services.LogCapture;
import dev.palisade.services.MemoryTables;
import dev.palisade.services.SeedMetrics;
import dev.palisade.services.StateKiller;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A scanner in another network namespace (Debian's nmap, connect scan, over
 * a veth pair) against trap ports: the scanner is banned. IPv4 and IPv6.
 * Needs root, ip and nmap; skips otherwise. The namespace and the veth pair
 * have unique names and are always removed.
 */
class TrapNamespaceTest {

    final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    final String ns = "pal-seeds-" + id;
    final String hostIf = "ps" + id + "h";
    final String nsIf = "ps" + id + "n";
    final int subnet = ThreadLocalRandom.current().nextInt(1, 255);
    final String hostV4 = "10.213." + subnet + ".1", scannerV4 = "10.213." + subnet + ".2";
    final String hostV6 = "fd00:213:" + Integer.toHexString(subnet) + "::1", scannerV6 = "fd00:213:" + Integer.toHexString(subnet) + "::2";

    final SeedMetrics metrics = SeedMetrics.unregistered();
    final MemoryTables tables = new MemoryTables("iblocked");
    final List<IpAddress> killed = new ArrayList<>();
    final Banner banner = new Banner(tables, (StateKiller) a -> { synchronized (killed) { killed.add(a); } }, metrics, 1024, "trap-ns-banner");
    final LogCapture logs = new LogCapture("palisade.trap");
    TrapListener trap;
    boolean created;

    static boolean has(String path) {
        return new File(path).canExecute();
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": did not finish within 60 s");
        }
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
        return out;
    }

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces: skipped");
        Assumptions.assumeTrue(has("/usr/bin/nmap") && (has("/usr/sbin/ip") || has("/usr/bin/ip") || has("/sbin/ip")),
                "needs nmap and ip: skipped");
        run("ip", "netns", "add", ns);
        created = true;
        run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
        run("ip", "link", "set", nsIf, "netns", ns);
        run("ip", "addr", "add", hostV4 + "/24", "dev", hostIf);
        run("ip", "-6", "addr", "add", hostV6 + "/64", "dev", hostIf, "nodad");
        run("ip", "link", "set", hostIf, "up");
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        run("ip", "netns", "exec", ns, "ip", "addr", "add", scannerV4 + "/24", "dev", nsIf);
        run("ip", "netns", "exec", ns, "ip", "-6", "addr", "add", scannerV6 + "/64", "dev", nsIf, "nodad");
        run("ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (trap != null) trap.close();
            banner.close();
            logs.close();
        } finally {
            if (created) {
                try {
                    run("ip", "netns", "del", ns); // removes the veth pair with it
                } finally {
                    try {
                        run("ip", "link", "del", hostIf);
                    } catch (IOException alreadyGone) {
                        // deleting the namespace deleted the pair
                    }
                }
            }
        }
    }

    @Test
    void connectScanFromAnotherNamespaceBansTheScanner() throws Exception {
        List<InetSocketAddress> listen = new ArrayList<>();
        for (String a : List.of(hostV4, hostV6)) {
            listen.add(new InetSocketAddress(InetAddress.ofLiteral(a), 0));
        }
        trap = new TrapListener(new TrapListener.Config(listen, "iblocked", null, false, 128), tables, banner, metrics, Clock.systemUTC());
        trap.start();
        int p4 = trap.boundAddresses().get(0).getPort(), p6 = trap.boundAddresses().get(1).getPort();

        long t0 = System.nanoTime();
        String out = run("ip", "netns", "exec", ns, "nmap", "-sT", "-Pn", "-n", "--max-retries", "0", "-p", String.valueOf(p4), hostV4);
        IpAddress s4 = IpAddress.parse(scannerV4);
        Await.until(Duration.ofSeconds(1), () -> tables.matches("iblocked", s4), () -> "IPv4 scanner banned within 1 s; nmap said " + out);
        long ms = (System.nanoTime() - t0) / 1_000_000;

        String out6 = run("ip", "netns", "exec", ns, "nmap", "-6", "-sT", "-Pn", "-n", "--max-retries", "0", "-p", String.valueOf(p6), hostV6);
        IpAddress s6 = IpAddress.parse(scannerV6);
        Await.until(Duration.ofSeconds(1), () -> tables.matches("iblocked", s6), () -> "IPv6 scanner banned within 1 s; nmap said " + out6);

        assertTrue(logs.lines().contains("blocking " + scannerV4), logs.lines()::toString);
        assertTrue(logs.lines().contains("blocking " + s6), logs.lines()::toString);
        synchronized (killed) {
            assertTrue(killed.containsAll(List.of(s4, s6)), "states killed: " + killed);
        }
        assertFalse(tables.matches("iblocked", IpAddress.parse(hostV4)), "only the scanner");
        System.out.println("trap namespace test: IPv4 scan to ban " + ms + " ms (nmap run included)");
    }
}
