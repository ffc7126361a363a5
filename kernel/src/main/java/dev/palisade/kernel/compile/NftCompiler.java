package dev.palisade.kernel.compile;

import dev.palisade.core.lang.AddrMatch;
import dev.palisade.core.lang.Address;
import dev.palisade.core.lang.Af;
import dev.palisade.core.lang.Decl;
import dev.palisade.core.lang.Diagnostic;
import dev.palisade.core.lang.FilterRule;
import dev.palisade.core.lang.FilterRule.Action;
import dev.palisade.core.lang.FilterRule.BlockMode;
import dev.palisade.core.lang.FilterRule.Direction;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.IdOp;
import dev.palisade.core.lang.Names;
import dev.palisade.core.lang.PortOp;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.core.lang.StateOptions;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.kernel.divert.QueueFeatures;
import dev.palisade.kernel.divert.XtDivert;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles a {@link Ruleset} to the text of one nftables table, {@code inet
 * palisade}, loaded atomically with {@code nft -f}.
 *
 * <p>Why this shape (docs/kernel.md, "Compiling pf.conf", is the spec):
 * <ul>
 * <li>pf decides by the LAST matching rule unless a {@code quick} rule
 * matches; nft by the first. Per direction the compiler emits every quick
 * rule and every {@code match} rule in file order, then every other rule in
 * reverse file order, then the default pass: the first match of that list is
 * pf's decision. {@code match} rules and the tag of non-quick rules are
 * non-terminal rules in the file-order part, so they act exactly when pf
 * evaluates them.</li>
 * <li>pf filters a packet on its way in and again on its way out; a
 * forwarded packet must pass both. The rules are compiled twice, into
 * regular chains {@code filter_in} ({@code on IF} = iifname) and
 * {@code filter_out} (oifname); pass is {@code return}, block is
 * {@code drop}/{@code reject}. Base chains at input, forward and output jump
 * to them (forward to both), so {@code reject} is legal everywhere.</li>
 * <li>States are conntrack entries, marked by the stateful pass rule that
 * created them (one ct mark bit for a state made on the way in, one for the
 * way out); only marked connections skip the rules, and only for the check
 * their mark covers.</li>
 * <li>Anything nft cannot express is refused with the rule's FILE:LINE; all
 * refusals are collected, and a refused ruleset compiles to nothing.</li>
 * </ul>
 * Cost: linear in the expanded rules; each rule becomes at most a few nft
 * rules (families, TCP-or-not for flags and return), and the merge pass
 * folds pfctl's list expansions back into anonymous sets.
 *
 * <p>XXX rules matching incoming packets see the destination after rdr-to
 * (dnat runs at prerouting); only the rdr-to rule itself matches
 * {@code ct original}. XXX the nat chains keep the first translation in
 * first-match order even when pf's last matching pass rule has none. XXX
 * label counters count evaluations, not the later packets of their states.
 * (docs/kernel.md, "Limitations", lists every gap.)
 */
public final class NftCompiler {

    /** ct mark bit: a state created by a stateful rule on the way in. */
    public static final int CT_IN = 0x80000000;
    /** ct mark bit: a state created on the way out. */
    public static final int CT_OUT = 0x40000000;
    /** ct and meta mark bits carrying a divert index (1 to 63). */
    public static final int DIVERT_MASK = 0x3f000000;
    /** meta mark bits carrying a tag index (1 to 255). */
    public static final int TAG_MASK = 0x00ff0000;
    /** Base chain priority: before iptables' filter (0), so the xt divert chain sees our marks. */
    public static final int PRIORITY = -10;

    /**
     * Compile-time choices.
     *
     * @param table         the nft table (family inet)
     * @param divertPath    how divert-packet reaches a queue on the target kernel
     * @param divertBypass  fail open ({@code bypass}) when no program listens on a queue
     * @param tableContents entries the daemon holds for each table, loaded with the program (merged with the inline ones)
     * @param overloadFlushGroup NFLOG group for overload-with-flush events
     * @param merge         merge adjacent rules that differ in one value into one rule with an anonymous set
     */
    public record Options(String table, QueueFeatures.Path divertPath, boolean divertBypass,
                          Map<String, List<Decl.TableEntry>> tableContents, int overloadFlushGroup, boolean merge) {
        public Options {
            if (table == null || !table.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
                throw new IllegalArgumentException("table name \"" + table + "\": expected letters, digits or _");
            }
            java.util.Objects.requireNonNull(divertPath, "divertPath");
            tableContents = Map.copyOf(tableContents);
            if (overloadFlushGroup < 0 || overloadFlushGroup > 65535) {
                throw new IllegalArgumentException("NFLOG group " + overloadFlushGroup + ": expected 0 to 65535");
            }
        }

        /** Table {@code palisade}, nft's queue, bypass, no run-time entries, flush events on group 65000, merging. */
        public static Options defaults() {
            return new Options("palisade", QueueFeatures.Path.NFT_QUEUE, true, Map.of(), 65000, true);
        }

        public Options withDivertPath(QueueFeatures.Path p) {
            return new Options(table, p, divertBypass, tableContents, overloadFlushGroup, merge);
        }

        public Options withMerge(boolean m) {
            return new Options(table, divertPath, divertBypass, tableContents, overloadFlushGroup, m);
        }

        public Options withTableContents(Map<String, List<Decl.TableEntry>> contents) {
            return new Options(table, divertPath, divertBypass, contents, overloadFlushGroup, merge);
        }
    }

    private enum Dir { IN, OUT }

    private enum Fam {
        V4("ipv4", "ip"), V6("ipv6", "ip6");
        final String nfproto, expr;

        Fam(String nfproto, String expr) {
            this.nfproto = nfproto;
            this.expr = expr;
        }
    }

    /** Thrown while building a rule that must be split by address family. */
    private static final class NeedFamily extends RuntimeException {
        NeedFamily() {
            super(null, null, false, false);
        }
    }

    /** The rule can match no packet (an empty {@code ><} range): like pf, it has no effect, so no nft rule. */
    private static final class NeverMatches extends RuntimeException {
        NeverMatches() {
            super(null, null, false, false);
        }
    }

    /** A construct nft cannot express; becomes a diagnostic at the rule's line. */
    private static final class Refuse extends RuntimeException {
        Refuse(String message) {
            super(message, null, false, false);
        }
    }

    private final Ruleset ruleset;
    private final HostProfile host;
    private final Options opt;
    private final List<Diagnostic> errors = new ArrayList<>();
    private final Map<String, String> tableBase = new LinkedHashMap<>();
    private final Set<String> overloaded = new LinkedHashSet<>();
    private final Map<String, String> dynBase = new LinkedHashMap<>();
    private final Map<String, Address.Dynamic> dynSpec = new LinkedHashMap<>();
    private final Map<String, Integer> tags = new LinkedHashMap<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<Integer, Integer> diverts = new LinkedHashMap<>(); // port -> index
    private final List<String> meterSets = new ArrayList<>();
    private final Map<Dir, List<String>> fileOrder = new TreeMap<>();
    private final Map<Dir, List<List<String>>> reversed = new TreeMap<>();
    private final Map<Dir, List<String>> natFirst = new TreeMap<>();
    private final Map<Dir, List<List<String>>> natReversed = new TreeMap<>();
    private boolean anyAllowOpts;
    /** For a {@code once} rule: the statement that uses up its one match; null otherwise. */
    private String onceStmt;
    private boolean anyFlush;

