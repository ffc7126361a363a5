package dev.palisade.app.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.app.Main;
import dev.palisade.core.packet.PacketBuilder;
import dev.palisade.core.pcap.LinkType;
import dev.palisade.core.pcap.PcapWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code palisade replay} on examples/sample.pcap and on garbage. */
class ReplayCommandTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void samplePcapVerdictsFollowExamplesPfConf() {
        Run r = run("replay", "-v", "-f", ROOT.resolve("examples/pf.conf").toString(),
                "--host-profile", ROOT.resolve("examples/sample-host.profile").toString(), "-i", "eth0",
                ROOT.resolve("examples/sample.pcap").toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("packets: (\\d+) total, (\\d+) passed \\(\\d+ bytes\\), (\\d+) blocked").matcher(r.out());
        assertTrue(m.find(), r.out());
        int total = Integer.parseInt(m.group(1)), passed = Integer.parseInt(m.group(2)), blocked = Integer.parseInt(m.group(3));
        assertEquals(total, passed + blocked, "every packet counted");
        // 10.99.0.0/24 is in <martians>: every IPv4 packet coming in is blocked by the quick rule
        for (String l : r.out().split("\n")) {
            if (l.matches("\\d+ .* in on eth0 inet 10\\.99.*")) {
                assertTrue(l.contains("block") && l.contains("from <martians>"), l);
            }
            if (l.contains("inet6 fd99::2:8080 > fd99::1") || l.contains("fd99::1:37456 > fd99::2:8080 proto 6 len 80 flags 2 ")) {
                assertTrue(l.contains(" block"), "8080 is not a passed service: " + l);
            }
        }
        assertTrue(r.out().matches("(?s).*\\d+ pass in on eth0 inet6 fd99::1 > fd99::2 proto 58 .*icmp 128/0 @\\d+ pass in on egress inet6 proto ipv6-icmp .*created.*"),
                "IPv6 echo request passes and creates a state");
        assertTrue(r.out().matches("(?s).*\\d+ pass out on eth0 inet6 fd99::2 > fd99::1 proto 58 .*icmp 129/0 state \\d+ of @\\d+.*"),
                "its reply matches the state");
        assertTrue(r.out().contains("# pfctl -s labels\nurpf "));
        assertTrue(r.out().contains("  [ Evaluations: "));
        assertTrue(r.out().contains("icmp 143/0 @0 block return log all"), "MLD reports blocked without a reply to multicast");
        assertFalse(r.out().contains("block return-icmp in on eth0 inet6 fe80::ff:fe00:1 > ff02::16"));
        assertEquals(46, total);
        assertEquals(6, passed);
    }

    @Test
    void randomBytesAndTruncatedPacketsReplayToTheEnd(@TempDir Path dir) throws Exception {
        Path cap = dir.resolve("junk.pcap");
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 500;
        try (PcapWriter w = PcapWriter.create(cap, LinkType.RAW)) {
            byte[] sample = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2};
            for (int i = 0; i < n; i++) {
                byte[] b;
                if (i % 2 == 0) {
                    b = new byte[rnd.nextInt(80)];
                    rnd.nextBytes(b);
                } else {
                    b = java.util.Arrays.copyOf(sample, rnd.nextInt(sample.length + 1));
                }
                w.write(i * 1000L, b);
            }
        }
        Path conf = dir.resolve("pf.conf");
        Files.writeString(conf, "block all\npass in proto tcp\n");
        Path prof = dir.resolve("host.profile");
        Files.writeString(prof, "interface eth0 10.0.0.2/24\n");
        Run r = run("replay", "-f", conf.toString(), "--host-profile", prof.toString(), "-i", "eth0", cap.toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("packets: (\\d+) total, (\\d+) passed \\(\\d+ bytes\\), (\\d+) blocked \\(\\d+ bytes\\), (\\d+) not IP").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(n, Integer.parseInt(m.group(1)));
        assertEquals(n, Integer.parseInt(m.group(2)) + Integer.parseInt(m.group(3)) + Integer.parseInt(m.group(4)));
        Matcher mal = Pattern.compile("malformed: (\\d+)").matcher(r.out());
        assertTrue(mal.find());
        assertTrue(Long.parseLong(mal.group(1)) > n / 2, r.out());
    }

