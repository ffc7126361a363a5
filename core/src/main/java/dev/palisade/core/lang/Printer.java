package dev.palisade.core.lang;

import dev.palisade.core.lang.FilterRule.Action;
import dev.palisade.core.lang.FilterRule.BlockMode;
import dev.palisade.core.lang.FilterRule.Pool;
import dev.palisade.core.lang.FilterRule.StateType;
import dev.palisade.core.net.IpAddress;
import java.util.List;

/**
 * The canonical printer: pfctl's {@code -nv} text for declarations and
 * rules, word for word (pfctl_parser.c's print_rule order). Parsing its
 * output gives the same ruleset again, which makes it the parser's oracle.
 * {@code verbose} ≥ 2 adds pfctl's {@code -vv} extras ({@code @nr}, table
 * and interface address counts as {@code *}).
 */
public final class Printer {
    private Printer() {
    }

    /** The whole ruleset as pfctl -v prints it: declarations, then rules. */
    public static String print(Ruleset rs, int verbose) {
        StringBuilder sb = new StringBuilder();
        for (Decl d : rs.declarations()) sb.append(decl(d)).append('\n');
        rules(rs.rules(), verbose, "", sb);
        return sb.toString();
    }

    /** Rules only, one per line, anchors' inline rules indented. */
    public static void rules(List<FilterRule> rules, int verbose, String indent, StringBuilder sb) {
        for (FilterRule r : rules) {
            sb.append(indent).append(rule(r, verbose));
            if (r.anchor() != null && r.anchor().inline() != null) {
                sb.append(" {\n");
                rules(r.anchor().inline().rules(), verbose, indent + "  ", sb);
                sb.append(indent).append("}");
            }
            sb.append('\n');
        }
    }

    public static String decl(Decl d) {
        return switch (d) {
            case Decl.MacroDef m -> m.name() + " = \"" + m.value() + "\"";
            case Decl.SetOption s -> "set " + s.text();
            case Decl.TableDef t -> table(t);
            case Decl.QueueDef q -> queue(q);
            case Decl.LoadAnchor l -> "load anchor \"" + l.name() + "\" from \"" + l.file() + "\"";
        };
    }

