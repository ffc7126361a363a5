package dev.palisade.core.lang;

import java.util.Objects;

/**
 * One rule after expansion: every list is gone, every default pf applies at
 * parse time is applied, every name is a number or an address. This is what
 * the printer prints as one line, what the evaluator matches and what the
 * nftables compiler translates. Optional parts are null (objects) or -1
 * (numbers) when absent, as documented per component.
 *
 * @param number      rule number in its ruleset (anchor), from 0: pf's {@code $nr} and {@code @nr}
 * @param file        source file name as in messages ({@code stdin} for standard input)
 * @param line        source line (the statement's last line, as pfctl counts)
 * @param action      pass, block or match
 * @param blockMode   for block rules: drop, return, return-rst, return-icmp; DROP otherwise
 * @param returnTtl   TTL of {@code return-rst(ttl N)}, 0 if not given
 * @param returnIcmp  {@code return-icmp}: type&lt;&lt;8|code for IPv4
 * @param returnIcmp6 {@code return-icmp6}: type&lt;&lt;8|code for IPv6
 * @param direction   in, out or both
 * @param log         {@link #LOG} bits, 0 for no logging
 * @param logIf       {@code log (to pflogN)}: N, 0 otherwise
 * @param quick       {@code quick}
 * @param ifname      {@code on} interface or group, null for any
 * @param ifNegated   {@code on ! ifname}
 * @param af          address family
 * @param proto       IP protocol number, 0 for any
 * @param src         source address and port
 * @param dst         destination address and port
 * @param os          {@code os "fingerprint"} or null
 * @param receivedOn  {@code received-on} interface or null
 * @param uid         {@code user} test or null
 * @param gid         {@code group} test or null
 * @param flags       TCP flags that must be set (bits F S R P A U E W = 1 2 4 ... 128)
 * @param flagset     TCP flags examined; flags = flagset = 0 means no flag test
 * @param icmpType    ICMP(v6) type or -1
 * @param icmpCode    ICMP(v6) code or -1
 * @param tos         {@code tos} to match or -1
 * @param prio        {@code prio} to match or -1
 * @param scrub       {@code scrub (...)} options or null
 * @param setPrio     {@code set prio} or null
 * @param setTos      {@code set tos} or -1
 * @param queue       {@code set queue} or null
 * @param parentQueue second queue of {@code set queue (a, b)} or null
 * @param state       state keeping; pass rules keep state unless told otherwise
 * @param stateOptions state options (never null; {@link StateOptions#NONE} when none)
 * @param probability {@code probability}: raw value out of 2^32, 0 when absent
 * @param fragment    {@code fragment}
 * @param allowOpts   {@code allow-opts}
 * @param label       label after macro expansion, null when absent or empty
 * @param once        {@code once}
 * @param tag         {@code tag} or null
 * @param tagged      {@code tagged} or null
 * @param taggedNegated {@code ! tagged}
 * @param rtable      {@code rtable} or -1
 * @param divert      {@code divert-to}/{@code divert-reply}/{@code divert-packet} or null
 * @param nat         {@code nat-to} pool (or the from-pool of {@code af-to}) or null
 * @param rdr         {@code rdr-to} pool (or the to-pool of {@code af-to}) or null
 * @param afTo        {@code af-to} target family or null
 * @param route       route-to / reply-to / dup-to or null
 * @param routePool   its target
 * @param anchor      for an {@code anchor} rule: the anchor called; null for other rules
 * @param maxPktRate  {@code max-pkt-rate N/S} or null
 * @param setDelay    {@code set delay N} in milliseconds, or -1
 */
