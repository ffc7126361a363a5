package dev.palisade.app.cli;

import dev.palisade.core.eval.Decision;
import dev.palisade.core.eval.Evaluator;
import dev.palisade.core.eval.PacketMeta;
import dev.palisade.core.eval.RulesetTables;
import dev.palisade.core.eval.TableLookup;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.PfctlText;
import dev.palisade.core.lang.Printer;
import dev.palisade.core.packet.DecodeCounters;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.pcap.CaptureException;
import dev.palisade.core.pcap.CaptureReader;
import dev.palisade.core.pcap.CaptureRecord;
import dev.palisade.core.pcap.Direction;
import dev.palisade.core.pcap.LinkType;
import dev.palisade.core.pcap.PcapWriter;
import dev.palisade.core.state.StateTable;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.TableSet;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade replay}: runs captured packets through a ruleset in user space
 * (core.eval) and says what pf would do with each (docs/replay.md). Time is the
 * capture's: state timeouts and connection rates follow the packets' timestamps.
 */
@Command(name = "replay", description = "Evaluate captured packets against a pf.conf in user space and report verdicts and counters.")
public final class ReplayCommand implements Callable<Integer> {

    @Option(names = "-f", required = true, paramLabel = "FILE", description = "The ruleset (pf.conf).")
    String file;

    @Option(names = "--host-profile", paramLabel = "FILE", description = "Host facts (interfaces, groups) instead of this host's.")
    Path hostProfile;

    @Option(names = "-i", paramLabel = "IFACE", description = "Interface of packets whose capture names none.")
    String iface;

    @Option(names = "--dir", paramLabel = "in|out", description = "Direction of packets whose capture and host say none.")
    String dir;

    @Option(names = "-v", description = "One line per packet.")
    boolean verbose;

    @Option(names = "--write-passed", paramLabel = "FILE", description = "Write passed packets to a pcap file.")
    Path writePassed;

    @Option(names = "--write-blocked", paramLabel = "FILE", description = "Write blocked packets to a pcap file.")
    Path writeBlocked;

    @Parameters(paramLabel = "CAPTURE", arity = "1..*", description = "pcap or pcapng files.")
    List<Path> captures;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Packets read, decoded and prefetched together before they are evaluated in order. */
    static final int BATCH = 16;

    private long tsMillis;
    /** Where the prefetch's reads go, so the JIT keeps them; never read. */
    @SuppressWarnings("unused")
    private long prefetchSink;
    // the host's own addresses (the direction guess), v4 as unsigned ints, v6 as hi, lo pairs
    private long[] selfV4, selfV6;

    /** PfctlRules writes to a PrintStream; picocli gives writers. */
    private static final class WriterStream extends java.io.OutputStream {
        private final java.io.PrintWriter w;

        WriterStream(java.io.PrintWriter w) { this.w = w; }

        @Override
        public void write(int b) { w.write(b & 0xff); }

        @Override
        public void flush() { w.flush(); }
    }