    static String table(Decl.TableDef t) {
        StringBuilder sb = new StringBuilder("table <").append(t.name()).append('>');
        if (t.isConst()) sb.append(" const");
        if (t.persist()) sb.append(" persist");
        if (t.counters()) sb.append(" counters");
        List<Decl.TableNode> nodes = t.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i) instanceof Decl.TableNode.File f) {
                sb.append(" file \"").append(f.path()).append('"');
                continue;
            }
            sb.append(" {");
            while (true) {
                for (Decl.TableEntry e : ((Decl.TableNode.Entries) nodes.get(i)).entries()) {
                    sb.append(e.negated() ? " !" : " ").append(e.prefix());
                }
                if (i + 1 < nodes.size() && nodes.get(i + 1) instanceof Decl.TableNode.Entries) i++;
                else break;
            }
            sb.append(" }");
        }
        if (t.braces() && nodes.isEmpty()) sb.append(" { }");
        return sb.toString();
    }

    static String queue(Decl.QueueDef q) {
        StringBuilder sb = new StringBuilder("queue ").append(q.name());
        if (q.parent() != null) sb.append(" parent ").append(q.parent());
        else if (q.ifname() != null) sb.append(" on ").append(q.ifname());
        if (q.flows() > 0) {
            sb.append(" flows ").append(q.flows());
            if (q.quantum() > 0) sb.append(" quantum ").append(q.quantum());
        }
        if (q.bandwidth() > 0) {
            sb.append(" bandwidth ").append(bw(q.bandwidth()));
            if (q.min() > 0) sb.append(", min ").append(bw(q.min()));
            if (q.max() > 0) sb.append(", max ").append(bw(q.max()));
        }
        if (q.isDefault()) sb.append(" default");
        if (q.qlimit() > 0) sb.append(" qlimit ").append(q.qlimit());
        return sb.toString();
    }

    private static String bw(long rate) {
        String unit = " KMG";
        int i = 0;
        while (rate >= 1000 && i < 3 && rate % 1000 == 0) {
            rate /= 1000;
            i++;
        }
        return rate + (i == 0 ? "" : String.valueOf(unit.charAt(i)));
    }

    /** One rule as pfctl prints it (no newline). */
    public static String rule(FilterRule r, int verbose) {
        StringBuilder sb = new StringBuilder(128);
        boolean vv = verbose >= 2;
        if (vv) sb.append('@').append(r.number()).append(' ');
        boolean anchor = r.anchor() != null;
        if (anchor) {
            String n = r.anchor().name();
            int slash = n.lastIndexOf('/');
            if (slash >= 0 ? n.charAt(slash + 1) == '_' : n.startsWith("_")) sb.append("anchor");
            else sb.append("anchor \"").append(n).append('"');
        } else {
            sb.append(switch (r.action()) {
                case PASS -> "pass";
                case BLOCK -> "block";
                case MATCH -> "match";
            });
        }
        if (r.action() == Action.BLOCK && !anchor) {
            switch (r.blockMode()) {
                case RETURN -> sb.append(" return");
                case RETURN_RST -> sb.append(r.returnTtl() == 0 ? " return-rst" : " return-rst(ttl " + r.returnTtl() + ")");
                case RETURN_ICMP -> {
                    String c4 = icmpCode(r.returnIcmp(), false), c6 = icmpCode(r.returnIcmp6(), true);
                    switch (r.af()) {
                        case INET -> sb.append(" return-icmp(").append(c4).append(')');
                        case INET6 -> sb.append(" return-icmp6(").append(c6).append(')');
                        default -> sb.append(" return-icmp(").append(c4).append(", ").append(c6).append(')');
                    }
                }
                case DROP -> sb.append(" drop");
            }
        }
        switch (r.direction()) {
            case IN -> sb.append(" in");
            case OUT -> sb.append(" out");
            default -> {
            }
        }
        if (r.log() != 0) {
            sb.append(" log");
            if ((r.log() & ~FilterRule.LOG) != 0 || r.logIf() != 0) {
                List<String> o = new java.util.ArrayList<>();
                if ((r.log() & FilterRule.LOG_ALL) != 0) o.add("all");
                if ((r.log() & FilterRule.LOG_MATCHES) != 0) o.add("matches");
                if ((r.log() & FilterRule.LOG_USER) != 0) o.add("user");
                if (r.logIf() != 0) o.add("to pflog" + r.logIf());
                sb.append(" (").append(String.join(", ", o)).append(')');
            }
        }
        if (r.quick()) sb.append(" quick");
        if (r.ifname() != null) sb.append(r.ifNegated() ? " on ! " : " on ").append(r.ifname());
        if (r.af() != Af.ANY) sb.append(' ').append(r.af().keyword());
        if (r.proto() != 0) {
            String n = Names.protocolName(r.proto());
            sb.append(" proto ").append(n != null ? n : String.valueOf(r.proto()));
        }
        fromTo(r, vv, sb);
        if (r.receivedOn() != null) sb.append(" received-on ").append(r.receivedOn());
        if (r.uid() != null) ugid(r.uid(), "user", sb);
        if (r.gid() != null) ugid(r.gid(), "group", sb);
        if (r.flags() != 0 || r.flagset() != 0) {
            sb.append(" flags ").append(flags(r.flags())).append('/').append(flags(r.flagset()));
        } else if ((r.action() == Action.PASS || r.action() == Action.MATCH) && (r.proto() == 0 || r.proto() == 6)
                && !r.fragment() && !anchor && r.state() != StateType.NONE) {
            sb.append(" flags any");
        }
        if (r.icmpType() >= 0) {
            boolean v6 = r.af() == Af.INET6;
            sb.append(v6 ? " icmp6-type " : " icmp-type ");
            String n = Names.icmpTypeName(r.icmpType(), v6);
            sb.append(n != null ? n : String.valueOf(r.icmpType()));
            if (r.icmpCode() >= 0) {
                String c = Names.icmpCodeName(r.icmpType(), r.icmpCode(), v6);
                sb.append(" code ").append(c != null ? c : String.valueOf(r.icmpCode()));
            }
        }
        if (r.tos() > 0) sb.append(String.format(" tos 0x%02x", r.tos()));
        if (r.prio() >= 0) sb.append(" prio ").append(r.prio());
        if (r.maxPktRate() != null) {
            sb.append(" max-pkt-rate ").append(r.maxPktRate().limit()).append('/').append(r.maxPktRate().seconds());
        }
        FilterRule.SetPrio sp = r.setPrio();
        if (sp != null || r.queue() != null || r.setTos() >= 0 || r.setDelay() >= 0) {
            List<String> o = new java.util.ArrayList<>();
            if (sp != null) o.add(sp.prio() == sp.emptyPrio() ? "prio " + sp.prio() : "prio(" + sp.prio() + ", " + sp.emptyPrio() + ")");
            if (r.queue() != null) {
                o.add(r.parentQueue() != null ? "queue(" + r.queue() + ", " + r.parentQueue() + ")" : "queue " + r.queue());
            }
            if (r.setTos() >= 0) o.add(String.format("tos 0x%02x", r.setTos()));
            if (r.setDelay() >= 0) o.add("delay " + r.setDelay());
            sb.append(" set (").append(String.join(", ", o)).append(')');
        }
        StateOptions so = r.stateOptions();
        boolean ropts = so.any();
        if (r.state() == StateType.NONE && r.action() == Action.PASS && !anchor) sb.append(" no state");
        else if (r.state() == StateType.KEEP && ropts) sb.append(" keep state");
        else if (r.state() == StateType.MODULATE) sb.append(" modulate state");
        else if (r.state() == StateType.SYNPROXY) sb.append(" synproxy state");
        if (r.probability() != 0) {
            String p = String.format(java.util.Locale.ROOT, "%f", r.probability() * 100.0 / 4294967296.0);
            int i = p.length() - 1;
            while (i > 0 && p.charAt(i) == '0') i--;
            if (p.charAt(i) == '.') i--;
            sb.append(" probability ").append(p, 0, i + 1).append('%');
        }
        if (ropts) stateOpts(so, sb);
        if (r.fragment()) sb.append(" fragment");
        FilterRule.Scrub sc = r.scrub();
        if (sc != null && (sc.noDf() || sc.randomId() || sc.minTtl() > 0 || sc.reassembleTcp() || sc.maxMss() > 0)) {
            List<String> o = new java.util.ArrayList<>();
            if (sc.noDf()) o.add("no-df");
            if (sc.randomId()) o.add("random-id");
            if (sc.minTtl() > 0) o.add("min-ttl " + sc.minTtl());
            if (sc.reassembleTcp()) o.add("reassemble tcp");
            if (sc.maxMss() > 0) o.add("max-mss " + sc.maxMss());
            sb.append(" scrub (").append(String.join(" ", o)).append(')');
        }
        if (r.allowOpts()) sb.append(" allow-opts");
        if (r.label() != null) sb.append(" label \"").append(quoted(r.label())).append('"');
        if (r.once()) sb.append(" once");
        if (r.tag() != null) sb.append(" tag ").append(r.tag());
        if (r.tagged() != null) sb.append(r.taggedNegated() ? " !" : "").append(" tagged ").append(r.tagged());
        if (r.rtable() >= 0) sb.append(" rtable ").append(r.rtable());
        if (r.divert() != null) {
            switch (r.divert().kind()) {
                case TO -> sb.append(" divert-to ").append(r.divert().address()).append(" port ").append(r.divert().port());
                case REPLY -> sb.append(" divert-reply");
                case PACKET -> sb.append(" divert-packet port ").append(r.divert().port());
            }
        }
        if (!anchor && r.nat() != null && r.afTo() != null) {
            sb.append(" af-to ").append(r.afTo().keyword()).append(" from ");
            pool(r.nat(), r.afTo(), true, vv, sb);
            if (r.rdr() != null) {
                sb.append(" to ");
                pool(r.rdr(), r.afTo(), false, vv, sb);
            }
        } else if (!anchor && r.nat() != null) {
            sb.append(" nat-to ");
            pool(r.nat(), r.af(), true, vv, sb);
        } else if (!anchor && r.rdr() != null) {
            sb.append(" rdr-to ");
            pool(r.rdr(), r.af(), false, vv, sb);
        }
        if (r.route() != null && r.routePool() != null) {
            sb.append(switch (r.route()) {
                case ROUTE_TO -> " route-to ";
                case REPLY_TO -> " reply-to ";
                case DUP_TO -> " dup-to ";
            });
            pool(r.routePool(), r.af(), false, vv, sb);
        }
        return sb.toString();
    }

    private static String icmpCode(int typeCode, boolean v6) {
        String n = Names.icmpCodeName(typeCode >> 8, typeCode & 255, v6);
        return n != null ? n : String.valueOf(typeCode & 255);
    }

    private static void fromTo(FilterRule r, boolean vv, StringBuilder sb) {
        AddrMatch s = r.src(), d = r.dst();
        if (isAny(s.address()) && isAny(d.address()) && !s.negated() && !d.negated() && s.port() == null
                && d.port() == null && r.os() == null) {
            sb.append(" all");
            return;
        }
        sb.append(" from ");
        if (s.negated()) sb.append("! ");
        sb.append(address(s.address(), r.af(), vv));
        if (s.port() != null) port(s.port(), sb);
        if (r.os() != null) sb.append(" os \"").append(r.os()).append('"');
        sb.append(" to ");
        if (d.negated()) sb.append("! ");
        sb.append(address(d.address(), r.af(), vv));
        if (d.port() != null) port(d.port(), sb);
    }

    private static boolean isAny(Address a) {
        return a instanceof Address.Any || (a instanceof Address.Prefix p && p.prefix().length() == 0
                && p.prefix().address().hi() == 0 && p.prefix().address().lo() == 0);
    }

    /** pfctl's print_addr for a rule of family {@code af}. */
    public static String address(Address a, Af af, boolean verbose) {
        return switch (a) {
            case Address.Any any -> "any";
            case Address.Prefix p -> {
                if (isAny(p)) yield "any";
                int bits = p.prefix().length();
                int max = af == Af.INET ? 32 : 128;
                if (af == Af.ANY) max = p.prefix().address().bits();
                yield p.prefix().address() + (bits < max ? "/" + bits : "");
            }
            case Address.Range rg -> rg.from() + " - " + rg.to();
            case Address.Table t -> verbose ? "<" + t.name() + ":*>" : "<" + t.name() + ">";
            case Address.Dynamic dy -> {
                StringBuilder sb = new StringBuilder("(").append(dy.ifname());
                if (dy.network()) sb.append(":network");
                if (dy.broadcast()) sb.append(":broadcast");
                if (dy.peer()) sb.append(":peer");
                if (dy.noAlias()) sb.append(":0");
                if (verbose) sb.append(":*");
                sb.append(')');
                if (dy.mask() >= 0) {
                    int bits = af == Af.INET ? Math.min(dy.mask(), 32) : dy.mask();
                    if (bits < (af == Af.INET ? 32 : 128)) sb.append('/').append(bits);
                }
                yield sb.toString();
            }
            case Address.NoRoute n -> "no-route";
            case Address.UrpfFailed u -> "urpf-failed";
            case Address.RouteLabel l -> "route \"" + l.label() + "\"";
        };
    }

    private static void port(PortOp p, StringBuilder sb) {
        sb.append(" port");
        op(p.op(), String.valueOf(p.lo()), String.valueOf(p.hi()), sb);
    }

    private static void op(Op op, String a1, String a2, StringBuilder sb) {
        switch (op) {
            case IRG -> sb.append(' ').append(a1).append(" >< ").append(a2);
            case XRG -> sb.append(' ').append(a1).append(" <> ").append(a2);
            case RRG -> sb.append(' ').append(a1).append(':').append(a2);
            default -> sb.append(' ').append(op.symbol).append(' ').append(a1);
        }
    }

    private static void ugid(IdOp id, String what, StringBuilder sb) {
        sb.append(' ').append(what);
        if (id.lo() == 0xffffffffL && (id.op() == Op.EQ || id.op() == Op.NE)) {
            sb.append(' ').append(id.op().symbol).append(" unknown");
            return;
        }
        op(id.op(), String.valueOf(id.lo()), String.valueOf(id.hi()), sb);
    }

    private static final String TCP_FLAGS = "FSRPAUEW";

    static String flags(int f) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if ((f & (1 << i)) != 0) sb.append(TCP_FLAGS.charAt(i));
        }
        return sb.toString();
    }

    private static void stateOpts(StateOptions so, StringBuilder sb) {
        List<String> o = new java.util.ArrayList<>();
        if (so.max() != 0) o.add("max " + so.max());
        if (so.noSync()) o.add("no-sync");
        if (so.sourceTrack() != StateOptions.SourceTrack.NONE) {
            o.add("source-track " + (so.sourceTrack() == StateOptions.SourceTrack.RULE ? "rule" : "global"));
        }
        if (so.maxSrcStates() != 0) o.add("max-src-states " + so.maxSrcStates());
        if (so.maxSrcConn() != 0) o.add("max-src-conn " + so.maxSrcConn());
        if (so.maxSrcConnRate() != 0) o.add("max-src-conn-rate " + so.maxSrcConnRate() + "/" + so.maxSrcConnRateSeconds());
        if (so.maxSrcNodes() != 0) o.add("max-src-nodes " + so.maxSrcNodes());
        if (so.overload() != null) {
            o.add("overload <" + so.overload() + ">" + switch (so.flush()) {
                case NONE -> "";
                case FLUSH -> " flush";
                case GLOBAL -> " flush global";
            });
        }
        if (so.ifBound()) o.add("if-bound");
        if (so.sloppy()) o.add("sloppy");
        if (so.pflow()) o.add("pflow");
        so.timeouts().forEach((k, v) -> o.add(Names.TIMEOUTS.get(k) + " " + v));
        sb.append(" (").append(String.join(", ", o)).append(')');
    }

    private static void pool(Pool p, Af af, boolean nat, boolean vv, StringBuilder sb) {
        if (p.ifname() != null) {
            if (!(p.address() instanceof Address.Any)) sb.append(address(p.address(), af, vv)).append('@');
            sb.append(p.ifname());
        } else {
            sb.append(address(p.address(), af, vv));
        }
        int p1 = p.port1(), p2 = p.port2();
        if (nat) {
            if ((p1 != 50001 || p2 != 65535) && (p1 != 0 || p2 != 0)) {
                sb.append(" port ").append(p1 == p2 ? String.valueOf(p1) : p1 + ":" + p2);
            }
        } else if (p1 != 0) {
            sb.append(" port ").append(p1);
            if (p2 != 0 && p2 != p1) sb.append(':').append(p2);
        }
        switch (p.type()) {
            case BITMASK -> sb.append(" bitmask");
            case RANDOM -> sb.append(" random");
            case SOURCE_HASH -> sb.append(" source-hash");
            case ROUND_ROBIN -> sb.append(" round-robin");
            case LEAST_STATES -> sb.append(" least-states");
            case NONE -> {
            }
        }
        if (p.sticky()) sb.append(" sticky-address");
        if (nat && p1 == 0 && p2 == 0) sb.append(" static-port");
    }

    // ---------------------------------------------------------------- labels

    /** Expands pf's label macros for one expanded rule ({@code $if $srcaddr $dstaddr $srcport $dstport $proto $nr}). */
    static String expandLabel(String t, FilterRule.Builder r, int nr) {
        if (t.indexOf('$') < 0) return t;
        t = t.replace("$if", r.ifname == null ? "any" : r.ifname);
        t = replace(t, "$srcaddr", () -> labelAddr(r.src, r.af));
        t = replace(t, "$srcport", () -> labelPort(r.src.port()));
        t = replace(t, "$dstaddr", () -> labelAddr(r.dst, r.af));
        t = replace(t, "$dstport", () -> labelPort(r.dst.port()));
        t = replace(t, "$proto", () -> {
            String n = Names.protocolName(r.proto);
            return n != null ? n : String.valueOf(r.proto);
        });
        return t.replace("$nr", String.valueOf(nr));
    }

    private static String replace(String t, String key, java.util.function.Supplier<String> value) {
        return t.contains(key) ? t.replace(key, value.get()) : t;
    }

    private static String labelAddr(AddrMatch m, Af af) {
        String neg = m.negated() ? "! " : "";
        Address a = m.address();
        if (a instanceof Address.Dynamic d) return neg + "(" + d.ifname() + ")";
        if (a instanceof Address.Prefix || a instanceof Address.Any) {
            if (af == Af.ANY || isAny(a)) return neg + "any";
            return neg + address(a, af, false);
        }
        if (a instanceof Address.RouteLabel l) return neg + "route " + l.label();
        return neg + address(a, af, false);
    }

    private static String labelPort(PortOp p) {
        if (p == null) return "";
        return switch (p.op()) {
            case IRG -> p.lo() + "><" + p.hi();
            case XRG -> p.lo() + "<>" + p.hi();
            case EQ -> String.valueOf(p.lo());
            case NE -> "!=" + p.lo();
            case LT -> "<" + p.lo();
            case LE -> "<=" + p.lo();
            case GT -> ">" + p.lo();
            case GE -> ">=" + p.lo();
            case RRG -> "";
        };
    }

    /** A string inside double quotes: pfctl prints it raw; a quote or backslash is escaped so it reads back. */
    static String quoted(String s) {
        if (s.indexOf('"') < 0 && s.indexOf('\\') < 0) return s;
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** An address for messages. */
    static String addr(IpAddress a) {
        return a.toString();
    }

    static boolean isDrop(FilterRule r) {
        return r.blockMode() == BlockMode.DROP;
    }
}