public record FilterRule(
        int number, String file, int line,
        Action action, BlockMode blockMode, int returnTtl, int returnIcmp, int returnIcmp6,
        Direction direction, int log, int logIf, boolean quick,
        String ifname, boolean ifNegated, Af af, int proto,
        AddrMatch src, AddrMatch dst, String os, String receivedOn,
        IdOp uid, IdOp gid, int flags, int flagset,
        int icmpType, int icmpCode, int tos, int prio,
        Scrub scrub, SetPrio setPrio, int setTos, String queue, String parentQueue,
        StateType state, StateOptions stateOptions, long probability,
        boolean fragment, boolean allowOpts, String label, boolean once,
        String tag, String tagged, boolean taggedNegated, int rtable,
        Divert divert, Pool nat, Pool rdr, Af afTo, RouteType route, Pool routePool,
        AnchorCall anchor, Rate maxPktRate, int setDelay) {

    /** Log bits: {@code log}, {@code log (all)}, {@code log (matches)}, {@code log (user)}. */
    public static final int LOG = 1, LOG_ALL = 2, LOG_MATCHES = 4, LOG_USER = 8;

    public FilterRule {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(blockMode, "blockMode");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(af, "af");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(stateOptions, "stateOptions");
        if (proto < 0 || proto > 255) throw new IllegalArgumentException("protocol out of range 0..255: " + proto);
    }

    /** {@code set prio N} (both equal) or {@code set prio (N, M)}: M for empty ACKs and lowdelay packets. */
    public record SetPrio(int prio, int emptyPrio) {
        public SetPrio {
            if (prio < 0 || prio > 7 || emptyPrio < 0 || emptyPrio > 7) {
                throw new IllegalArgumentException("prio out of range 0..7: " + prio + ", " + emptyPrio);
            }
        }
    }

    /** pass, block, match. */
    public enum Action { PASS, BLOCK, MATCH }

    /** How a block rule blocks. */
    public enum BlockMode { DROP, RETURN, RETURN_RST, RETURN_ICMP }

    /** in, out, or (ANY) both. */
    public enum Direction { ANY, IN, OUT }

    /** no state, keep state, modulate state, synproxy state. */
    public enum StateType { NONE, KEEP, MODULATE, SYNPROXY }

    /** route-to, reply-to, dup-to. */
    public enum RouteType { ROUTE_TO, REPLY_TO, DUP_TO }

    /** {@code scrub (...)}; minTtl/maxMss 0 when absent. */
    public record Scrub(boolean noDf, boolean randomId, int minTtl, boolean reassembleTcp, int maxMss) {
    }

    /** divert-to ADDRESS port N, divert-reply, divert-packet port N. */
    public record Divert(Kind kind, dev.palisade.core.net.IpAddress address, int port) {
        public enum Kind { TO, REPLY, PACKET }

        public Divert {
            Objects.requireNonNull(kind, "kind");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("divert port out of range: " + port);
        }
    }

    /** Pool type of a translation or route target. */
    public enum PoolType { NONE, BITMASK, RANDOM, SOURCE_HASH, ROUND_ROBIN, LEAST_STATES }

    /**
     * A translation or route target: one address (a list becomes an automatic
     * table), ports ({@code port1..port2}, both 0 when not given), pool options.
     */
    public record Pool(Address address, String ifname, int port1, int port2, PoolType type, boolean sticky,
                       boolean staticPort) {
        public Pool {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(type, "type");
        }
    }

    /** A rate: {@code limit} packets or connections per {@code seconds}. */
    public record Rate(long limit, long seconds) {
        public Rate {
            if (limit < 1 || seconds < 1) throw new IllegalArgumentException("rate must be at least 1/1: " + limit + "/" + seconds);
        }
    }

    /** The anchor an anchor rule calls; {@code inline} is the ruleset of {@code anchor "x" { ... }}, else null. */
    public record AnchorCall(String name, Ruleset inline) {
    }

    /** A mutable copy for the parser's expansion. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.number = number; b.file = file; b.line = line; b.action = action; b.blockMode = blockMode;
        b.returnTtl = returnTtl; b.returnIcmp = returnIcmp; b.returnIcmp6 = returnIcmp6; b.direction = direction;
        b.log = log; b.logIf = logIf; b.quick = quick; b.ifname = ifname; b.ifNegated = ifNegated; b.af = af;
        b.proto = proto; b.src = src; b.dst = dst; b.os = os; b.receivedOn = receivedOn; b.uid = uid; b.gid = gid;
        b.flags = flags; b.flagset = flagset; b.icmpType = icmpType; b.icmpCode = icmpCode; b.tos = tos;
        b.prio = prio; b.scrub = scrub; b.setPrio = setPrio; b.setTos = setTos; b.queue = queue;
        b.parentQueue = parentQueue; b.state = state; b.stateOptions = stateOptions; b.probability = probability;
        b.fragment = fragment; b.allowOpts = allowOpts; b.label = label; b.once = once; b.tag = tag;
        b.tagged = tagged; b.taggedNegated = taggedNegated; b.rtable = rtable; b.divert = divert; b.nat = nat;
        b.rdr = rdr; b.afTo = afTo; b.route = route; b.routePool = routePool; b.anchor = anchor;
        b.maxPktRate = maxPktRate; b.setDelay = setDelay;
        return b;
    }

    /** Mutable builder; {@link #build()} validates. Defaults are those of an empty {@code pass} rule. */
    public static final class Builder {
        public int number, line;
        public String file = "stdin";
        public Action action = Action.PASS;
        public BlockMode blockMode = BlockMode.DROP;
        public int returnTtl, returnIcmp = (3 << 8) | 3, returnIcmp6 = (1 << 8) | 4;
        public Direction direction = Direction.ANY;
        public int log, logIf;
        public boolean quick;
        public String ifname;
        public boolean ifNegated;
        public Af af = Af.ANY;
        public int proto;
        public AddrMatch src = AddrMatch.ANY, dst = AddrMatch.ANY;
        public String os, receivedOn;
        public IdOp uid, gid;
        public int flags, flagset;
        public int icmpType = -1, icmpCode = -1, tos = -1, prio = -1;
        public Scrub scrub;
        public SetPrio setPrio;
        public int setTos = -1;
        public String queue, parentQueue;
        public StateType state = StateType.NONE;
        public StateOptions stateOptions = StateOptions.NONE;
        public long probability;
        public boolean fragment, allowOpts, once, taggedNegated;
        public String label, tag, tagged;
        public int rtable = -1;
        public Divert divert;
        public Pool nat, rdr, routePool;
        public Af afTo;
        public RouteType route;
        public AnchorCall anchor;
        public Rate maxPktRate;
        public int setDelay = -1;

        public FilterRule build() {
            return new FilterRule(number, file, line, action, blockMode, returnTtl, returnIcmp, returnIcmp6,
                    direction, log, logIf, quick, ifname, ifNegated, af, proto, src, dst, os, receivedOn, uid, gid,
                    flags, flagset, icmpType, icmpCode, tos, prio, scrub, setPrio, setTos, queue, parentQueue,
                    state, stateOptions, probability, fragment, allowOpts, label, once, tag, tagged, taggedNegated,
                    rtable, divert, nat, rdr, afTo, route, routePool, anchor, maxPktRate, setDelay);
        }
    }
}