    private NftCompiler(Ruleset ruleset, HostProfile host, Options opt) {
        this.ruleset = ruleset;
        this.host = host;
        this.opt = opt;
        for (Dir d : Dir.values()) {
            fileOrder.put(d, new ArrayList<>());
            reversed.put(d, new ArrayList<>());
            natFirst.put(d, new ArrayList<>());
            natReversed.put(d, new ArrayList<>());
        }
    }

    /**
     * Compiles {@code ruleset}. {@code host} supplies interface groups (e.g.
     * {@code egress}) at compile time. Never throws for a rule it cannot
     * express: the result is then {@link CompileResult.Refused} with every
     * reason.
     */
    public static CompileResult compile(Ruleset ruleset, HostProfile host, Options opt) {
        NftCompiler c = new NftCompiler(ruleset, host, opt);
        String text = c.run();
        if (!c.errors.isEmpty()) return new CompileResult.Refused(c.errors);
        Map<String, NftProgram.TableSets> ts = new LinkedHashMap<>();
        c.tableBase.forEach((pf, base) -> ts.put(pf, new NftProgram.TableSets(base + "_v4", base + "_v6",
                c.overloaded.contains(pf) ? base + "_ov_v4" : null, c.overloaded.contains(pf) ? base + "_ov_v6" : null)));
        Map<String, NftProgram.DynamicSet> dyn = new LinkedHashMap<>();
        c.dynBase.forEach((spec, base) -> dyn.put(spec, new NftProgram.DynamicSet(c.dynSpec.get(spec),
                base + "_v4", base + "_v6")));
        List<XtDivert.Rule> xt = new ArrayList<>();
        if (opt.divertPath() == QueueFeatures.Path.XT_NFQUEUE) {
            c.diverts.forEach((port, idx) -> xt.add(new XtDivert.Rule(port, idx << 24, opt.divertBypass())));
        }
        return new CompileResult.Compiled(new NftProgram(text, ts, dyn, c.labels, xt,
                c.anyFlush ? opt.overloadFlushGroup() : -1));
    }

    // ------------------------------------------------------------------ driver

    private String run() {
        for (Decl.TableDef t : ruleset.tables()) tableName(t.name());
        if (ruleset.options().stateIfBound()) {
            // the last state-policy setting wins, so the error points at it
            Decl.SetOption at = null;
            for (Decl d : ruleset.declarations()) {
                if (d instanceof Decl.SetOption so && so.name().equals("state-policy")) at = so;
            }
            errors.add(new Diagnostic(at != null && at.file() != null ? at.file() : firstFile(), at != null ? at.line() : 0,
                    "set state-policy if-bound: conntrack states are not bound to interfaces; use floating (the default)"));
        }
        for (FilterRule r : ruleset.rules()) if (r.allowOpts()) anyAllowOpts = true;
        for (FilterRule r : ruleset.rules()) {
            try {
                rule(r);
            } catch (NeverMatches e) {
                // pf keeps the rule, and it never matches: nothing to emit
            } catch (Refuse e) {
                errors.add(new Diagnostic(r.file(), r.line(), e.getMessage()));
            }
        }
        checkTagOrder();
        if (!diverts.isEmpty() && opt.divertPath() == QueueFeatures.Path.NONE) {
            FilterRule r = ruleset.rules().stream().filter(x -> x.divert() != null).findFirst().orElseThrow();
            errors.add(new Diagnostic(r.file(), r.line(), "divert-packet: this kernel has neither nft's queue "
                    + "expression nor the xt NFQUEUE target"));
        }
        return errors.isEmpty() ? render() : "";
    }

    private String firstFile() {
        return ruleset.rules().isEmpty() ? "stdin" : ruleset.rules().getFirst().file();
    }

    /**
     * pf applies a tag as it evaluates each rule; in the reversed part a
     * non-quick rule testing {@code tagged} would see tags of rules that pf
     * evaluates after it. Refused when such a later tag exists in the same
     * direction.
     */
    private void checkTagOrder() {
        List<FilterRule> rules = ruleset.rules();
        for (int i = 0; i < rules.size(); i++) {
            FilterRule a = rules.get(i);
            if (a.tagged() == null || a.quick() || a.action() == Action.MATCH) continue;
            for (int j = i + 1; j < rules.size(); j++) {
                FilterRule b = rules.get(j);
                if (b.tag() != null && overlaps(a.direction(), b.direction())) {
                    errors.add(new Diagnostic(a.file(), a.line(), "tagged " + a.tagged() + " in a non-quick rule "
                            + "followed by a rule that sets a tag (line " + b.line() + "): pf's evaluation order for "
                            + "tags cannot be kept in first-match order; make this rule quick or move the tag before it"));
                    break;
                }
            }
        }
    }

    private static boolean overlaps(Direction a, Direction b) {
        return a == Direction.ANY || b == Direction.ANY || a == b;
    }

    // ------------------------------------------------------------------ one rule

    private void rule(FilterRule r) {
        refuseUnsupported(r);
        if (r.action() == Action.MATCH && r.quick()) throw new Refuse("match quick: a match rule that stops "
                + "evaluation cannot be expressed; drop quick or use a pass/block rule");
        List<Dir> dirs = switch (r.direction()) {
            case IN -> List.of(Dir.IN);
            case OUT -> List.of(Dir.OUT);
            case ANY -> List.of(Dir.IN, Dir.OUT);
        };
        if (r.src().address() instanceof Address.UrpfFailed || r.dst().address() instanceof Address.UrpfFailed) {
            if (r.direction() != Direction.IN) throw new Refuse("urpf-failed: the reverse path check needs the "
                    + "incoming interface; use it in an 'in' rule");
            if (r.dst().address() instanceof Address.UrpfFailed) throw new Refuse("urpf-failed applies to the "
                    + "source address (from urpf-failed)");
        }
        if ((r.uid() != null || r.gid() != null) && r.direction() != Direction.OUT) {
            throw new Refuse("user/group: Linux knows the owning socket of outgoing packets only; add 'out'");
        }
        if (r.label() != null) labelCounter(r.label());
        onceStmt = null;
        String onceGuard = null;
        if (r.once()) {
            // a set that holds at most one element: the first match adds it, later packets fail the lookup
            String set = "once_r" + r.number();
            meterSets.add("set " + set + " { type mark; size 1; flags dynamic; }");
            onceGuard = "meta mark & 0x00000000 != @" + set;
            onceStmt = "add @" + set + " { meta mark & 0x00000000 }";
        }
        for (Dir d : dirs) {
            List<Variant> vs = variants(r, d, false);
            if (onceGuard != null) {
                String g = onceGuard;
                vs = vs.stream().map(v -> new Variant(concat(v.matches, g), v.fam)).toList();
            }
            List<String> lines = new ArrayList<>();
            switch (r.action()) {
                case MATCH -> {
                    for (Variant v : vs) lines.addAll(effects(r, v, d));
                    if (onceStmt != null) for (Variant v : vs) lines.add(line(v.matches, onceStmt, r));
                    fileOrder.get(d).addAll(lines);
                }
                case PASS -> {
                    for (Variant v : vs) lines.addAll(pass(r, v, d));
                    place(r, d, lines);
                }
                case BLOCK -> {
                    for (Variant v : vs) lines.addAll(block(r, v, d));
                    place(r, d, lines);
                }
            }
            if (r.action() != Action.MATCH && !r.quick() && r.tag() != null) {
                // pf tags the packet when it evaluates the rule, decisive or not
                for (Variant v : vs) fileOrder.get(d).add(line(v.matches, tagSet(r.tag()), r));
            }
            nat(r, d);
        }
    }

    private void place(FilterRule r, Dir d, List<String> lines) {
        if (r.quick()) fileOrder.get(d).addAll(lines);
        else reversed.get(d).add(lines);
    }