    @Test
    void badInputsSayWhat(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pf.conf");
        Files.writeString(conf, "pass all\n");
        Run r = run("replay", "-f", conf.toString(), "--host-profile", "/nonexistent", "x.pcap");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot read host profile /nonexistent"), r.err());
        Path prof = dir.resolve("host.profile");
        Files.writeString(prof, "interface eth0 10.0.0.2/24\n");
        r = run("replay", "-f", conf.toString(), "--host-profile", prof.toString(), dir.resolve("none.pcap").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("none.pcap: No such file or directory"), r.err());
        Files.writeString(dir.resolve("bad.pcap"), "not a capture at all");
        r = run("replay", "-f", conf.toString(), "--host-profile", prof.toString(), dir.resolve("bad.pcap").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not a capture"), r.err());
        r = run("replay", "--dir", "sideways", "-f", conf.toString(), dir.resolve("bad.pcap").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--dir sideways: expected in or out"), r.err());
    }

    @Test
    void rulesTheEvaluatorDoesNotApplyAreWarnedAbout(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pf.conf"), host = dir.resolve("host.profile"), cap = dir.resolve("empty.pcap");
        Files.writeString(conf, "block all\npass in on eth0 proto tcp to port 80 rdr-to 10.0.0.1\npass out\n");
        Files.writeString(host, "interface eth0 192.0.2.1/24\n");
        try (PcapWriter w = PcapWriter.create(cap, LinkType.RAW)) {
            // no packets: the warning comes from the ruleset alone
        }
        Run r = run("replay", "-f", conf.toString(), "--host-profile", host.toString(), cap.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("replay: warning: nat-to/rdr-to/af-to are not applied") && r.err().contains("@1 pass in on eth0"),
                r.err());
        Files.writeString(conf, "block all\npass out\n");
        r = run("replay", "-f", conf.toString(), "--host-profile", host.toString(), cap.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("warning"), r.err());
    }

    @Test
    void anchorsAreEnteredAndTheirRulesNamedAsPflogDoes(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pf.conf"), host = dir.resolve("host.profile"), cap = dir.resolve("a.pcap");
        Files.writeString(dir.resolve("dns.conf"), "pass in proto udp to port 53 keep state label dns\n");
        Files.writeString(conf, "block all\nanchor \"ssh\" in on eth0 {\n  pass in proto tcp to port 22\n}\n"
                + "anchor \"dns\"\nload anchor \"dns\" from \"" + dir.resolve("dns.conf") + "\"\n");
        Files.writeString(host, "interface eth0 192.0.2.1/24\n");
        int client = 0xcb007105, server = 0xc0000201; // 203.0.113.5 -> 192.0.2.1
        try (PcapWriter w = PcapWriter.create(cap, LinkType.RAW)) {
            w.write(1_000_000_000L, PacketBuilder.udp4(client, server, 5000, 53));
            w.write(2_000_000_000L, PacketBuilder.udp4(server, client, 53, 5000));
            w.write(3_000_000_000L, PacketBuilder.udp4(client, server, 5000, 54));
        }
        Run r = run("replay", "-v", "-f", conf.toString(), "--host-profile", host.toString(), "-i", "eth0", cap.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("warning"), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("1 pass in on eth0") && l.contains(" @2.dns.0 pass in proto udp")
                && l.contains("[state 0 created]")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("2 pass out on eth0") && l.endsWith(" state 0 of @2.dns.0")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("3 block in on eth0") && l.contains(" @0 block drop all")), r.out());
        assertTrue(r.out().contains("dns 2 2 56 1 28 1 28 1\n"), r.out()); // evaluated by packets 1 and 3
        assertTrue(r.out().contains("anchor \"ssh\" in on eth0 all\n"), r.out());
        Files.writeString(conf, "anchor \"x\" {\n  anchor \"/x\"\n}\n");
        r = run("replay", "-f", conf.toString(), "--host-profile", host.toString(), cap.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("anchor loop: \"x\" -> \"x\""), r.err());
    }

    @Test
    void sourceLimitsRefuseStatesAndTheSummarySaysHowMany(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pf.conf"), host = dir.resolve("host.profile"), cap = dir.resolve("q.pcap");
        Files.writeString(conf, "block all\npass in on eth0 proto udp to port 53 keep state (max-src-states 2)\n");
        Files.writeString(host, "interface eth0 192.0.2.1/24\n");
        int client = 0xcb007105, server = 0xc0000201; // 203.0.113.5 -> 192.0.2.1
        try (PcapWriter w = PcapWriter.create(cap, LinkType.RAW)) {
            for (int i = 0; i < 3; i++) w.write(1_000_000_000L * (i + 1), PacketBuilder.udp4(client, server, 5000 + i, 53));
        }
        Run r = run("replay", "-v", "-f", conf.toString(), "--host-profile", host.toString(), "-i", "eth0", "--dir", "in",
                cap.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("packets: 3 total, 2 passed"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("3 block") && l.contains("(src-limit)")), r.out());
        assertTrue(r.out().contains("limits: state-limit 0, src-limit 1; source nodes: 1"), r.out());
    }

    /**
     * replay reads, decodes and prefetches packets in batches of 16 before it
     * evaluates them: the verdicts must be those of evaluating one packet at a
     * time, also when a state made in one batch is used later in the same batch
     * or the next. Oracle: an Evaluator fed the same packets in order.
     */
    @Test
    void batchedReplayAgreesWithOnePacketAtATime(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pf.conf"), host = dir.resolve("host.profile"), cap = dir.resolve("c.pcap");
        Files.writeString(conf, "block all\npass in on eth0 proto tcp to port 80 keep state\n");
        Files.writeString(host, "interface eth0 192.0.2.1/24\n");
        int server = 0xc0000201;
        SplittableRandom rnd = new SplittableRandom(9);
        java.util.List<byte[]> pkts = new java.util.ArrayList<>();
        long[] cseq = new long[12], sseq = new long[12];
        int[] step = new int[12];
        while (pkts.size() < 150) {
            int c = rnd.nextInt(12);
            int client = 0xc6336400 | c, sport = 2000 + c;
            int dport = c == 11 ? 81 : 80; // connection 11 goes to a blocked port
            byte[] b = switch (step[c]++ % 4) {
                case 0 -> PacketBuilder.tcp4(client, server, sport, dport, cseq[c] = 1000L * c + 7, 0, 0x02, 0);
                case 1 -> PacketBuilder.tcp4(server, client, dport, sport, sseq[c] = 5000L * c + 3, cseq[c] + 1, 0x12, 0);
                case 2 -> PacketBuilder.tcp4(client, server, sport, dport, cseq[c] + 1, sseq[c] + 1, 0x10, 0);
                default -> rnd.nextInt(4) == 0
                        ? PacketBuilder.tcp4(client, server, sport, dport, cseq[c] + 1, sseq[c] + 300_001, 0x10, 0) // acks unsent data: bad state
                        : PacketBuilder.tcp4(client, server, sport, dport, cseq[c] + 1, sseq[c] + 1, 0x10, 0);
            };
            if (step[c] % 4 == 0) step[c] = 3; // after the handshake: more ACKs
            pkts.add(b);
        }
        try (PcapWriter w = PcapWriter.create(cap, LinkType.RAW)) {
            for (int i = 0; i < pkts.size(); i++) w.write(1_700_000_000_000_000_000L + i * 1_000_000L, pkts.get(i));
        }
        Run r = run("replay", "-v", "-f", conf.toString(), "--host-profile", host.toString(), "-i", "eth0", cap.toString());
        assertEquals(0, r.code(), r.err());

        var hp = dev.palisade.core.lang.HostProfile.parse(Files.readString(host), "host.profile");
        var pr = dev.palisade.core.lang.Parser.parse("pf.conf", Files.readString(conf),
                new dev.palisade.core.lang.ParseOptions(hp, java.util.Map.of(), null));
        assertTrue(pr.ok());
        java.time.InstantSource clock = java.time.InstantSource.fixed(java.time.Instant.ofEpochSecond(1_700_000_000L));
        var ev = new dev.palisade.core.eval.Evaluator(pr.ruleset(), hp,
                dev.palisade.core.eval.Evaluator.stateTable(pr.ruleset(), clock, new SplittableRandom(1)),
                dev.palisade.core.eval.TableLookup.of(new dev.palisade.core.table.TableSet(
                        java.time.Clock.systemUTC(), dev.palisade.core.table.Allowlist.EMPTY)),
                null, clock, new SplittableRandom(2));
        String[] lines = r.out().split("\n");
        int states = 0, bad = 0;
        for (int i = 0; i < pkts.size(); i++) {
            var p = new dev.palisade.core.packet.Packet();
            p.decode(pkts.get(i), 0, pkts.get(i).length);
            boolean in = (p.dstV4() == server);
            var d = ev.evaluate(p, dev.palisade.core.eval.PacketMeta.of("eth0", in));
            String l = lines[i];
            assertTrue(l.startsWith((i + 1) + (d.pass() ? " pass " : " block ")), "packet " + (i + 1) + ": " + d + " vs " + l);
            assertEquals(d.stateCreated(), l.contains("created]"), l);
            if (d.stateCreated()) states++;
            if (d.reason() == dev.palisade.core.eval.Decision.Reason.BAD_STATE) bad++;
        }
        assertEquals(11, states, "one state per connection to port 80");
        assertTrue(bad > 0, "some packets out of their window");
    }
}