    @Override
    public Integer call() throws IOException {
        java.io.PrintWriter out = spec.commandLine().getOut();
        PrintStream err = new PrintStream(new WriterStream(spec.commandLine().getErr()), true);
        if (dir != null && !dir.equals("in") && !dir.equals("out")) {
            err.println("replay: --dir " + dir + ": expected in or out");
            return 2;
        }
        HostProfile host = PfctlRules.loadHost(hostProfile, "replay", err);
        if (host == null) return 1;
        ParseResult r = PfctlRules.parse(file, host, Map.of(), System.in, "replay", err);
        if (r == null) return 1;
        err.print(PfctlText.stderr(r));
        if (!r.ok()) return 1;
        InstantSource clock = new InstantSource() {
            @Override
            public long millis() { return tsMillis; }

            @Override
            public Instant instant() { return Instant.ofEpochMilli(tsMillis); }
        };
        TableSet tables = new TableSet(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), Allowlist.EMPTY);
        RulesetTables.load(r.ruleset(), tables, 0);
        StateTable stateTable;
        try {
            stateTable = Evaluator.stateTable(r.ruleset(), clock, new SplittableRandom(1));
        } catch (IllegalArgumentException e) {
            err.println("replay: " + file + ": " + e.getMessage());
            return 1;
        }
        Evaluator ev;
        try {
            ev = new Evaluator(r.ruleset(), host, stateTable, TableLookup.of(tables), tables, clock, new SplittableRandom(2));
        } catch (IllegalArgumentException e) { // an anchor calling itself
            err.println("replay: " + file + ": " + e.getMessage());
            return 1;
        }
        for (String gap : ev.unsupported()) err.println("replay: warning: " + gap);
        selfV4 = host.addressesOf("self").stream().map(e -> e.getValue().address()).filter(a -> !a.v6())
                .mapToLong(a -> a.lo()).toArray();
        var self6 = host.addressesOf("self").stream().map(e -> e.getValue().address()).filter(a -> a.v6()).toList();
        selfV6 = new long[self6.size() * 2];
        for (int k = 0; k < self6.size(); k++) {
            selfV6[2 * k] = self6.get(k).hi();
            selfV6[2 * k + 1] = self6.get(k).lo();
        }
        Map<String, PacketMeta[]> metas = new java.util.HashMap<>();
        long[] pk = new long[2], by = new long[2];
        long created = 0, number = 0, returned = 0;
        DecodeCounters decode = new DecodeCounters();
        long notIp = 0;
        long start = System.nanoTime(), lastProgress = start;
        // Packets go through in batches: read and decode BATCH records, touch each one's state-table
        // index slot, then its state record, then evaluate them in order. The lookups' cache misses
        // then overlap (see StateTable.probeIndex); evaluation order and results are unchanged.
        Packet[] ps = new Packet[BATCH];
        CaptureRecord[] recs = new CaptureRecord[BATCH];
        int[] offs = new int[BATCH], slots = new int[BATCH];
        PacketMeta[] bm = new PacketMeta[BATCH];
        for (int k = 0; k < BATCH; k++) {
            ps[k] = new Packet();
            recs[k] = new CaptureRecord();
        }
        String lastIfn = null;
        PacketMeta[] im = null;
        PcapWriter wp = writePassed == null ? null : PcapWriter.create(writePassed, LinkType.RAW);
        PcapWriter wb = writeBlocked == null ? null : PcapWriter.create(writeBlocked, LinkType.RAW);
        try {
            for (Path c : captures) {
                try (CaptureReader cr = CaptureReader.open(c)) {
                    boolean more = true;
                    while (more) {
                        int n = 0;
                        CaptureException fault = null;
                        try {
                            while (n < BATCH && (more = cr.next(recs[n]))) n++;
                        } catch (CaptureException e) {
                            fault = e; // evaluate what came before it, then report
                            more = false;
                        }
                        for (int k = 0; k < n; k++) {
                            CaptureRecord rec = recs[k];
                            int off = rec.ipOffset();
                            offs[k] = off;
                            if (off < 0) {
                                bm[k] = null;
                                slots[k] = 0;
                                continue;
                            }
                            Packet p = ps[k];
                            decode.count(p.decode(rec.data(), off, rec.length() - off));
                            String ifn = rec.interfaceName() != null ? rec.interfaceName() : iface != null ? iface : "unknown";
                            if (!ifn.equals(lastIfn)) {
                                im = metas.get(ifn);
                                if (im == null) {
                                    im = new PacketMeta[] {PacketMeta.of(ifn, false), PacketMeta.of(ifn, true)};
                                    metas.put(ifn, im);
                                }
                                lastIfn = ifn;
                            }
                            boolean in = direction(rec, p, host);
                            bm[k] = im[in ? 1 : 0];
                            slots[k] = stateTable.probeIndex(p, in);
                        }
                        long touched = 0;
                        for (int k = 0; k < n; k++) touched += stateTable.touchRecord(slots[k]);
                        prefetchSink += touched;
                        for (int k = 0; k < n; k++) {
                            CaptureRecord rec = recs[k];
                            number++;
                            int off = offs[k];
                            if (off < 0) {
                                notIp++;
                                if (verbose) out.println(number + " skip (not IP or truncated link header)");
                                continue;
                            }
                            tsMillis = rec.timestampNanos() / 1_000_000;
                            Packet p = ps[k];
                            PacketMeta m = bm[k];
                            boolean pass = ev.decide(p, m);
                            int v = pass ? 0 : 1;
                            pk[v]++;
                            by[v] += rec.length() - off;
                            if (ev.lastStateCreated()) created++;
                            if (ev.lastReply() != null) returned++;
                            PcapWriter w = pass ? wp : wb;
                            if (w != null) w.write(rec.timestampNanos(), java.util.Arrays.copyOfRange(rec.data(), off, rec.length()));
                            if (verbose) out.println(line(number, ev, ev.lastDecision(), m.in(), m.ifname(), p));
                        }
                        if (fault != null) throw fault;
                        long now = System.nanoTime();
                        if (now - start > 2_000_000_000L && now - lastProgress > 1_000_000_000L) {
                            lastProgress = now;
                            err.printf("replay: %s: %d packets%n", c, number);
                        }
                    }
                } catch (CaptureException e) {
                    err.println("replay: " + e.getMessage());
                    return 1;
                } catch (java.nio.file.NoSuchFileException e) {
                    err.println("replay: " + c + ": No such file or directory");
                    return 1;
                }
            }
        } finally {
            if (wp != null) wp.close();
            if (wb != null) wb.close();
        }
        out.printf("packets: %d total, %d passed (%d bytes), %d blocked (%d bytes), %d not IP%n",
                number, pk[0], by[0], pk[1], by[1], notIp);
        out.printf("states created: %d, current: %d; replies (return-rst/icmp): %d%n", created, ev.states().size(), returned);
        out.printf("malformed: %d%s%n", decode.malformed(), decode.malformed() == 0 ? "" : " " + decode.byClass());
        if (ev.states().stateLimitHits() + ev.srcLimitHits() > 0) {
            out.printf("limits: state-limit %d, src-limit %d; source nodes: %d%n", ev.states().stateLimitHits(),
                    ev.srcLimitHits(), ev.sourceNodes());
        }
        out.println();
        out.println("# pfctl -s labels");
        out.print(ev.showLabels());
        out.println();
        out.println("# pfctl -s rules -v");
        out.print(ev.showRulesVerbose());
        out.flush();
        return 0;
    }

    /** The capture's direction, else in when the destination is the host's, out when the source is, else --dir (in). */
    private boolean direction(CaptureRecord rec, Packet p, HostProfile host) {
        if (rec.direction() == Direction.IN) return true;
        if (rec.direction() == Direction.OUT) return false;
        if (p.af() == 4) {
            long d = p.dstV4() & 0xffffffffL, s = p.srcV4() & 0xffffffffL;
            for (long a : selfV4) {
                if (a == d) return true;
                if (a == s) return false;
            }
        } else if (p.af() == 6) {
            for (int k = 0; k < selfV6.length; k += 2) {
                if (selfV6[k] == p.dstHi() && selfV6[k + 1] == p.dstLo()) return true;
                if (selfV6[k] == p.srcHi() && selfV6[k + 1] == p.srcLo()) return false;
            }
        }
        return !"out".equals(dir);
    }

    private static String line(long n, Evaluator ev, Decision d, boolean in, String ifn, Packet p) {
        StringBuilder sb = new StringBuilder();
        sb.append(n).append(' ').append(d.pass() ? "pass" : "block");
        if (!d.replyKind().isEmpty()) sb.append(' ').append(d.replyKind());
        sb.append(in ? " in on " : " out on ").append(ifn).append(' ').append(p.ok() ? p.toString() : "malformed " + p.malformed());
        switch (d.reason()) {
            case STATE -> sb.append(" state ").append(d.state()).append(" of ").append(ev.ruleRef(d.rule(), ev.lastAnchor()));
            case BAD_STATE -> sb.append(" state-mismatch on state ").append(d.state());
            case DEFAULT -> sb.append(" default rule");
            case SKIP -> sb.append(" set skip");
            case MALFORMED -> sb.append(" malformed");
            default -> {
                sb.append(' ').append(ev.ruleRef(d.rule(), ev.lastAnchor())).append(' ').append(Printer.rule(ev.rule(d.rule()), 0));
                if (d.stateCreated()) sb.append(" [state ").append(d.state()).append(" created]");
                if (d.reason() != Decision.Reason.RULE) sb.append(" (").append(d.reason().name().toLowerCase().replace('_', '-')).append(')');
            }
        }
        return sb.toString();
    }
}
