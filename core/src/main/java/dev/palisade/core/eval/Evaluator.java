package dev.palisade.core.eval;

import dev.palisade.core.lang.Address;
import dev.palisade.core.lang.AddrMatch;
import dev.palisade.core.lang.Af;
import dev.palisade.core.lang.FilterRule;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.IdOp;
import dev.palisade.core.lang.Names;
import dev.palisade.core.lang.PortOp;
import dev.palisade.core.lang.Printer;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.packet.PacketBuilder;
import dev.palisade.core.state.StateOptions;
import dev.palisade.core.state.StateTable;
import dev.palisade.core.state.StateVerdict;
import dev.palisade.core.state.TcpStates;
import dev.palisade.core.state.Timeout;
import dev.palisade.core.state.Timeouts;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * pf's packet test in user space: state lookup, then the flat rules.
 *
 * <h2>Semantics (after OpenBSD sys/net/pf.c: pf_test, pf_test_rule, pf_match_rule)</h2>
 * <ul>
 * <li>Malformed packets are dropped; packets on a {@code set skip} interface pass untouched.
 * <li>The state table ({@link StateTable}) is asked first; ICMP errors match the state of the
 *   packet they quote. A match passes (or drops a packet outside the windows) with no rule
 *   evaluation; the packet counts on the rule that created the state.
 * <li>Otherwise the rules: the last matching rule wins, {@code quick} stops; {@code match}
 *   rules never decide but add their tag and log bits. No match: pf's default rule, pass
 *   without state. Criteria are tested in pf's order; {@code probability} (an injected
 *   random number, drawn only for rules that matched everything else) last.
 * <li>{@code user}/{@code group}: a packet without a local socket has uid/gid UID_MAX,
 *   which only {@code =} and {@code !=} compare (pf_match_uid).
 * <li>{@code no-route}, {@code urpf-failed}, {@code route}: XXX the evaluator knows no
 *   routing table; the answer is "unknown", and an unknown address test never matches
 *   (negated or not).
 * <li>A stateful pass creates a state ({@link StateTable#create}); at the state or rule
 *   limit the packet is dropped. A rule with {@code source-track} or any {@code max-src-*}
 *   option counts its states on a source node (one per source address, shared by every
 *   such rule unless {@code source-track rule}, as pf): {@code max-src-nodes} caps the
 *   nodes a rule made, {@code max-src-states} the states of one node (pf reason
 *   src-limit); a node goes when its last state does ({@code src.track} seconds later when
 *   that timeout is set). max-src-conn / max-src-conn-rate count a source's
 *   connections when their handshake completes (pf_src_connlimit), and a counted
 *   connection is counted down when its state goes; beyond the limit the
 *   source goes into the overload table ({@link Origin.Overload}), its states are flushed
 *   as asked, and the packet is dropped.
 * <li>{@code block return}: a RST for TCP, an ICMP unreachable for others, built with
 *   {@link PacketBuilder}; never in answer to a RST or an ICMP error.
 * </ul>
 *
 * <h2>Skip steps: why</h2>
 * As pf_calc_skip_steps: for each rule and each of eight criteria (interface, direction,
 * family, protocol, source address, destination address, source port, destination port)
 * the index of the next rule that differs in it. A rule failing on a criterion fails for
 * every following rule that tests it the same way, so the walk jumps there. Criteria are
 * tested in that order, so a jump never passes a rule that could match. The same
 * {@link #test} serves the plain linear walk ({@link #evaluateLinear}), the oracle of the
 * property test; both must agree on every packet.
 *
 * <h2>The walk's data: why flat</h2>
 * What a walk reads for most rules it passes over is packed tight: two longs per rule
 * (protocol, direction, family, address and port modes, expiry of a {@code once} rule; a
 * single IPv4 source prefix as network and mask), 16 KB for 1k rules, so that it stays in the
 * L1/L2 caches between walks while state lookups stream through them; a second array holds
 * the destination prefix and each port test as an inclusive range (negated for {@code !=}
 * and {@code <>}), read only by rules whose source matched; the skip steps stay one array per
 * criterion (the steps a walk takes are mostly of one criterion: contiguous); {@code on}
 * results are one boolean array per interface name. A rule with nothing more to test (no
 * flags, icmp-type, uid, tos, tag test, probability...) is decided from these alone, without
 * reading its {@link FilterRule}. History: reading each FilterRule record and its
 * address-test arrays touched several scattered cache lines per rule, and JFR put ~30% of
 * {@code replay}'s time there; one 64-byte line per rule was measured slower than this
 * layout (a walk of ~80 rules then missed ~80 lines). Rules whose
 * addresses are anything else (tables, ranges, several prefixes, IPv6) keep the general
 * test; the order and outcome of the tests are the same either way.
 *
 * <h2>Anchors (pf_match_rule, pf_step_into_anchor)</h2>
 * An anchor rule is tested like any rule; when it matches (its tag applies), the walk steps into
 * the anchor's ruleset ({@link AnchorLayout}: inline, loaded, or empty when undefined; a
 * wildcard {@code x/*} steps into each child of {@code x} in name order), with the same last
 * match, tag and log bits. A {@code quick} rule inside ends the whole evaluation; a
 * {@code quick} anchor rule (not a wildcard) ends it on leaving the anchor if a pass or block
 * rule inside matched. The deciding rule's packets also count on the anchor rule it was found
 * under, and so do its state's, as pf counts {@code a}. Rules are indexed in one space, main
 * ruleset first ({@link #rule}, {@link #ruleRef}).
 *
 * <p>Refused at construction: {@code synproxy state} (its verdicts would not be pf's).
 * XXX not modelled: NAT/rdr/af-to, route-to,
 * divert (a divert rule passes; the divert itself is the kernel's), os fingerprints,
 * {@code received-on}, {@code prio}, rtable.
 *
 * <p>Not thread safe: one evaluator per thread, as its state table.
 */
public final class Evaluator {
    /** Skip step criteria, pf's PF_SKIP_* order without rdomain. */
    public static final int SKIP_IFP = 0, SKIP_DIR = 1, SKIP_AF = 2, SKIP_PROTO = 3, SKIP_SRC_ADDR = 4,
            SKIP_DST_ADDR = 5, SKIP_SRC_PORT = 6, SKIP_DST_PORT = 7, SKIP_COUNT = 8;
    private static final int NEXT = 8, MATCH = -1;

    private final List<FilterRule> rules; // the main ruleset's
    private final List<FilterRule> all; // every rule reachable, main first (AnchorLayout)
    private final int[][] calls; // per rule: the segments an anchor rule steps into; null for others
    private final int[] segStart, segEnd, segOf;
    private final String[] segPath;
    private final int[] bodyAt; // per segment: the anchor rule after which -s rules shows its rules
    private final HostProfile host;
    private final StateTable states;
    private final TableLookup tables;
    private final Tables overloadTables;
    private final RandomGenerator random;
    private final InstantSource clock;
    private final List<String> skipIfs;
    private final AddrTest[] src, dst;
    private final StateOptions[] stateOptions;
    private final int[][] skip;
    // evaluateLinear, the oracle: every rule tested through the general path (no F_SIMPLE shortcut)
    private boolean linear;
    // The cheap criteria of every rule (see "The walk's data" above).
    private final long[] fast;
    private static final int FAST_W = 2; // h, source prefix (16 bytes per rule: 1k rules in 16 KB)
    // what a rule that passed its source test reads next: destination prefix, source and destination port ranges
    private final long[] fast2;
    private static final int FAST2_W = 3;
    private static final long F_DIR_IN = 1L << 8, F_DIR_OUT = 1L << 9, F_AF4 = 1L << 10, F_AF6 = 1L << 11,
            F_SP = 1L << 24, F_SP_NEG = 1L << 25, F_DP = 1L << 26, F_DP_NEG = 1L << 27,
            F_SIMPLE = 1L << 28, // nothing to test beyond the fast criteria and the ports
            F_EXPIRED = 1L << 29; // a once rule that matched
    private static final int F_SRC_SHIFT = 16, F_DST_SHIFT = 20;
    /** Address modes in the fast array: general (ask the AddrTest), any, one IPv4 prefix, its negation. */
    private static final int A_GENERAL = 0, A_ANY = 1, A_V4 = 2, A_V4_NEG = 3;
    /** Per interface seen: whether each rule's {@code on} clause matches it. */
    private final Map<String, boolean[]> ifOkCache = new HashMap<>();
    private boolean[] ifOk;
    private final boolean[] expired;
    private long srcLimitHits;
    private final Map<String, Integer> ifIndex = new HashMap<>();
    private final BitSet connCounted = new BitSet();
    private final Map<SrcKey, SrcNode> srcNodes = new HashMap<>();
    private final boolean[] srcTrack; // rule tracks sources: source-track or any max-src-* option
    private final int[] ruleSrcNodes; // source nodes each rule created that are still there
    private SrcNode[] nodeOf = new SrcNode[0]; // by state id: the source node the state counts on

    // the interface of the previous packet (replay gives the same String instance again and again)
    private String lastIfname;
    private int lastIfi;
    private boolean lastIfSkipped;

    // the last decision (see decide)
    private boolean dPass;
    private Decision.Reason dReason;
    private int dRule = -1, dState = -1, dLog, dAnchor = -1;
    private int[] anchorOfState = new int[0]; // by state id: the anchor rule its rule was found under, -1 none
    private boolean dCreated;
    private String dTag;
    private byte[] dReply;

    // counters
    private final long[] evaluations, pktsIn, bytesIn, pktsOut, bytesOut, statesTotal;

    /**
     * @param ruleset        the flat rules and options
     * @param host           interfaces, groups, addresses ({@code self}, {@code (if)}, {@code on group})
     * @param states         the state table to consult and fill
     * @param tables         table lookups
     * @param overloadTables where {@code overload <t>} adds sources, or null to ignore overload
     * @param clock          time for connection rates
     * @param random         source of {@code probability} draws
     */
    public Evaluator(Ruleset ruleset, HostProfile host, StateTable states, TableLookup tables, Tables overloadTables,
                     InstantSource clock, RandomGenerator random) {
        this.rules = ruleset.rules();
        this.host = Objects.requireNonNull(host, "host");
        this.states = Objects.requireNonNull(states, "states");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.overloadTables = overloadTables;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.skipIfs = ruleset.options().skip();
        AnchorLayout layout = new AnchorLayout(ruleset);
        this.all = List.copyOf(layout.rules);
        this.calls = layout.calls;
        int segs = layout.segments();
        segStart = new int[segs];
        segEnd = new int[segs];
        segPath = layout.paths.toArray(new String[0]);
        int n = all.size();
        segOf = new int[n];
        skip = new int[SKIP_COUNT][n];
        for (int sg = 0; sg < segs; sg++) {
            int a = segStart[sg] = layout.start(sg), e = segEnd[sg] = layout.end(sg);
            java.util.Arrays.fill(segOf, a, e, sg);
            int[][] local = SkipSteps.compute(all.subList(a, e));
            for (int k = 0; k < SKIP_COUNT; k++) {
                for (int j = 0; j < e - a; j++) skip[k][a + j] = a + local[k][j];
            }
        }
        bodyAt = bodies(calls, segStart, segEnd);
        src = new AddrTest[n];
        dst = new AddrTest[n];
        stateOptions = new StateOptions[n];
        srcTrack = new boolean[n];
        ruleSrcNodes = new int[n];
        boolean anyTrack = false;
        for (int i = 0; i < n; i++) {
            FilterRule r = all.get(i);
            if (r.state() == FilterRule.StateType.SYNPROXY) { // refused, not approximated: its verdicts would differ from pf's
                throw new IllegalArgumentException("synproxy state is not modelled (pf answers the client's handshake itself "
                        + "and opens the connection to the server after it): " + ruleRef(i, -1) + " " + Printer.rule(r, 0));
            }
            src[i] = AddrTest.compile(r.src(), host);
            dst[i] = AddrTest.compile(r.dst(), host);
            var so = r.stateOptions();
            srcTrack[i] = so.maxSrcConn() != 0 || so.maxSrcConnRate() != 0 || so.maxSrcNodes() != 0
                    || so.maxSrcStates() != 0 || so.sourceTrack() != dev.palisade.core.lang.StateOptions.SourceTrack.NONE;
            anyTrack |= srcTrack[i];
            stateOptions[i] = new StateOptions(i, r.state() == FilterRule.StateType.MODULATE, so.sloppy(),
                    (int) Math.min(Integer.MAX_VALUE, so.max()), so.ifBound() || ruleset.options().stateIfBound() && !so.floating(),
                    so.timeouts().isEmpty() ? null : ruleTimeouts(states.timeouts(), so.timeouts()));
        }
        if (anyTrack) states.onRemove(this::stateRemoved);
        fast = new long[n * FAST_W];
        fast2 = new long[n * FAST2_W];
        for (int i = 0; i < n; i++) {
            FilterRule r = all.get(i);
            long h = r.proto() & 0xff;
            if (r.direction() != FilterRule.Direction.OUT) h |= F_DIR_IN;
            if (r.direction() != FilterRule.Direction.IN) h |= F_DIR_OUT;
            if (r.af() != Af.INET6) h |= F_AF4;
            if (r.af() != Af.INET) h |= F_AF6;
            h |= (long) src[i].fastMode() << F_SRC_SHIFT | (long) dst[i].fastMode() << F_DST_SHIFT;
            fast[i * FAST_W] = h;
            fast[i * FAST_W + 1] = src[i].fastV4();
            fast2[i * FAST2_W] = dst[i].fastV4();
            PortOp sp = r.src().port(), dp = r.dst().port();
            if (sp != null) {
                h |= F_SP | (sp.op() == dev.palisade.core.lang.Op.NE || sp.op() == dev.palisade.core.lang.Op.XRG ? F_SP_NEG : 0);
                fast2[i * FAST2_W + 1] = portRange(sp);
            }
            if (dp != null) {
                h |= F_DP | (dp.op() == dev.palisade.core.lang.Op.NE || dp.op() == dev.palisade.core.lang.Op.XRG ? F_DP_NEG : 0);
                fast2[i * FAST2_W + 2] = portRange(dp);
            }
            if (r.flagset() == 0 && r.uid() == null && r.gid() == null && r.icmpType() < 0 && r.icmpCode() < 0 && r.tos() < 0
                    && !r.fragment() && r.tagged() == null && r.os() == null && r.receivedOn() == null && r.prio() < 0
                    && r.probability() == 0) {
                h |= F_SIMPLE;
            }
            fast[i * FAST_W] = h;
        }
        expired = new boolean[n];
        evaluations = new long[n];
        pktsIn = new long[n];
        bytesIn = new long[n];
        pktsOut = new long[n];
        bytesOut = new long[n];
        statesTotal = new long[n];
    }

    /**
     * The state table a ruleset asks for: its {@code set timeout} values over
     * pf's defaults and its {@code set limit states} (default
     * {@link StateTable#DEFAULT_LIMIT}); with a limit set and no
     * {@code adaptive.*} timeouts, adaptive scaling runs from 60% to 120% of
     * the limit, as pfctl sets it.
     *
     * @throws IllegalArgumentException when a timeout or the limit is out of range (the message names it)
     */
    public static StateTable stateTable(Ruleset ruleset, InstantSource clock, RandomGenerator random) {
        Map<Timeout, Integer> changes = new EnumMap<>(Timeout.class);
        for (Map.Entry<String, Integer> e : ruleset.options().timeouts().entrySet()) {
            Timeout t = Timeout.byPfName(e.getKey());
            if (t == null) throw new IllegalArgumentException("set timeout " + e.getKey() + ": not a pf timeout name");
            changes.put(t, e.getValue());
        }
        Long limit = ruleset.options().limits().get("states");
        if (limit != null && (limit <= 0 || limit > StateTable.MAX_LIMIT)) {
            throw new IllegalArgumentException("set limit states " + limit + ": expected 1.." + StateTable.MAX_LIMIT
                    + " (the evaluator's state table holds at most that many)");
        }
        if (limit != null) {
            // pfctl: adaptive scaling defaults to 60% .. 120% of a set state limit
            changes.putIfAbsent(Timeout.ADAPTIVE_START, (int) Math.min(Integer.MAX_VALUE, limit * 6 / 10));
            changes.putIfAbsent(Timeout.ADAPTIVE_END, (int) Math.min(Integer.MAX_VALUE, limit * 12 / 10));
        }
        return new StateTable(limit == null ? StateTable.DEFAULT_LIMIT : (int) (long) limit,
                Timeouts.defaults().with(changes), clock, random);
    }

    /** A rule's {@code (tcp.established 600, ...)} over the global timeouts; keys index {@link Names#TIMEOUTS}. */
    static Timeouts ruleTimeouts(Timeouts global, Map<Integer, Integer> rule) {
        Map<Timeout, Integer> changes = new EnumMap<>(Timeout.class);
        for (Map.Entry<Integer, Integer> e : rule.entrySet()) {
            Timeout t = Timeout.byPfName(Names.TIMEOUTS.get(e.getKey()));
            if (t == null) throw new IllegalArgumentException("rule timeout " + Names.TIMEOUTS.get(e.getKey()) + ": not a pf timeout name");
            changes.put(t, e.getValue());
        }
        return global.with(changes);
    }

    /**
     * What this ruleset asks of pf that the evaluator does not do, one line
     * per kind naming the first rule that asks it (empty when everything is
     * modelled). {@code replay} prints these as warnings so that a verdict is
     * never silently wrong. XXX each is a known gap, see docs/replay.md GAPS.
     */
    public List<String> unsupported() {
        Map<String, String> gaps = new java.util.LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            FilterRule r = all.get(i);
            String at = ruleRef(i, -1) + " " + Printer.rule(r, 0);
            if (r.nat() != null || r.rdr() != null || r.afTo() != null) {
                gaps.putIfAbsent("nat", "nat-to/rdr-to/af-to are not applied (the rule filters, the packet is not translated): " + at);
            }
            if (r.route() != null) gaps.putIfAbsent("route", "route-to/reply-to/dup-to are not applied: " + at);
            if (r.divert() != null) gaps.putIfAbsent("divert", "divert rules pass without diverting: " + at);
            for (AddrMatch a : List.of(r.src(), r.dst())) {
                Address ad = a.address();
                if (ad instanceof Address.NoRoute || ad instanceof Address.UrpfFailed || ad instanceof Address.RouteLabel) {
                    gaps.putIfAbsent("routing", "no-route/urpf-failed/route need a routing table: the test never matches: " + at);
                }
            }
            if (r.os() != null || r.receivedOn() != null || r.prio() >= 0) {
                gaps.putIfAbsent("os", "os/received-on/prio never match: " + at);
            }
        }
        return List.copyOf(gaps.values());
    }

    public List<FilterRule> rules() { return rules; }

    public StateTable states() { return states; }

    /**
     * Any rule by its index: the main ruleset's rules are {@code 0 .. rules().size()-1}, the
     * anchors' follow ({@link #lastRule()}, {@link #counters} and state rules use these indexes).
     */
    public FilterRule rule(int index) { return all.get(index); }

    /** How many rules there are, anchors' included. */
    public int ruleCount() { return all.size(); }

    /** The anchor path of the ruleset holding rule {@code index}, "" for the main ruleset. */
    public String anchorPath(int index) { return segPath[segOf[index]]; }

    /**
     * A rule as pflog names it: {@code @N} for a rule of the main ruleset, {@code @A.path.N} for
     * rule N of anchor {@code path} entered through anchor rule A (tcpdump's {@code rule A.path.N});
     * {@code anchorRule} -1 when not known ({@code @path.N}).
     */
    public String ruleRef(int index, int anchorRule) {
        if (segOf[index] == 0) return "@" + all.get(index).number();
        String at = anchorRule >= 0 ? "@" + all.get(anchorRule).number() + "." : "@";
        return at + segPath[segOf[index]] + "." + all.get(index).number();
    }

    /** The skip steps of the main ruleset: {@code skipSteps()[criterion][rule]} is the next rule to test, {@code rules().size()} for the end. */
    public int[][] skipSteps() {
        int[][] c = new int[SKIP_COUNT][];
        for (int i = 0; i < SKIP_COUNT; i++) c[i] = java.util.Arrays.copyOf(skip[i], segEnd[0]);
        return c;
    }

    /** Evaluates one packet with skip steps. */
    public Decision evaluate(Packet p, PacketMeta m) {
        decide(p, m, true);
        return lastDecision();
    }

    /**
     * The same, walking every rule and testing each through the general path (not the flat
     * shortcut of simple rules): the oracle for {@link #evaluate}.
     */
    public Decision evaluateLinear(Packet p, PacketMeta m) {
        decide(p, m, false);
        return lastDecision();
    }

    /**
     * Evaluates one packet with skip steps and allocates nothing: the outcome is
     * returned as pass (true) or block, and the rest of it is read from
     * {@link #lastReason()}, {@link #lastRule()}, {@link #lastState()},
     * {@link #lastStateCreated()}, {@link #lastTag()}, {@link #lastLog()},
     * {@link #lastReply()} until the next call. This is the packet path of
     * {@code replay}; {@link #evaluate} wraps it in a {@link Decision}.
     */
    public boolean decide(Packet p, PacketMeta m) {
        return decide(p, m, true);
    }

    /** The outcome of the last {@link #decide} / {@link #evaluate} as a record (allocates). */
    public Decision lastDecision() {
        return new Decision(dPass, dReason, dRule, dState, dCreated, dTag, dLog, dReply);
    }

    /** Why the last packet passed or was blocked. */
    public Decision.Reason lastReason() { return dReason; }
    /** The last packet's deciding rule (or the rule of its state), -1 for none. */
    public int lastRule() { return dRule; }
    /** The anchor rule under which the last packet's rule was found (for a state: its rule), -1 for none. */
    public int lastAnchor() { return dAnchor; }
    /** The state the last packet matched or created, -1 for none. */
    public int lastState() { return dState; }
    /** Whether the last packet created {@link #lastState()}. */
    public boolean lastStateCreated() { return dCreated; }
    /** The last packet's tag, or null. */
    public String lastTag() { return dTag; }
    /** The last packet's log bits. */
    public int lastLog() { return dLog; }
    /** The reply pf sends for the last packet ({@code block return*}), or null. */
    public byte[] lastReply() { return dReply; }

    private boolean set(boolean pass, Decision.Reason reason, int rule, int state, boolean created, String tag, int log,
                        byte[] reply) {
        dPass = pass;
        dReason = reason;
        dRule = rule;
        dState = state;
        dCreated = created;
        dTag = tag;
        dLog = log;
        dReply = reply;
        return pass;
    }

    private boolean decide(Packet p, PacketMeta m, boolean useSkip) {
        dAnchor = -1;
        linear = !useSkip;
        if (!p.ok()) {
            return set(false, Decision.Reason.MALFORMED, -1, -1, false, null, 0, null);
        }
        String ifname = m.ifname();
        if (ifname != lastIfname) {
            Integer known = ifIndex.get(ifname);
            int ifi = known != null ? known : ifIndex.size();
            if (known == null) ifIndex.put(ifname, ifi);
            lastIfname = ifname;
            lastIfi = ifi;
            lastIfSkipped = skipped(ifname);
            ifOk = ifOkCache.computeIfAbsent(ifname, this::ifOkFor);
        }
        if (lastIfSkipped) {
            return set(true, Decision.Reason.SKIP, -1, -1, false, null, 0, null);
        }
        int ifi = lastIfi;
        StateVerdict sv = states.test(p, m.in(), ifi);
        if (sv == StateVerdict.PASS || sv == StateVerdict.BAD_STATE) {
            int id = states.lastId();
            int r = id >= 0 ? states.ruleOf(id) : -1;
            boolean pass = sv == StateVerdict.PASS;
            boolean known = r >= 0 && r < expired.length;
            if (pass && known && srcTrack[r] && !connLimit(id, r, p)) {
                return set(false, Decision.Reason.SRC_LIMIT, r, id, false, null, 0, null);
            }
            if (known) count(r, p, m.in());
            dAnchor = id >= 0 && id < anchorOfState.length ? anchorOfState[id] : -1;
            if (dAnchor >= 0) count(dAnchor, p, m.in());
            return set(pass, pass ? Decision.Reason.STATE : Decision.Reason.BAD_STATE, r, id, false, null, 0, null);
        }
        return rules(p, m, ifi, useSkip);
    }

    /** For each rule, whether its {@code on} clause (or its absence) admits interface {@code ifname}. */
    private boolean[] ifOkFor(String ifname) {
        boolean[] ok = new boolean[all.size()];
        for (int i = 0; i < ok.length; i++) {
            FilterRule r = all.get(i);
            ok[i] = r.ifname() == null || ifMatch(r.ifname(), ifname) != r.ifNegated();
        }
        return ok;
    }

    private boolean skipped(String ifname) {
        for (String s : skipIfs) {
            if (s.equals(ifname) || host.groups().getOrDefault(s, List.of()).contains(ifname)
                    || s.equals("lo") && host.isLoopback(ifname)) {
                return true;
            }
        }
        return false;
    }

    // the walk's context (pf_test_ctx): the last matching pass/block rule, the anchor rule it was
    // found under, tag and log bits accumulated, and how many pass/block rules have matched
    private int wDecided, wDecidedAnchor, wLog, wMatches;
    private String wTag;

    /**
     * pf_match_rule over one ruleset, segment {@code [start, end)}, entered through anchor rule
     * {@code anchor} (-1 for the main ruleset). Returns true when a {@code quick} rule ended the
     * whole evaluation (pf's PF_TEST_QUICK): a quick pass/block/match rule anywhere, or a quick
     * anchor rule inside which a pass/block rule matched (pf_step_into_anchor).
     */
    private boolean walk(int start, int end, int anchor, Packet p, PacketMeta m, boolean useSkip) {
        // test()'s criteria up to the source address, with everything the loop reads in locals: most
        // rules a walk visits fail here, and each visit is then a handful of loads and compares
        final long[] fast = this.fast, evals = this.evaluations;
        final boolean[] ok = this.ifOk;
        final int[][] steps = this.skip;
        final boolean v6 = p.v6();
        final long need = (m.in() ? F_DIR_IN : F_DIR_OUT) | (v6 ? F_AF6 : F_AF4);
        final int proto = p.proto(), src4 = (int) p.srcLo();
        // a simple rule with any destination decides on its ports here when the packet has them
        final boolean l4 = !linear && (proto == Packet.PROTO_TCP || proto == Packet.PROTO_UDP) && p.fragmentOffset() == 0
                && p.hasTransport();
        final int sport = l4 ? p.srcPort() : 0, dport = l4 ? p.dstPort() : 0;
        final long[] fast2 = this.fast2;
        int i = start;
        while (i < end) {
            evals[i]++;
            long h = fast[i * FAST_W];
            int t;
            if ((h & F_EXPIRED) != 0) {
                t = NEXT;
            } else if (!ok[i]) {
                t = SKIP_IFP;
            } else if ((h & need) != need) {
                t = (h & (need & (F_DIR_IN | F_DIR_OUT))) == 0 ? SKIP_DIR : SKIP_AF;
            } else if (((int) h & 0xff) != 0 && ((int) h & 0xff) != proto) {
                t = SKIP_PROTO;
            } else if (((int) (h >>> F_SRC_SHIFT) & 3) == A_V4) {
                long v4 = fast[i * FAST_W + 1];
                if (v6 || (src4 & (int) v4) != (int) (v4 >>> 32)) {
                    t = SKIP_SRC_ADDR;
                } else if (l4 && (h & (F_SIMPLE | 3L << F_DST_SHIFT)) == (F_SIMPLE | (long) A_ANY << F_DST_SHIFT)) {
                    if ((h & F_SP) != 0 && !portIn(sport, fast2[i * FAST2_W + 1], (h & F_SP_NEG) != 0)) t = SKIP_SRC_PORT;
                    else if ((h & F_DP) != 0 && !portIn(dport, fast2[i * FAST2_W + 2], (h & F_DP_NEG) != 0)) t = SKIP_DST_PORT;
                    else t = MATCH;
                } else {
                    t = testRest(i, h, v6, p, m, wTag);
                }
            } else {
                t = test(i, p, m, wTag);
            }
            if (t != MATCH) {
                i = useSkip && t != NEXT ? steps[t][i] : i + 1;
                continue;
            }
            FilterRule r = all.get(i);
            if (r.tag() != null) wTag = r.tag();
            int[] into = calls[i];
            if (into != null) {
                int before = wMatches;
                for (int sg : into) {
                    if (walk(segStart[sg], segEnd[sg], i, p, m, useSkip)) return true;
                }
                if (r.quick() && !r.anchor().name().endsWith("*") && wMatches != before) return true;
                i++;
                continue;
            }
            if (r.action() == FilterRule.Action.MATCH) {
                wLog |= r.log();
                count(i, p, m.in());
            } else {
                wDecided = i;
                wDecidedAnchor = anchor;
                wMatches++;
            }
            if (r.quick()) return true;
            i++;
        }
        return false;
    }

    private boolean rules(Packet p, PacketMeta m, int ifi, boolean useSkip) {
        wDecided = -1;
        wDecidedAnchor = -1;
        wTag = null;
        wLog = 0;
        walk(0, segEnd[0], -1, p, m, useSkip);
        int decided = wDecided;
        String tag = wTag;
        int log = wLog;
        if (decided < 0) {
            return set(true, Decision.Reason.DEFAULT, -1, -1, false, tag, log, null);
        }
        FilterRule r = all.get(decided);
        log |= r.log();
        if (r.once()) {
            expired[decided] = true;
            fast[decided * FAST_W] |= F_EXPIRED;
        }
        count(decided, p, m.in());
        dAnchor = wDecidedAnchor;
        if (dAnchor >= 0) count(dAnchor, p, m.in()); // pf counts the anchor rule too
        if (r.action() == FilterRule.Action.BLOCK) {
            return set(false, Decision.Reason.RULE, decided, -1, false, tag, log, reply(r, p));
        }
        if (r.state() != FilterRule.StateType.NONE) {
            SrcNode sn = null;
            if (srcTrack[decided]) {
                sn = srcNodeFor(decided, p);
                if (sn == null) return set(false, Decision.Reason.SRC_LIMIT, decided, -1, false, tag, log, null);
            }
            int id = states.create(p, m.in(), ifi, stateOptions[decided]);
            if (id >= 0) {
                statesTotal[decided]++;
                connCounted.clear(id);
                if (sn != null) attach(id, sn);
                if (dAnchor >= 0 || id < anchorOfState.length) {
                    if (id >= anchorOfState.length) anchorOfState = java.util.Arrays.copyOf(anchorOfState, Math.max(id + 1, anchorOfState.length * 2));
                    anchorOfState[id] = dAnchor;
                }
                return set(true, Decision.Reason.RULE, decided, id, true, tag, log, null);
            }
            if (sn != null && sn.states == 0) dropNode(sn); // made for a state the table refused
            if (id == StateTable.CREATE_LIMIT || id == StateTable.CREATE_RULE_LIMIT || id == StateTable.CREATE_EXISTS) {
                return set(false, Decision.Reason.STATE_LIMIT, decided, -1, false, tag, log, null);
            }
        }
        return set(true, Decision.Reason.RULE, decided, -1, false, tag, log, null);
    }

    /** pf's return modes: RST for TCP, ICMP unreachable otherwise; null when nothing is sent. */
    private static byte[] reply(FilterRule r, Packet p) {
        FilterRule.BlockMode bm = r.blockMode();
        int ttl = r.returnTtl() > 0 ? r.returnTtl() : PacketBuilder.DEFAULT_TTL;
        boolean tcp = p.proto() == Packet.PROTO_TCP;
        if ((bm == FilterRule.BlockMode.RETURN_RST || bm == FilterRule.BlockMode.RETURN && tcp)) {
            return PacketBuilder.canReturnRst(p) ? PacketBuilder.tcpReset(p, ttl) : null;
        }
        if (bm == FilterRule.BlockMode.RETURN || bm == FilterRule.BlockMode.RETURN_ICMP) {
            if (!PacketBuilder.canReturnIcmp(p) || multicast(p)) return null;
            int ti = p.v6() ? r.returnIcmp6() : r.returnIcmp();
            return PacketBuilder.icmpUnreachable(p, ti >>> 8, ti & 0xff, PacketBuilder.DEFAULT_TTL);
        }
        return null;
    }

    /** No ICMP error about a packet to a multicast or broadcast address (icmp_error, icmp6_error). */
    private static boolean multicast(Packet p) {
        if (p.v6()) return (p.dstHi() >>> 56) == 0xff;
        int d = p.dstV4();
        return (d >>> 28) == 0xe || d == -1;
    }

    private void count(int r, Packet p, boolean in) {
        if (in) {
            pktsIn[r]++;
            bytesIn[r] += p.ipLength();
        } else {
            pktsOut[r]++;
            bytesOut[r] += p.ipLength();
        }
    }

    /**
     * Tests rule {@code i}: {@link #MATCH}, or the criterion that failed (an index into
     * the skip steps), or {@link #NEXT} for a failure skip steps do not cover.
     */
    private int test(int i, Packet p, PacketMeta m, String tag) {
        // the criteria skip steps cover, in pf's order, from the flat array
        long h = fast[i * FAST_W];
        if ((h & F_EXPIRED) != 0) return NEXT;
        if (!ifOk[i]) return SKIP_IFP;
        if ((h & (m.in() ? F_DIR_IN : F_DIR_OUT)) == 0) return SKIP_DIR;
        boolean v6 = p.v6();
        if ((h & (v6 ? F_AF6 : F_AF4)) == 0) return SKIP_AF;
        int rp = (int) h & 0xff;
        if (rp != 0 && rp != p.proto()) return SKIP_PROTO;
        int sm = (int) (h >>> F_SRC_SHIFT) & 3;
        if (sm == A_V4) { // the common case, tested here so that this part stays small enough to inline
            long v4 = fast[i * FAST_W + 1];
            if (v6 || ((int) p.srcLo() & (int) v4) != (int) (v4 >>> 32)) return SKIP_SRC_ADDR;
        } else if (sm != A_ANY && !addrMatch(sm, fast[i * FAST_W + 1], src[i], v6, p.srcHi(), p.srcLo())) {
            return SKIP_SRC_ADDR;
        }
        return testRest(i, h, v6, p, m, tag);
    }

    /** {@link #test} from the destination address on: most rules a walk passes over never get here. */
    private int testRest(int i, long h, boolean v6, Packet p, PacketMeta m, String tag) {
        int dm = (int) (h >>> F_DST_SHIFT) & 3;
        if (dm == A_V4) {
            long v4 = fast2[i * FAST2_W];
            if (v6 || ((int) p.dstLo() & (int) v4) != (int) (v4 >>> 32)) return SKIP_DST_ADDR;
        } else if (dm != A_ANY && !addrMatch(dm, fast2[i * FAST2_W], dst[i], v6, p.dstHi(), p.dstLo())) {
            return SKIP_DST_ADDR;
        }
        if ((h & F_SIMPLE) != 0 && !linear) { // the same tests as below, for rules that have nothing else
            int proto = p.proto();
            if (p.fragmentOffset() != 0) return (h & (F_SP | F_DP)) != 0 ? NEXT : MATCH;
            if (proto == Packet.PROTO_TCP || proto == Packet.PROTO_UDP) {
                if ((h & F_SP) != 0 && (!p.hasTransport() || !portIn(p.srcPort(), fast2[i * FAST2_W + 1], (h & F_SP_NEG) != 0))) {
                    return SKIP_SRC_PORT;
                }
                if ((h & F_DP) != 0 && (!p.hasTransport() || !portIn(p.dstPort(), fast2[i * FAST2_W + 2], (h & F_DP_NEG) != 0))) {
                    return SKIP_DST_PORT;
                }
                return MATCH;
            }
            if (proto == Packet.PROTO_ICMP || proto == Packet.PROTO_ICMPV6) return MATCH;
            return (h & (F_SP | F_DP)) != 0 ? NEXT : MATCH;
        }
        FilterRule r = all.get(i);
        int proto = p.proto();
        boolean frag = p.fragmentOffset() != 0;
        PortOp sp = r.src().port(), dp = r.dst().port();
        if (frag) {
            if (sp != null || dp != null || r.flagset() != 0 || r.icmpType() >= 0 || r.icmpCode() >= 0) return NEXT;
        } else if (proto == Packet.PROTO_TCP || proto == Packet.PROTO_UDP) {
            if (proto == Packet.PROTO_TCP && r.flagset() != 0 && (p.tcpFlags() & r.flagset()) != r.flags()) return NEXT;
            if (sp != null && (!p.hasTransport() || !sp.test(p.srcPort()))) return SKIP_SRC_PORT;
            if (dp != null && (!p.hasTransport() || !dp.test(p.dstPort()))) return SKIP_DST_PORT;
            if (r.uid() != null && !idMatch(r.uid(), m.uid())) return NEXT;
            if (r.gid() != null && !idMatch(r.gid(), m.gid())) return NEXT;
        } else if (proto == Packet.PROTO_ICMP || proto == Packet.PROTO_ICMPV6) {
            if (r.icmpType() >= 0 && (!p.hasTransport() || r.icmpType() != p.icmpType())) return NEXT;
            if (r.icmpCode() >= 0 && (!p.hasTransport() || r.icmpCode() != p.icmpCode())) return NEXT;
        } else if (sp != null || dp != null || r.icmpType() >= 0) {
            return NEXT;
        }
        if (r.tos() >= 0 && r.tos() != (p.tos() & 0xfc)) return NEXT;
        if (r.fragment() && !p.isFragment()) return NEXT;
        if (r.tagged() != null && r.tagged().equals(tag) == r.taggedNegated()) return NEXT;
        if (r.os() != null || r.receivedOn() != null || r.prio() >= 0) return NEXT;
        if (r.probability() != 0) {
            long draw = (random.nextLong() & 0xffffffffL) % 0xfffffffeL + 1; // 1 .. 2^32-2
            if (r.probability() <= draw) return NEXT;
        }
        return MATCH;
    }

    /**
     * A port test as an inclusive range {@code min << 32 | max} (empty when max < min), negated by
     * F_SP_NEG / F_DP_NEG for != and <>: every pf port operator is one of the two.
     */
    static long portRange(PortOp op) {
        int lo = op.lo(), hi = op.hi(), min, max;
        switch (op.op()) {
            case EQ, NE -> { min = lo; max = lo; }
            case LT -> { min = 0; max = lo - 1; }
            case LE -> { min = 0; max = lo; }
            case GT -> { min = lo + 1; max = 65535; }
            case GE -> { min = lo; max = 65535; }
            case IRG -> { min = lo + 1; max = hi - 1; }
            default -> { min = lo; max = hi; } // RRG, and XRG negated
        }
        return (long) min << 32 | (max & 0xffffffffL);
    }

    static boolean portIn(int port, long range, boolean neg) {
        return (port >= (int) (range >>> 32) && port <= (int) range) != neg;
    }

    private boolean addrMatch(int mode, long v4, AddrTest t, boolean v6, long hi, long lo) {
        return switch (mode) {
            case A_ANY -> true;
            case A_V4 -> !v6 && ((int) lo & (int) v4) == (int) (v4 >>> 32);
            case A_V4_NEG -> v6 || ((int) lo & (int) v4) != (int) (v4 >>> 32);
            default -> t.matches(v6, hi, lo, tables);
        };
    }

    private boolean ifMatch(String ruleIf, String pktIf) {
        if (ruleIf.equals(pktIf)) return true;
        List<String> g = host.groups().get(ruleIf);
        return g != null && g.contains(pktIf);
    }

    /** pf_match_uid: an unknown owner is only compared by = and !=. */
    private static boolean idMatch(IdOp op, long id) {
        if (id == PacketMeta.UNKNOWN && op.op() != dev.palisade.core.lang.Op.EQ && op.op() != dev.palisade.core.lang.Op.NE) {
            return false;
        }
        return op.op().test(id, op.lo(), op.hi());
    }

    // --------------------------------------------------------- source tracking

    private record SrcKey(int rule, IpAddress src) {
    }

    /**
     * The networks an {@code (if)} address stands for on {@code host} (pf's rules: {@code :network} skips
     * link-local IPv6, {@code :0} takes the first address of each family, {@code /len} masks); the kernel
     * side fills its dynamic sets with the same answer the evaluator matches.
     */
    public static List<IpPrefix> dynamicAddresses(Address.Dynamic d, HostProfile host) {
        return AddrTest.dynamic(d, host);
    }

    /** pf's source node: one per source address (per rule with {@code source-track rule}). */
    private static final class SrcNode {
        final SrcKey key;
        final int creator; // the rule that made it: its max-src-nodes counts it
        int states;
        long conn;
        long rateCount, rateLast;
        long expires; // with no states left: removed at this time (src.track after the last state)

        SrcNode(SrcKey key, int creator) {
            this.key = key;
            this.creator = creator;
        }
    }

    /**
     * pf_insert_src_node and the max-src-states test of pf_create_state: the
     * source node the new state of rule {@code r} will count on, made if
     * needed; null when {@code max-src-nodes} or {@code max-src-states}
     * refuses the state (pf reason src-limit).
     */
    private SrcNode srcNodeFor(int r, Packet p) {
        var so = all.get(r).stateOptions();
        boolean perRule = so.sourceTrack() == dev.palisade.core.lang.StateOptions.SourceTrack.RULE;
        SrcKey k = new SrcKey(perRule ? r : -1, p.src());
        long now = clock.millis();
        SrcNode sn = srcNodes.get(k);
        if (sn != null && sn.states == 0 && now >= sn.expires) {
            dropNode(sn);
            sn = null;
        }
        if (sn == null) {
            if (so.maxSrcNodes() != 0 && ruleSrcNodes[r] >= so.maxSrcNodes()) {
                dropExpiredNodes(now);
                if (ruleSrcNodes[r] >= so.maxSrcNodes()) {
                    srcLimitHits++;
                    return null;
                }
            }
            sn = new SrcNode(k, r);
            srcNodes.put(k, sn);
            ruleSrcNodes[r]++;
        }
        if (so.maxSrcStates() != 0 && sn.states >= so.maxSrcStates()) {
            srcLimitHits++;
            return null;
        }
        return sn;
    }

    private void attach(int id, SrcNode sn) {
        if (id >= nodeOf.length) nodeOf = java.util.Arrays.copyOf(nodeOf, Math.max(id + 1, nodeOf.length * 2));
        nodeOf[id] = sn;
        sn.states++;
    }

    /** pf_src_tree_remove_state: the state's source node counts it (and its connection) down. */
    private void stateRemoved(int id) {
        SrcNode sn = id < nodeOf.length ? nodeOf[id] : null;
        if (sn == null) return;
        nodeOf[id] = null;
        if (connCounted.get(id)) {
            sn.conn--;
            connCounted.clear(id);
        }
        if (--sn.states == 0) {
            int keep = states.timeouts().get(dev.palisade.core.state.Timeout.SRC_TRACK);
            if (keep == 0) dropNode(sn);
            else sn.expires = clock.millis() + keep * 1000L;
        }
    }

    private void dropNode(SrcNode sn) {
        if (srcNodes.remove(sn.key, sn)) ruleSrcNodes[sn.creator]--;
    }

    private void dropExpiredNodes(long now) {
        List<SrcNode> gone = new ArrayList<>();
        for (SrcNode sn : srcNodes.values()) if (sn.states == 0 && now >= sn.expires) gone.add(sn);
        gone.forEach(this::dropNode);
    }

    /** Source nodes now held (pfctl -s Sources would list them). */
    public int sourceNodes() {
        return srcNodes.size();
    }

    /** States refused by max-src-nodes or max-src-states (pf's src-limit counter). */
    public long srcLimitHits() {
        return srcLimitHits;
    }

    /** pf_src_connlimit at the handshake's end: false when the packet must be dropped. */
    private boolean connLimit(int id, int r, Packet p) {
        FilterRule rule = all.get(r);
        var so = rule.stateOptions();
        if (so.maxSrcConn() == 0 && so.maxSrcConnRate() == 0) return true;
        if (connCounted.get(id)) return true;
        if (states.peerState(id, 0) < TcpStates.ESTABLISHED || states.peerState(id, 1) < TcpStates.ESTABLISHED) return true;
        SrcNode sn = id < nodeOf.length ? nodeOf[id] : null;
        if (sn == null) return true;
        connCounted.set(id);
        IpAddress source = sn.key.src();
        sn.conn++;
        long now = clock.millis();
        boolean bad = so.maxSrcConn() != 0 && sn.conn > so.maxSrcConn();
        if (so.maxSrcConnRate() != 0) {
            long window = so.maxSrcConnRateSeconds() * 1000;
            long diff = now - sn.rateLast;
            if (diff >= window || window == 0) sn.rateCount = 0;
            else sn.rateCount -= sn.rateCount * diff / window;
            sn.rateCount += 1000;
            sn.rateLast = now;
            if (sn.rateCount > so.maxSrcConnRate() * 1000) bad = true;
        }
        if (!bad) return true;
        if (so.overload() != null && overloadTables != null) {
            overloadTables.add(so.overload(), IpPrefix.host(source), null,
                    new Origin.Overload(ruleRef(r, -1) + " " + Printer.rule(rule, 0)));
            if (so.flush() != dev.palisade.core.lang.StateOptions.Flush.NONE) {
                boolean global = so.flush() == dev.palisade.core.lang.StateOptions.Flush.GLOBAL;
                List<Integer> kill = new ArrayList<>();
                states.forEach(s -> {
                    if (s != id && (global || states.ruleOf(s) == r) && states.entry(s).src().equals(source)) kill.add(s);
                });
                kill.forEach(states::remove);
            }
        }
        states.remove(id);
        return false;
    }

    // --------------------------------------------------------------- counters

    /** Per-rule counters: evaluations, packets and bytes in and out, states created (pf's states_tot). */
    public record RuleCounters(long evaluations, long packetsIn, long bytesIn, long packetsOut, long bytesOut,
                               long statesTotal, int statesCurrent) {
        public long packets() { return packetsIn + packetsOut; }

        public long bytes() { return bytesIn + bytesOut; }
    }

    public RuleCounters counters(int rule) {
        return new RuleCounters(evaluations[rule], pktsIn[rule], bytesIn[rule], pktsOut[rule], bytesOut[rule],
                statesTotal[rule], states.ruleStates(rule));
    }

    /** {@code pfctl -s labels}: one line per rule with a label, anchors' rules after their anchor rule. */
    public String showLabels() {
        StringBuilder sb = new StringBuilder();
        inOrder(0, "", (i, indent) -> {
            FilterRule r = all.get(i);
            if (r.label() == null) return;
            RuleCounters c = counters(i);
            sb.append(r.label()).append(' ').append(c.evaluations()).append(' ').append(c.packets()).append(' ')
                    .append(c.bytes()).append(' ').append(c.packetsIn()).append(' ').append(c.bytesIn()).append(' ')
                    .append(c.packetsOut()).append(' ').append(c.bytesOut()).append(' ').append(c.statesTotal())
                    .append('\n');
        }, (seg, indent, open) -> {});
        return sb.toString();
    }

    /**
     * {@code pfctl -s rules -v}: each rule, then its counters line. An anchor's rules follow the
     * first anchor rule that calls it, indented between {@code anchor "path" {} and {@code }}
     * lines, as pfctl prints nested anchors.
     */
    public String showRulesVerbose() {
        StringBuilder sb = new StringBuilder();
        inOrder(0, "", (i, indent) -> {
            sb.append(indent).append(Printer.rule(all.get(i), 0)).append('\n');
            RuleCounters c = counters(i);
            // pfctl's "  [ Evaluations: %-8llu Packets: %-8llu Bytes: %-10llu States: %-6u]", without String.format
            // (a thousand rules' lines took ~10 ms of every replay with it)
            sb.append(indent).append("  [ Evaluations: ");
            padded(sb, c.evaluations(), 8).append(" Packets: ");
            padded(sb, c.packets(), 8).append(" Bytes: ");
            padded(sb, c.bytes(), 10).append(" States: ");
            padded(sb, c.statesCurrent(), 6).append("]\n");
        }, (seg, indent, open) -> sb.append(indent).append(open ? "anchor \"" + segPath[seg] + "\" {\n" : "}\n"));
        return sb.toString();
    }

    /** {@code v} left-aligned in {@code width} characters (printf's {@code %-Nd}). */
    private static StringBuilder padded(StringBuilder sb, long v, int width) {
        int at = sb.length();
        sb.append(v);
        for (int k = sb.length() - at; k < width; k++) sb.append(' ');
        return sb;
    }

    private interface RuleVisitor {
        void rule(int index, String indent);
    }

    private interface AnchorVisitor {
        void anchor(int seg, String indent, boolean open);
    }

    /** Visits segment {@code seg}'s rules in order, each anchor's rules after the first anchor rule calling it. */
    private void inOrder(int seg, String indent, RuleVisitor v, AnchorVisitor a) {
        for (int i = segStart[seg]; i < segEnd[seg]; i++) {
            v.rule(i, indent);
            if (calls[i] == null) continue;
            for (int sg : calls[i]) {
                if (bodyAt[sg] != i || segEnd[sg] == segStart[sg]) continue;
                a.anchor(sg, indent + "  ", true);
                inOrder(sg, indent + "    ", v, a);
                a.anchor(sg, indent + "  ", false);
            }
        }
    }

    /** Per segment, the first anchor rule (depth first from the main ruleset) calling it. */
    private static int[] bodies(int[][] calls, int[] segStart, int[] segEnd) {
        int[] at = new int[segStart.length];
        java.util.Arrays.fill(at, -1);
        markBodies(0, calls, segStart, segEnd, at);
        return at;
    }

    private static void markBodies(int seg, int[][] calls, int[] segStart, int[] segEnd, int[] at) {
        for (int i = segStart[seg]; i < segEnd[seg]; i++) {
            if (calls[i] == null) continue;
            for (int sg : calls[i]) {
                if (sg == 0 || at[sg] >= 0) continue;
                at[sg] = i;
                markBodies(sg, calls, segStart, segEnd, at);
            }
        }
    }

    // ---------------------------------------------------------------- addresses

    /** One side's address test, compiled: primitives, no allocation per packet. */
    static final class AddrTest {
        static final int ANY = 0, NETS = 1, RANGE = 2, TABLE = 3, UNKNOWN = 4;
        final int kind;
        final boolean neg;
        final String table;
        // NETS: v6 flag, hi, lo, mask hi, mask lo per entry; RANGE: entry 0 = from, 1 = to
        final boolean[] v6;
        final long[] hi, lo, mhi, mlo;

        private AddrTest(int kind, boolean neg, String table, List<IpPrefix> nets) {
            this.kind = kind;
            this.neg = neg;
            this.table = table;
            int n = nets.size();
            v6 = new boolean[n];
            hi = new long[n];
            lo = new long[n];
            mhi = new long[n];
            mlo = new long[n];
            for (int i = 0; i < n; i++) {
                IpPrefix pr = nets.get(i);
                IpAddress a = pr.address();
                v6[i] = a.v6();
                int len = a.v6() ? pr.length() : pr.length() + 96;
                mhi[i] = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
                mlo[i] = len <= 64 ? 0 : len >= 128 ? -1L : -1L << (128 - len);
                hi[i] = a.hi() & mhi[i];
                lo[i] = a.lo() & mlo[i];
                if (!a.v6()) { // v4 in lo's low 32 bits, hi 0
                    int l4 = pr.length();
                    mhi[i] = 0;
                    mlo[i] = l4 == 0 ? 0 : (0xffffffffL << (32 - l4)) & 0xffffffffL;
                    hi[i] = 0;
                    lo[i] = (a.lo() & 0xffffffffL) & mlo[i];
                }
            }
        }

        static AddrTest compile(AddrMatch m, HostProfile host) {
            Address a = m.address();
            return switch (a) {
                case Address.Any x -> new AddrTest(ANY, m.negated(), null, List.of());
                case Address.Prefix x -> new AddrTest(NETS, m.negated(), null, List.of(x.prefix()));
                case Address.Range x -> new AddrTest(RANGE, m.negated(), null,
                        List.of(IpPrefix.host(x.from()), IpPrefix.host(x.to())));
                case Address.Table x -> new AddrTest(TABLE, m.negated(), x.name(), List.of());
                case Address.Dynamic x -> new AddrTest(NETS, m.negated(), null, dynamic(x, host));
                default -> new AddrTest(UNKNOWN, m.negated(), null, List.of());
            };
        }

        /** The networks an {@code (if)} / {@code self} address stands for on this host. */
        static List<IpPrefix> dynamic(Address.Dynamic d, HostProfile host) {
            List<IpPrefix> out = new ArrayList<>();
            boolean seen4 = false, seen6 = false;
            for (var e : host.addressesOf(d.ifname())) {
                HostProfile.IfAddress ia = e.getValue();
                IpAddress a = ia.address();
                if (d.noAlias()) {
                    if (a.v6() ? seen6 : seen4) continue;
                    if (a.v6()) seen6 = true; else seen4 = true;
                }
                if (d.network()) {
                    if (ia.scoped()) continue;
                    out.add(new IpPrefix(mask(a, ia.prefixLen()), ia.prefixLen()));
                } else if (d.broadcast()) {
                    if (a.v6() || ia.prefixLen() >= 31) continue;
                    int m = ia.prefixLen() == 0 ? 0 : -1 << (32 - ia.prefixLen());
                    out.add(IpPrefix.host(IpAddress.ofV4(a.v4() | ~m)));
                } else if (d.peer()) {
                    if (ia.peer() != null) out.add(IpPrefix.host(ia.peer()));
                } else {
                    int len = d.mask() >= 0 ? Math.min(d.mask(), a.bits()) : a.bits();
                    out.add(new IpPrefix(mask(a, len), len));
                }
            }
            return out;
        }

        private static IpAddress mask(IpAddress a, int len) {
            if (!a.v6()) {
                int m = len == 0 ? 0 : -1 << (32 - len);
                return IpAddress.ofV4(a.v4() & m);
            }
            long mh = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
            long ml = len <= 64 ? 0 : len >= 128 ? -1L : -1L << (128 - len);
            return IpAddress.ofV6(a.hi() & mh, a.lo() & ml);
        }

        /** How {@link Evaluator#test} may test this without the object: A_ANY, A_V4, A_V4_NEG, or A_GENERAL. */
        int fastMode() {
            if (kind == ANY && !neg) return A_ANY;
            if (kind == NETS && v6.length == 1 && !v6[0]) return neg ? A_V4_NEG : A_V4;
            return A_GENERAL;
        }

        /** For A_V4 / A_V4_NEG: the network << 32 | the mask. */
        long fastV4() {
            return v6.length == 1 && !v6[0] ? lo[0] << 32 | mlo[0] : 0;
        }

        boolean matches(boolean pv6, long phi, long plo, TableLookup tables) {
            boolean r;
            switch (kind) {
                case ANY:
                    r = true;
                    break;
                case NETS:
                    r = false;
                    for (int i = 0; i < v6.length; i++) {
                        if (v6[i] != pv6) continue;
                        if (pv6 ? ((phi & mhi[i]) == hi[i] && (plo & mlo[i]) == lo[i])
                                : (((plo & 0xffffffffL) & mlo[i]) == lo[i])) {
                            r = true;
                            break;
                        }
                    }
                    break;
                case RANGE:
                    if (v6[0] != pv6) {
                        r = false;
                    } else if (pv6) {
                        r = cmp(phi, plo, hi[0], lo[0]) >= 0 && cmp(phi, plo, hi[1], lo[1]) <= 0;
                    } else {
                        long x = plo & 0xffffffffL;
                        r = x >= lo[0] && x <= lo[1];
                    }
                    break;
                case TABLE:
                    r = pv6 ? tables.matchV6(table, phi, plo) : tables.matchV4(table, (int) plo);
                    break;
                default:
                    return false; // XXX no routing table: unknown never matches
            }
            return r != neg;
        }

        private static int cmp(long ahi, long alo, long bhi, long blo) {
            int c = Long.compareUnsigned(ahi, bhi);
            return c != 0 ? c : Long.compareUnsigned(alo, blo);
        }
    }
}
