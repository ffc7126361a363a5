package dev.palisade.core.eval;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import dev.palisade.core.lang.PfctlText;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.table.Allowlist;
import dev.palisade.core.table.TableSet;
import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.SplittableRandom;

/** A ruleset, a host, tables, a state table and a clock the test moves. */
final class EvalFixture {
    static final HostProfile HOST = HostProfile.parse("""
            interface lo 127.0.0.1/8 ::1/128
            interface eth0 192.0.2.1/24 2001:db8::1/64
            interface eth1 198.51.100.1/24
            ifgroup egress eth0
            ifgroup lo lo
            """, "test-host");

    long now = 1_000_000;
    final InstantSource clock = () -> Instant.ofEpochMilli(now);
    final TableSet tables = new TableSet(Clock.fixed(Instant.ofEpochSecond(1000), ZoneOffset.UTC), Allowlist.EMPTY);
    final Ruleset ruleset;
    final Evaluator eval;

    EvalFixture(String conf) {
        this(conf, new SplittableRandom(1));
    }

    EvalFixture(String conf, java.util.random.RandomGenerator random) {
        this(conf, random, Map.of());
    }

    /** With {@code files} readable by {@code include} and {@code load anchor}. */
    EvalFixture(String conf, java.util.random.RandomGenerator random, Map<String, String> files) {
        ruleset = parse(conf, files);
        eval = new Evaluator(ruleset, HOST, Evaluator.stateTable(ruleset, clock, new SplittableRandom(7)), TableLookup.of(tables),
                tables, clock, random);
    }

    static Ruleset parse(String conf) {
        return parse(conf, Map.of());
    }

    static Ruleset parse(String conf, Map<String, String> files) {
        ParseResult r = Parser.parse("test.conf", conf, new ParseOptions(HOST, Map.of(), p -> {
            String text = files.get(p);
            if (text == null) throw new java.io.IOException(p + ": no such file");
            return text;
        }));
        if (!r.ok()) throw new AssertionError(PfctlText.stderr(r));
        return r.ruleset();
    }

    Decision in(String ifname, byte[] pkt) {
        return eval.evaluate(decode(pkt), PacketMeta.of(ifname, true));
    }

    Decision out(String ifname, byte[] pkt) {
        return eval.evaluate(decode(pkt), PacketMeta.of(ifname, false));
    }

    static Packet decode(byte[] b) {
        Packet p = new Packet();
        p.decode(b);
        return p;
    }
}