    private void refuseUnsupported(FilterRule r) {
        if (r.anchor() != null) throw new Refuse("anchor rules are not compiled to nftables yet");
        if (r.os() != null) throw new Refuse("os \"" + r.os() + "\": passive OS fingerprints are not mapped "
                + "(nft's osf uses other names)");
        if (r.prio() >= 0) throw new Refuse("prio: pf packet priorities have no nftables match");
        if (r.setPrio() != null) throw new Refuse("set prio: pf packet priorities have no nftables equivalent");
        if (r.queue() != null) throw new Refuse("set queue " + r.queue() + ": pf queues are not mapped to tc");
        if (r.fragment()) throw new Refuse("fragment: Linux reassembles fragments before filtering (conntrack "
                + "defrag), so the rule would never match");
        if (r.once() && (r.rdr() != null || r.nat() != null)) {
            throw new Refuse("once with a translation: the nat chains run apart from the filter rules");
        }
        if (r.rtable() >= 0) throw new Refuse("rtable: routing tables are not mapped");
        if (r.afTo() != null) throw new Refuse("af-to: nftables has no NAT64 translation");
        if (r.route() != null) {
            String what = switch (r.route()) {
                case ROUTE_TO -> "route-to";
                case REPLY_TO -> "reply-to";
                case DUP_TO -> "dup-to";
            };
            throw new Refuse(what + ": the inet family has no fwd, and nft's dup is not available for inet; "
                    + "use policy routing");
        }
        if (r.divert() != null && r.divert().kind() != FilterRule.Divert.Kind.PACKET) {
            throw new Refuse("divert-to/divert-reply: socket diverts are not mapped (use divert-packet)");
        }
        if (r.divert() != null && r.action() != Action.PASS) throw new Refuse("divert-packet needs a pass rule");
        if (r.returnTtl() != 0) throw new Refuse("return-rst(ttl " + r.returnTtl() + "): nft's tcp reset "
                + "cannot set the TTL");
        if ((r.log() & FilterRule.LOG_ALL) != 0) throw new Refuse("log (all): packets passed by a state are "
                + "not logged; use log");
        if ((r.log() & FilterRule.LOG_MATCHES) != 0) throw new Refuse("log (matches) is not mapped");
        if ((r.log() & FilterRule.LOG_USER) != 0) throw new Refuse("log (user) is not mapped");
        if (r.scrub() != null) {
            FilterRule.Scrub s = r.scrub();
            if (s.noDf()) throw new Refuse("scrub (no-df): clearing DF is not mapped");
            if (s.randomId()) throw new Refuse("scrub (random-id): nftables cannot rewrite the IP id");
            if (s.reassembleTcp()) throw new Refuse("scrub (reassemble tcp) is not mapped");
        }
        if (r.action() == Action.PASS && r.state() == FilterRule.StateType.SYNPROXY) {
            throw new Refuse("synproxy state is not mapped");
        }
        StateOptions so = r.stateOptions();
        if (r.action() == Action.PASS && r.state() != FilterRule.StateType.NONE) {
            if (so.maxSrcNodes() != 0) throw new Refuse("max-src-nodes: source nodes are not mapped");
            if (so.ifBound()) throw new Refuse("if-bound: conntrack states are not bound to interfaces");
            if (so.sloppy()) throw new Refuse("sloppy: conntrack tracks TCP windows for every state");
            if (so.pflow()) throw new Refuse("pflow is not mapped");
            for (Integer k : so.timeouts().keySet()) {
                if (k != Names.TM_ADAPTIVE_START && k != Names.TM_ADAPTIVE_END && k != Names.TM_SRC_TRACK) {
                    throw new Refuse("per-rule timeout " + Names.TIMEOUTS.get(k) + ": conntrack timeout policies "
                            + "are not mapped");
                }
            }
            if (so.overload() != null && so.maxSrcConn() == 0 && so.maxSrcConnRate() == 0 && so.maxSrcStates() == 0) {
                throw new Refuse("overload <" + so.overload() + "> without max-src-conn or max-src-conn-rate");
            }
        }
    }

    // ------------------------------------------------------------------ matches

    /** One nft rule's worth of matches, and the family it is bound to (null: both). */
    private record Variant(List<String> matches, Fam fam) {
    }

    /**
     * The match alternatives of a rule in a direction: one per family when
     * something needs it, and one per TCP/non-TCP alternative of a flags test
     * that must let non-TCP packets through.
     */
    private List<Variant> variants(FilterRule r, Dir d, boolean nat) {
        Fam fixed = impliedFamily(r);
        List<Fam> fams = new ArrayList<>();
        if (fixed != null) fams.add(fixed);
        else fams.add(null);
        List<Variant> out = new ArrayList<>();
        for (Fam f : fams) {
            try {
                out.addAll(build(r, d, f, nat));
            } catch (NeedFamily e) {
                if (f != null) throw new IllegalStateException("family already fixed", e);
                out.addAll(build(r, d, Fam.V4, nat));
                out.addAll(build(r, d, Fam.V6, nat));
            }
        }
        return out;
    }

    private static Fam impliedFamily(FilterRule r) {
        if (r.af() == Af.INET) return Fam.V4;
        if (r.af() == Af.INET6) return Fam.V6;
        for (Address a : List.of(r.src().address(), r.dst().address())) {
            if (a.af() == Af.INET) return Fam.V4;
            if (a.af() == Af.INET6) return Fam.V6;
        }
        if (r.proto() == 1) return Fam.V4;
        if (r.proto() == 58) return Fam.V6;
        return null;
    }

    private List<Variant> build(FilterRule r, Dir d, Fam fam, boolean nat) {
        List<List<List<String>>> factors = new ArrayList<>();
        List<String> base = new ArrayList<>();
        if (r.ifname() != null) base.add(ifMatch(d == Dir.IN ? "iifname" : "oifname", r.ifname(), r.ifNegated()));
        if (r.receivedOn() != null) base.add(ifMatch("iifname", r.receivedOn(), false));
        String proto = protoName(r.proto());
        boolean rdrOrig = d == Dir.IN && r.rdr() != null && !nat;
        address(r.src(), true, d, fam, factors, base, false);
        address(r.dst(), false, d, fam, factors, base, rdrOrig);
        boolean portMatched = false;
        if (r.src().port() != null) {
            base.add(l4(r.proto()) + " sport " + portOp(r.src().port()));
            portMatched = true;
        }
        if (r.dst().port() != null) {
            base.add((rdrOrig ? "ct original proto-dst" : l4(r.proto()) + " dport") + " " + portOp(r.dst().port()));
            portMatched = portMatched || !rdrOrig;
        }
        if (r.proto() != 0 && !(portMatched && (r.proto() == 6 || r.proto() == 17))) {
            base.addFirst("meta l4proto " + proto);
        }
        if (r.icmpType() >= 0) {
            String k = r.proto() == 58 ? "icmpv6" : "icmp";
            base.add(k + " type " + r.icmpType());
            if (r.icmpCode() >= 0) base.add(k + " code " + r.icmpCode());
        }
        if (r.tos() >= 0) {
            if (fam == null) throw new NeedFamily();
            base.add(fam == Fam.V4 ? "@nh,8,8 " + hex8(r.tos()) : "@nh,4,8 " + hex8(r.tos()));
        }
        if (r.uid() != null) base.add("meta skuid " + idOp(r.uid()));
        if (r.gid() != null) base.add("meta skgid " + idOp(r.gid()));
        if (r.tagged() != null) {
            base.add("meta mark & " + hex(TAG_MASK) + (r.taggedNegated() ? " != " : " == ") + hex(tag(r.tagged()) << 16));
        }
        if (r.probability() != 0) {
            long k = Math.round(r.probability() * 10000.0 / 4294967296.0);
            base.add("numgen random mod 10000 < " + Math.max(1, Math.min(10000, k)));
        }
        if (r.flagset() != 0) {
            String test = "tcp flags & " + flagNames(r.flagset()) + " == " + (r.flags() == 0 ? "0x0" : flagNames(r.flags()));
            if (r.proto() == 6) base.add(test);
            else if (r.proto() == 0) factors.add(List.of(List.of("meta l4proto != tcp"), List.of(test)));
            // pf tests flags on TCP packets only: another protocol passes the test
        }
        // cartesian product of the alternatives
        List<List<String>> combos = new ArrayList<>();
        combos.add(base);
        for (List<List<String>> f : factors) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> c : combos) {
                for (List<String> alt : f) {
                    List<String> n = new ArrayList<>(c);
                    n.addAll(alt);
                    next.add(n);
                }
            }
            combos = next;
        }
        List<Variant> out = new ArrayList<>();
        for (List<String> c : combos) {
            List<String> m = new ArrayList<>();
            if (fam != null && c.stream().noneMatch(s -> s.startsWith(fam.expr + " ") || s.startsWith("ct original " + fam.expr + " ")
                    || (fam == Fam.V4 && s.startsWith("icmp ")) || (fam == Fam.V6 && s.startsWith("icmpv6 ")))) {
                m.add("meta nfproto " + fam.nfproto);
            }
            m.addAll(c);
            out.add(new Variant(m, fam));
        }
        return out;
    }

    private void address(AddrMatch am, boolean src, Dir d, Fam fam, List<List<List<String>>> factors,
                         List<String> base, boolean orig) {
        Address a = am.address();
        boolean neg = am.negated();
        String dirw = src ? "saddr" : "daddr";
        String eq = neg ? "!= " : "";
        switch (a) {
            case Address.Any any -> {
                if (neg) throw new Refuse("! any matches nothing");
            }
            case Address.Prefix p -> {
                base.add(addrExpr(fam, dirw, orig) + " " + eq + p.prefix());
                if (p.scope() != null) {
                    // a link-local zone is the interface the packet is on in this direction
                    if (neg) throw new Refuse("! " + p.prefix() + "%" + p.scope() + ": a negated scoped address "
                            + "cannot be matched (address or interface)");
                    base.add(ifMatch(d == Dir.IN ? "iifname" : "oifname", p.scope(), false));
                }
            }
            case Address.Range rg -> base.add(addrExpr(fam, dirw, orig) + " " + eq + rg.from() + "-" + rg.to());
            case Address.Table t -> {
                if (fam == null) throw new NeedFamily();
                String b = tableName(t.name());
                String suf = fam == Fam.V4 ? "_v4" : "_v6";
                List<String> sets = new ArrayList<>();
                sets.add(b + suf);
                if (overloaded.contains(t.name()) || overloadTarget(t.name())) sets.add(b + "_ov" + suf);
                if (neg) {
                    for (String s : sets) base.add(addrExpr(fam, dirw, orig) + " != @" + s);
                } else if (sets.size() == 1) {
                    base.add(addrExpr(fam, dirw, orig) + " @" + sets.getFirst());
                } else {
                    List<List<String>> alts = new ArrayList<>();
                    for (String s : sets) alts.add(List.of(addrExpr(fam, dirw, orig) + " @" + s));
                    factors.add(alts);
                }
            }
            case Address.Dynamic dy -> {
                if (dy.ifname().equals("self") && !dy.network() && !dy.broadcast() && !dy.peer() && dy.mask() < 0) {
                    if (orig) throw new Refuse("(self) as the destination of an rdr-to rule is not mapped");
                    base.add("fib " + dirw + " type " + (neg ? "!= " : "") + "local");
                } else {
                    if (fam == null) throw new NeedFamily();
                    String b = dynName(dy);
                    base.add(addrExpr(fam, dirw, orig) + " " + (neg ? "!= " : "") + "@" + b + (fam == Fam.V4 ? "_v4" : "_v6"));
                }
            }
            case Address.NoRoute nr -> base.add("fib " + dirw + " oif " + (neg ? "exists" : "missing"));
            case Address.UrpfFailed u -> base.add("fib saddr . iif oif " + (neg ? "exists" : "missing"));
            case Address.RouteLabel rl -> throw new Refuse("route \"" + rl.label() + "\": route labels are not mapped");
        }
    }

    private static String addrExpr(Fam fam, String dirw, boolean orig) {
        if (fam == null) throw new IllegalStateException("address without family");
        return (orig ? "ct original " : "") + fam.expr + " " + dirw;
    }

    private boolean overloadTarget(String table) {
        for (FilterRule r : ruleset.rules()) {
            if (table.equals(r.stateOptions().overload()) && r.action() == Action.PASS
                    && r.state() != FilterRule.StateType.NONE) {
                overloaded.add(table);
                return true;
            }
        }
        return false;
    }

    private String ifMatch(String key, String name, boolean neg) {
        List<String> members = host.groups().get(name);
        String op = neg ? "!= " : "";
        if (members != null && !host.interfaces().containsKey(name)) {
            if (members.isEmpty()) throw new Refuse("interface group " + name + " has no members on this host");
            if (members.size() == 1) return key + " " + op + quote(members.getFirst());
            List<String> q = members.stream().map(NftCompiler::quote).toList();
            return key + " " + op + "{ " + String.join(", ", q) + " }";
        }
        return key + " " + op + quote(name);
    }

    private static String l4(int proto) {
        return switch (proto) {
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> "th";
        };
    }

    private static String protoName(int proto) {
        return switch (proto) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 58 -> "icmpv6";
            default -> Integer.toString(proto);
        };
    }

    static String portOp(PortOp p) {
        return rangeOp(p.op(), p.lo(), p.hi());
    }

    static String idOp(IdOp i) {
        return rangeOp(i.op(), i.lo(), i.hi());
    }

    private static String rangeOp(dev.palisade.core.lang.Op op, long lo, long hi) {
        return switch (op) {
            case EQ -> Long.toString(lo);
            case NE -> "!= " + lo;
            case LT -> "< " + lo;
            case LE -> "<= " + lo;
            case GT -> "> " + lo;
            case GE -> ">= " + lo;
            case RRG -> lo == hi ? Long.toString(lo) : lo + "-" + hi;
            case XRG -> lo == hi ? "!= " + lo : "!= " + lo + "-" + hi;
            case IRG -> {
                if (hi - lo < 2) throw new NeverMatches();
                yield hi - lo == 2 ? Long.toString(lo + 1) : (lo + 1) + "-" + (hi - 1);
            }
        };
    }

    private static final String[] FLAG = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};

    static String flagNames(int bits) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < 8; i++) if ((bits & (1 << i)) != 0) n.add(FLAG[i]);
        return n.size() == 1 ? n.getFirst() : "(" + String.join(" | ", n) + ")";
    }

    // ------------------------------------------------------------------ actions

    private List<String> effects(FilterRule r, Variant v, Dir d) {
        List<String> out = new ArrayList<>();
        if (r.label() != null) out.add(line(v.matches, "counter name " + quote(labels.get(r.label())), r));
        if (r.log() != 0) out.add(line(v.matches, log(r, d), r));
        if (r.tag() != null) out.add(line(v.matches, tagSet(r.tag()), r));
        out.addAll(rewrites(r, v));
        return out;
    }

    /** set tos, scrub max-mss and min-ttl: non-terminal rewrites. */
    private List<String> rewrites(FilterRule r, Variant v) {
        List<String> out = new ArrayList<>();
        if (r.setTos() >= 0) {
            if ((r.setTos() & 3) != 0) throw new Refuse("set tos " + hex8(r.setTos()) + ": nft sets the DSCP bits "
                    + "only; the two ECN bits must be 0");
            List<String> m = new ArrayList<>(v.matches);
            if (v.fam == null) {
                out.add(line(concat(m, "meta nfproto ipv4"), "ip dscp set " + (r.setTos() >> 2), r));
                out.add(line(concat(m, "meta nfproto ipv6"), "ip6 dscp set " + (r.setTos() >> 2), r));
            } else {
                out.add(line(m, v.fam.expr + " dscp set " + (r.setTos() >> 2), r));
            }
        }
        FilterRule.Scrub s = r.scrub();
        if (s != null && s.maxMss() > 0) {
            out.add(line(concat(v.matches, "tcp flags syn tcp option maxseg size > " + s.maxMss()),
                    "tcp option maxseg size set " + s.maxMss(), r));
        }
        if (s != null && s.minTtl() > 0) {
            if (v.fam != Fam.V6) out.add(line(concat(v.matches, (v.fam == null ? "meta nfproto ipv4 " : "")
                    + "ip ttl < " + s.minTtl()), "ip ttl set " + s.minTtl(), r));
            if (v.fam != Fam.V4) out.add(line(concat(v.matches, (v.fam == null ? "meta nfproto ipv6 " : "")
                    + "ip6 hoplimit < " + s.minTtl()), "ip6 hoplimit set " + s.minTtl(), r));
        }
        return out;
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> l = new ArrayList<>(a);
        l.add(b);
        return l;
    }

    private List<String> pass(FilterRule r, Variant v, Dir d) {
        List<String> out = new ArrayList<>();
        boolean stateful = r.state() != FilterRule.StateType.NONE;
        if (!r.allowOpts() && anyAllowOpts && v.fam != Fam.V6) {
            out.add(line(concat(v.matches, (v.fam == null ? "meta nfproto ipv4 " : "") + "ip hdrlength > 5 ip protocol != igmp"),
                    "drop", r));
        }
        out.addAll(rewrites(r, v));
        if (stateful) out.addAll(stateLimits(r, v));
        List<String> st = new ArrayList<>();
        if (onceStmt != null) st.add(onceStmt);
        if (r.label() != null) st.add("counter name " + quote(labels.get(r.label())));
        if (r.log() != 0) st.add(log(r, d));
        if (r.tag() != null) st.add(tagSet(r.tag()));
        int mark = stateful ? (d == Dir.IN ? CT_IN : CT_OUT) : 0;
        if (r.divert() != null) {
            int idx = diverts.computeIfAbsent(r.divert().port(), p -> diverts.size() + 1);
            if (idx > 63) throw new Refuse("more than 63 divert-packet ports");
            if (stateful) mark |= idx << 24;
            st.add("meta mark set meta mark & " + hex(~DIVERT_MASK) + " | " + hex(idx << 24));
        }
        if (mark != 0) st.add("ct mark set ct mark | " + hex(mark));
        st.add("return");
        out.add(line(v.matches, String.join(" ", st), r));
        return out;
    }

    /** max, max-src-conn, max-src-conn-rate and overload: rules that drop before the pass rule. */
    private List<String> stateLimits(FilterRule r, Variant v) {
        StateOptions so = r.stateOptions();
        List<String> out = new ArrayList<>();
        if (so.max() > 0) out.add(line(v.matches, "ct count over " + so.max() + " drop", r));
        long perSrc = so.maxSrcConn() > 0 ? so.maxSrcConn() : so.maxSrcStates();
        if (perSrc > 0 || so.maxSrcConnRate() > 0) {
            List<Fam> fams = v.fam == null ? List.of(Fam.V4, Fam.V6) : List.of(v.fam);
            for (Fam f : fams) {
                List<String> m = new ArrayList<>(v.matches);
                if (v.fam == null) m.add("meta nfproto " + f.nfproto);
                String key = f.expr + " saddr";
                String type = f == Fam.V4 ? "ipv4_addr" : "ipv6_addr";
                String over = overloadStmts(r, f);
                if (perSrc > 0 && so.maxSrcConn() > 0 && so.maxSrcStates() > 0 && so.maxSrcStates() < so.maxSrcConn()) {
                    perSrc = so.maxSrcStates();
                }
                if (perSrc > 0) {
                    String set = "conn_r" + r.number() + "_" + f.name().toLowerCase();
                    meterSets.add("set " + set + " { type " + type + "; flags dynamic; size 65535; }");
                    out.add(line(concat(m, "ct state new"), "add @" + set + " { " + key + " ct count over " + perSrc
                            + " }" + over + " drop", r));
                }
                if (so.maxSrcConnRate() > 0) {
                    String set = "rate_r" + r.number() + "_" + f.name().toLowerCase();
                    long secs = Math.max(1, so.maxSrcConnRateSeconds());
                    meterSets.add("set " + set + " { type " + type + "; flags dynamic, timeout; timeout " + secs
                            + "s; size 65535; }");
                    out.add(line(concat(m, "ct state new"), "add @" + set + " { " + key + " limit rate over "
                            + rate(so.maxSrcConnRate(), secs) + " }" + over + " drop", r));
                }
            }
        }
        return out;
    }

    /** N per S seconds as an nft rate with burst N (nft knows second, minute, hour, day). */
    static String rate(long n, long secs) {
        long[] units = {1, 60, 3600, 86400};
        String[] names = {"second", "minute", "hour", "day"};
        for (int i = 0; i < units.length; i++) {
            if (units[i] % secs == 0) {
                return n * (units[i] / secs) + "/" + names[i] + " burst " + n + " packets";
            }
        }
        throw new Refuse("max-src-conn-rate " + n + "/" + secs + ": the period must divide a day");
    }

    private String overloadStmts(FilterRule r, Fam f) {
        StateOptions so = r.stateOptions();
        if (so.overload() == null) return "";
        overloaded.add(so.overload());
        String b = tableName(so.overload());
        String s = " add @" + b + "_ov_" + f.name().toLowerCase() + " { " + f.expr + " saddr }";
        if (so.flush() != StateOptions.Flush.NONE) {
            anyFlush = true;
            s += " log prefix " + quote("palisade-flush " + so.overload() + " ") + " group " + opt.overloadFlushGroup();
        }
        return s;
    }

    private List<String> block(FilterRule r, Variant v, Dir d) {
        List<String> out = new ArrayList<>();
        List<String> st = new ArrayList<>();
        if (onceStmt != null) st.add(onceStmt);
        if (r.label() != null) st.add("counter name " + quote(labels.get(r.label())));
        if (r.log() != 0) st.add(log(r, d));
        if (r.tag() != null) st.add(tagSet(r.tag()));
        String pre = st.isEmpty() ? "" : String.join(" ", st) + " ";
        BlockMode mode = r.blockMode();
        int icmp4 = r.returnIcmp(), icmp6 = r.returnIcmp6();
        switch (mode) {
            case DROP -> out.add(line(v.matches, pre + "drop", r));
            case RETURN_RST -> {
                if (r.proto() == 6) out.add(line(v.matches, pre + "reject with tcp reset", r));
                else if (r.proto() == 0) {
                    out.add(line(concat(v.matches, "meta l4proto tcp"), pre + "reject with tcp reset", r));
                    out.add(line(v.matches, pre + "drop", r));
                } else out.add(line(v.matches, pre + "drop", r)); // pf sends no RST for other protocols
            }
            case RETURN_ICMP, RETURN -> {
                if (mode == BlockMode.RETURN && r.proto() == 6) {
                    out.add(line(v.matches, pre + "reject with tcp reset", r));
                    break;
                }
                if (mode == BlockMode.RETURN && r.proto() == 0) {
                    out.add(line(concat(v.matches, "meta l4proto tcp"), pre + "reject with tcp reset", r));
                }
                if ((icmp4 >> 8) != 3) throw new Refuse("return-icmp type " + (icmp4 >> 8) + ": nft rejects with "
                        + "destination unreachable only");
                if ((icmp6 >> 8) != 1) throw new Refuse("return-icmp6 type " + (icmp6 >> 8) + ": nft rejects with "
                        + "destination unreachable only");
                if (v.fam != Fam.V6) out.add(line(v.fam == null ? concat(v.matches, "meta nfproto ipv4") : v.matches,
                        pre + "reject with icmp type " + (icmp4 & 0xff), r));
                if (v.fam != Fam.V4) out.add(line(v.fam == null ? concat(v.matches, "meta nfproto ipv6") : v.matches,
                        pre + "reject with icmpv6 type " + (icmp6 & 0xff), r));
                if (v.fam == null) out.add(line(v.matches, pre + "drop", r)); // neither family: nothing to answer
            }
        }
        return out;
    }

    private String log(FilterRule r, Dir d) {
        String act = r.action().name().toLowerCase();
        return "log prefix " + quote("pf " + r.number() + " " + act + " " + d.name().toLowerCase() + ": ")
                + " group " + r.logIf();
    }

    private String tagSet(String tag) {
        return "meta mark set meta mark & " + hex(~TAG_MASK) + " | " + hex(tag(tag) << 16);
    }

    private int tag(String name) {
        int t = tags.computeIfAbsent(name, n -> tags.size() + 1);
        if (t > 255) throw new Refuse("more than 255 distinct tags");
        return t;
    }

    // ------------------------------------------------------------------ NAT

    private void nat(FilterRule r, Dir d) {
        FilterRule.Pool pool = d == Dir.IN ? r.rdr() : r.nat();
        if (pool == null) {
            if (d == Dir.IN && r.nat() != null && r.direction() == Direction.IN) {
                throw new Refuse("nat-to applies to outgoing packets: use 'out'");
            }
            if (d == Dir.OUT && r.rdr() != null && r.direction() == Direction.OUT) {
                throw new Refuse("rdr-to applies to incoming packets: use 'in'");
            }
            return;
        }
        if (r.action() == Action.BLOCK) return;
        List<String> lines = new ArrayList<>();
        for (Variant v : variants(r, d, true)) lines.add(line(v.matches, translation(pool, d, v.fam, r), r));
        if (r.quick()) natFirst.get(d).addAll(lines);
        else natReversed.get(d).add(lines);
    }

    private String translation(FilterRule.Pool p, Dir d, Fam fam, FilterRule r) {
        if (p.sticky() || p.type() == FilterRule.PoolType.SOURCE_HASH || p.type() == FilterRule.PoolType.LEAST_STATES
                || p.type() == FilterRule.PoolType.BITMASK) {
            throw new Refuse("pool option " + p.type().name().toLowerCase().replace('_', '-')
                    + (p.sticky() ? " sticky-address" : "") + " is not mapped");
        }
        String ports = "";
        boolean defaultNatPorts = d == Dir.OUT && p.port1() == 50001 && p.port2() == 65535;
        // pf's default source ports for nat-to; Linux keeps the source port unless it clashes (docs/kernel.md)
        if (p.port1() != 0 && !defaultNatPorts) ports = ":" + p.port1() + (p.port2() != 0 && p.port2() != p.port1() ? "-" + p.port2() : "");
        if (!ports.isEmpty() && r.proto() != 6 && r.proto() != 17) {
            throw new Refuse("translation to a port needs proto tcp or udp");
        }
        String flags = p.type() == FilterRule.PoolType.RANDOM ? " random" : "";
        String verb = d == Dir.IN ? "dnat" : "snat";
        Address a = p.address();
        switch (a) {
            case Address.Dynamic dy -> {
                if (d == Dir.OUT && !dy.network() && !dy.broadcast() && !dy.peer() && dy.mask() < 0
                        && r.ifname() != null && dy.ifname().equals(r.ifname()) && !r.ifNegated()) {
                    return "masquerade" + (ports.isEmpty() ? "" : " to " + ports) + flags;
                }
                if (d == Dir.IN && host.isLoopback(dy.ifname())) {
                    return "redirect" + (ports.isEmpty() ? "" : " to " + ports) + flags;
                }
                throw new Refuse("translation to (" + dy.ifname() + "): only nat-to the rule's own 'on' interface "
                        + "(masquerade) and rdr-to a loopback interface (redirect) are mapped");
            }
            case Address.Prefix px -> {
                Fam pf = px.prefix().v6() ? Fam.V6 : Fam.V4;
                if (d == Dir.IN && px.prefix().isHost() && loopback(px.prefix())) {
                    // Linux does not route to 127/8 from outside: redirect is its "to this host"
                    return "redirect" + (ports.isEmpty() ? "" : " to " + ports) + flags;
                }
                if (fam != null && fam != pf) throw new Refuse("translation address " + px.prefix()
                        + " is of another family than the rule");
                String target = px.prefix().isHost() ? px.prefix().address().toString()
                        : px.prefix().address() + "-" + px.prefix().last();
                if (pf == Fam.V6 && !ports.isEmpty()) target = "[" + target + "]";
                if (!px.prefix().isHost() && p.type() == FilterRule.PoolType.NONE) {
                    throw new Refuse("translation to network " + px.prefix() + " without a pool type: pf's bitmask "
                            + "mapping is not mapped; use random or round-robin");
                }
                return verb + " " + pf.expr + " to " + target + ports + flags;
            }
            case Address.Range rg -> {
                Fam pf = rg.from().v6() ? Fam.V6 : Fam.V4;
                if (fam != null && fam != pf) throw new Refuse("translation range is of another family than the rule");
                String target = rg.from() + "-" + rg.to();
                if (pf == Fam.V6 && !ports.isEmpty()) target = "[" + rg.from() + "]-[" + rg.to() + "]";
                return verb + " " + pf.expr + " to " + target + ports + flags;
            }
            default -> throw new Refuse("translation to " + a.getClass().getSimpleName().toLowerCase()
                    + " is not mapped (one address, a network or a range)");
        }
    }

    private static boolean loopback(IpPrefix p) {
        return p.v6() ? p.equals(IpPrefix.parse("::1")) : IpPrefix.parse("127.0.0.0/8").contains(p.address());
    }

    // ------------------------------------------------------------------ names

    private String tableName(String pf) {
        return tableBase.computeIfAbsent(pf, n -> unique("t_" + ident(n), tableBase.values()));
    }

    private String dynName(Address.Dynamic d) {
        String spec = "(" + d.ifname() + (d.network() ? ":network" : "") + (d.broadcast() ? ":broadcast" : "")
                + (d.peer() ? ":peer" : "") + (d.noAlias() ? ":0" : "") + ")" + (d.mask() >= 0 ? "/" + d.mask() : "");
        dynSpec.putIfAbsent(spec, d);
        return dynBase.computeIfAbsent(spec, s -> unique("if_" + ident(d.ifname())
                + (d.network() ? "_network" : "") + (d.broadcast() ? "_broadcast" : "") + (d.peer() ? "_peer" : "")
                + (d.noAlias() ? "_0" : "") + (d.mask() >= 0 ? "_m" + d.mask() : ""), dynBase.values()));
    }

    private void labelCounter(String label) {
        labels.computeIfAbsent(label, l -> "label_" + (labels.size() + 1));
    }

    private static String unique(String want, java.util.Collection<String> taken) {
        String s = want;
        for (int i = 2; taken.contains(s); i++) s = want + "_" + i;
        return s;
    }

    private static String ident(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') b.append(c);
            else b.append('_').append(Integer.toHexString(c));
        }
        return b.toString();
    }

    /** An nft quoted string: nft strings cannot hold a double quote, so it becomes a single one. */
    static String quote(String s) {
        return "\"" + s.replace('"', '\'').replace('\\', '/') + "\"";
    }

    /** {@code 0x} and eight hex digits. */
    public static String hex(int v) {
        return String.format("0x%08x", v);
    }

    private static String hex8(int v) {
        return String.format("0x%02x", v);
    }

    /*
     * A rule line is kept encoded until rendering so that the merge pass can
     * see its parts: matches separated by SEP, then STMT and the statements,
     * then COMMENT and the source position.
     */
    private static final char SEP = '\u0001', STMT = '\u0002', COMMENT = '\u0003';

    private static String line(List<String> matches, String statements, FilterRule r) {
        StringBuilder b = new StringBuilder();
        for (String m : matches) b.append(m).append(SEP);
        b.append(STMT).append(counted(statements));
        b.append(COMMENT).append(r.file()).append(':').append(r.line());
        return b.toString();
    }

    private static final List<String> VERDICTS = List.of("drop", "return", "accept", "reject", "snat", "dnat",
            "masquerade", "redirect", "queue", "jump", "goto");

    /**
     * Puts an anonymous counter right before the verdict, so that it counts what the line decides
     * (after matching statements such as {@code ct count over N} or a meter's {@code limit}):
     * {@code pfctl -s rules -v} reads these by the line's FILE:LINE comment.
     */
    static String counted(String statements) {
        int at = -1;
        for (String v : VERDICTS) {
            if (statements.startsWith(v + " ") || statements.equals(v)) at = Math.max(at, 0);
            int i = statements.lastIndexOf(" " + v);
            if (i >= 0 && (i + 1 + v.length() == statements.length() || statements.charAt(i + 1 + v.length()) == ' ')) {
                at = Math.max(at, i + 1);
            }
        }
        if (at < 0) return statements + " counter";
        return statements.substring(0, at) + "counter " + statements.substring(at);
    }

    private record Parts(List<String> matches, String stmts, String where) {
        static Parts of(String enc) {
            int st = enc.indexOf(STMT), cm = enc.indexOf(COMMENT);
            String m = enc.substring(0, st);
            List<String> ms = m.isEmpty() ? List.of() : List.of(m.substring(0, m.length() - 1).split(String.valueOf(SEP), -1));
            return new Parts(ms, enc.substring(st + 1, cm), enc.substring(cm + 1));
        }

        String encode() {
            StringBuilder b = new StringBuilder();
            for (String x : matches) b.append(x).append(SEP);
            return b.append(STMT).append(stmts).append(COMMENT).append(where).toString();
        }

        String text() {
            StringBuilder b = new StringBuilder();
            for (String x : matches) b.append(x).append(' ');
            return b.append(stmts).append(" comment ").append(quote(where)).toString();
        }
    }

    private static String decode(String enc) {
        return enc.indexOf(STMT) < 0 ? enc : Parts.of(enc).text();
    }

    private static final List<String> MERGEABLE = List.of("tcp dport", "tcp sport", "udp dport", "udp sport",
            "th dport", "th sport", "ip saddr", "ip daddr", "ip6 saddr", "ip6 daddr", "iifname", "oifname",
            "meta l4proto", "ct original proto-dst", "ct original ip daddr", "ct original ip6 daddr",
            "icmp type", "icmpv6 type");

    /**
     * Merges runs of adjacent rules with the same statements whose matches
     * differ in one plain value of the same key into one rule with an
     * anonymous set ({@code tcp dport { 22, 80 }}); repeated until nothing
     * merges, so a product of lists collapses one dimension per round.
     * Adjacent rules with the same verdict give the same first match in
     * either form, so the order semantics are kept.
     */
    static List<String> merge(List<String> lines) {
        List<String> cur = lines;
        while (true) {
            List<String> next = mergeOnce(cur);
            if (next.size() == cur.size()) return next;
            cur = next;
        }
    }

    private static List<String> mergeOnce(List<String> lines) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String a = lines.get(i);
            if (a.indexOf(STMT) < 0) {
                out.add(a);
                i++;
                continue;
            }
            Parts pa = Parts.of(a);
            int k = -1;
            int j = i + 1;
            List<String> values = new ArrayList<>();
            List<String> wheres = new ArrayList<>(List.of(pa.where));
            while (j < lines.size() && lines.get(j).indexOf(STMT) >= 0) {
                Parts pb = Parts.of(lines.get(j));
                int d = differsAt(pa, pb);
                if (d < 0 || (k >= 0 && d != k)) break;
                if (k < 0) {
                    k = d;
                    values.add(value(pa.matches.get(k)));
                }
                values.add(value(pb.matches.get(k)));
                if (!wheres.contains(pb.where)) wheres.add(pb.where);
                j++;
            }
            if (k < 0) {
                out.add(a);
                i++;
                continue;
            }
            List<String> ms = new ArrayList<>(pa.matches);
            List<String> flat = new ArrayList<>();
            for (String v : values) {
                if (v.startsWith("{ ")) flat.addAll(List.of(v.substring(2, v.length() - 2).split(", ")));
                else flat.add(v);
            }
            ms.set(k, key(pa.matches.get(k)) + " { " + String.join(", ", new LinkedHashSet<>(flat)) + " }");
            out.add(new Parts(ms, pa.stmts, shortWhere(wheres)).encode());
            i = j;
        }
        return out;
    }

    /** "f:1", "f:2", "f:3" as "f:1-3"; other lists joined with commas. */
    private static String shortWhere(List<String> wheres) {
        String file = wheres.getFirst().substring(0, wheres.getFirst().lastIndexOf(':'));
        List<Integer> ns = new ArrayList<>();
        for (String w : wheres) {
            if (!w.startsWith(file + ":")) return String.join(",", wheres);
            try {
                ns.add(Integer.parseInt(w.substring(file.length() + 1).split("[,-]")[0]));
            } catch (NumberFormatException e) {
                return String.join(",", wheres);
            }
        }
        int lo = java.util.Collections.min(ns), hi = java.util.Collections.max(ns);
        return lo == hi ? file + ":" + lo : file + ":" + lo + "-" + hi;
    }

    /** The index where b's matches differ from a's in one mergeable value, or -1. */
    private static int differsAt(Parts a, Parts b) {
        if (!a.stmts.equals(b.stmts) || a.matches.size() != b.matches.size()) return -1;
        // statements with per-rule state (ct count, limit, set adds) must stay one per pf rule
        if (a.stmts.contains("ct count") || a.stmts.contains("limit rate") || a.stmts.contains("add @")) return -1;
        int k = -1;
        for (int i = 0; i < a.matches.size(); i++) {
            if (a.matches.get(i).equals(b.matches.get(i))) continue;
            if (k >= 0) return -1;
            k = i;
        }
        if (k < 0) return -1;
        String ka = key(a.matches.get(k)), kb = key(b.matches.get(k));
        if (ka == null || !ka.equals(kb)) return -1;
        return k;
    }

    private static String key(String match) {
        for (String m : MERGEABLE) {
            if (match.startsWith(m + " ")) {
                String v = match.substring(m.length() + 1);
                if (v.startsWith("!=") || v.startsWith("<") || v.startsWith(">") || v.startsWith("@")) return null;
                if (m.equals("meta l4proto") && v.startsWith("!")) return null;
                return m;
            }
        }
        return null;
    }

    private static String value(String match) {
        return match.substring(key(match).length() + 1);
    }

    // ------------------------------------------------------------------ output

    private String render() {
        String t = opt.table();
        StringBuilder b = new StringBuilder();
        b.append("# Generated by Palisade from ").append(firstFile()).append(": do not edit.\n");
        b.append("# One transaction: the table is created if absent, deleted, and defined anew.\n");
        b.append("table inet ").append(t).append('\n');
        b.append("delete table inet ").append(t).append('\n');
        b.append("table inet ").append(t).append(" {\n");
        // sets
        Map<String, List<Decl.TableEntry>> entries = new LinkedHashMap<>();
        for (Decl.TableDef td : ruleset.tables()) entries.computeIfAbsent(td.name(), k -> new ArrayList<>()).addAll(td.entries());
        opt.tableContents().forEach((k, v) -> entries.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        tableBase.forEach((pf, base) -> {
            List<IpPrefix> eff = EffectiveIntervals.effectiveIntervals(entries.getOrDefault(pf, List.of()));
            b.append("\t# table <").append(pf).append(">\n");
            set(b, base + "_v4", "ipv4_addr", "interval, timeout", eff.stream().filter(p -> !p.v6()).toList());
            set(b, base + "_v6", "ipv6_addr", "interval, timeout", eff.stream().filter(IpPrefix::v6).toList());
            if (overloaded.contains(pf)) {
                b.append("\t# overload <").append(pf).append(">: added by the packet path\n");
                set(b, base + "_ov_v4", "ipv4_addr", "dynamic, timeout", List.of());
                set(b, base + "_ov_v6", "ipv6_addr", "dynamic, timeout", List.of());
            }
        });
        dynBase.forEach((spec, base) -> {
            b.append("\t# ").append(spec).append(": kept current by palisaded from the interface's addresses\n");
            set(b, base + "_v4", "ipv4_addr", "interval", List.of());
            set(b, base + "_v6", "ipv6_addr", "interval", List.of());
        });
        for (String s : meterSets) b.append('\t').append(s).append('\n');
        labels.forEach((label, name) -> {
            String c = label.length() > 120 ? label.substring(0, 120) : label;
            b.append("\tcounter ").append(name).append(" { comment ").append(quote(c)).append("; }\n");
        });
        for (Dir d : Dir.values()) {
            b.append("\n\tchain filter_").append(d.name().toLowerCase()).append(" {\n");
            int own = d == Dir.IN ? CT_IN : CT_OUT, other = d == Dir.IN ? CT_OUT : CT_IN;
            if (!anyAllowOpts) b.append("\t\tip hdrlength > 5 ip protocol != igmp drop comment \"pf: IP options\"\n");
            for (Map.Entry<Integer, Integer> e : diverts.entrySet()) {
                int idx = e.getValue() << 24;
                String set = "meta mark set meta mark & " + hex(~DIVERT_MASK) + " | " + hex(idx) + " return";
                b.append("\t\tct direction original ct mark & ").append(hex(own | DIVERT_MASK)).append(" == ")
                        .append(hex(own | idx)).append(' ').append(set).append('\n');
                b.append("\t\tct direction reply ct mark & ").append(hex(other | DIVERT_MASK)).append(" == ")
                        .append(hex(other | idx)).append(' ').append(set).append('\n');
            }
            b.append("\t\tct direction original ct mark & ").append(hex(own)).append(" == ").append(hex(own))
                    .append(" return comment \"state\"\n");
            b.append("\t\tct direction reply ct mark & ").append(hex(other)).append(" == ").append(hex(other))
                    .append(" return comment \"state\"\n");
            List<String> body = new ArrayList<>(fileOrder.get(d));
            List<List<String>> rev = reversed.get(d);
            for (int i = rev.size() - 1; i >= 0; i--) body.addAll(rev.get(i));
            for (String l : opt.merge() ? merge(body) : body) b.append("\t\t").append(decode(l)).append('\n');
            if (anyAllowOpts) b.append("\t\tip hdrlength > 5 ip protocol != igmp drop comment \"pf: IP options\"\n");
            b.append("\t\treturn comment \"default pass\"\n");
            b.append("\t}\n");
        }
        List<String> skip = ruleset.options().skip();
        base(b, "input", "input", skip, List.of("iifname"), List.of("filter_in"));
        base(b, "forward", "forward", skip, List.of("iifname", "oifname"), List.of("filter_in", "filter_out"));
        base(b, "output", "output", skip, List.of("oifname"), List.of("filter_out"));
        natChain(b, "nat_prerouting", "prerouting", "dstnat", Dir.IN);
        natChain(b, "nat_output", "output", "dstnat", Dir.IN); // rdr-to of locally sent packets: pf has none
        natChain(b, "nat_postrouting", "postrouting", "srcnat", Dir.OUT);
        b.append("}\n");
        return b.toString().replace("\n\n\tchain nat_output", "\n\tchain nat_output");
    }

    private void set(StringBuilder b, String name, String type, String flags, List<IpPrefix> elems) {
        b.append("\tset ").append(name).append(" { type ").append(type).append("; flags ").append(flags).append(";");
        if (!elems.isEmpty()) {
            b.append(" elements = { ");
            for (int i = 0; i < elems.size(); i++) {
                if (i > 0) b.append(", ");
                b.append(elems.get(i));
            }
            b.append(" };");
        }
        b.append(" }\n");
    }

    private void base(StringBuilder b, String name, String hook, List<String> skip, List<String> keys, List<String> jumps) {
        b.append("\n\tchain ").append(name).append(" {\n");
        b.append("\t\ttype filter hook ").append(hook).append(" priority filter ").append(PRIORITY)
                .append("; policy accept;\n");
        for (String s : skip) {
            List<String> members = host.groups().get(s);
            if (members != null && members.isEmpty() && !host.interfaces().containsKey(s)) continue; // skips nothing
            for (String k : keys) b.append("\t\t").append(ifMatch(k, s, false)).append(" accept comment \"set skip on ")
                    .append(s.replace('"', '\'')).append("\"\n");
        }
        for (String j : jumps) b.append("\t\tjump ").append(j).append('\n');
        if (opt.divertPath() == QueueFeatures.Path.NFT_QUEUE) {
            for (Map.Entry<Integer, Integer> e : diverts.entrySet()) {
                b.append("\t\tmeta mark & ").append(hex(DIVERT_MASK)).append(" == ").append(hex(e.getValue() << 24))
                        .append(" queue num ").append(e.getKey()).append(opt.divertBypass() ? " bypass" : "")
                        .append(" comment \"divert-packet port ").append(e.getKey()).append("\"\n");
            }
        }
        b.append("\t}\n");
    }

    private void natChain(StringBuilder b, String name, String hook, String prio, Dir d) {
        if (natFirst.get(d).isEmpty() && natReversed.get(d).isEmpty()) return;
        if (name.equals("nat_output")) return;
        b.append("\n\tchain ").append(name).append(" {\n");
        b.append("\t\ttype nat hook ").append(hook).append(" priority ").append(prio).append("; policy accept;\n");
        List<String> body = new ArrayList<>(natFirst.get(d));
        List<List<String>> rev = natReversed.get(d);
        for (int i = rev.size() - 1; i >= 0; i--) body.addAll(rev.get(i));
        for (String l : opt.merge() ? merge(body) : body) b.append("\t\t").append(decode(l)).append('\n');
        b.append("\t}\n");
    }
}
