package dev.palisade.app.control;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@code entry} command of the control protocol (docs/control-protocol.md):
 * the {@link Tables} operations that services use (add with origin and
 * expiry, delete, flush, exists, create, match), so that a standalone
 * {@code bofh-divert}, {@code iblock} or {@code pftabled} writes the running
 * daemon's tables. Both sides live here: {@link #request} builds a request,
 * {@link #serve} answers one.
 */
public final class EntryProtocol {

    private EntryProtocol() {}

    /** The operations, as sent in the {@code op} key. */
    public static final List<String> OPS = List.of("add", "delete", "flush", "exists", "create", "match");

    /** The request for {@code op} on {@code table} with {@code args}. */
    public static ControlRequest request(String table, String op, List<String> args) {
        return new ControlRequest("entry", table, op, false, false, 0, args);
    }

    /** The arguments of an add: prefix, expiry (epoch seconds, 0: never), then the origin's kind and fields. */
    public static List<String> addArgs(IpPrefix prefix, Instant expires, Origin origin) {
        List<String> a = new ArrayList<>();
        a.add(prefix.toString());
        a.add(expires == null ? "0" : Long.toString(expires.getEpochSecond()));
        a.addAll(encode(origin));
        return a;
    }

    /** An origin as words: its kind, then its fields in order. */
    public static List<String> encode(Origin o) {
        return switch (o) {
            case Origin.Manual m -> List.of("manual", nz(m.who()));
            case Origin.File f -> List.of("file", f.path());
            case Origin.Ruleset r -> List.of("ruleset", r.source(), Integer.toString(r.line()));
            case Origin.Tripwire t -> List.of("tripwire", Integer.toString(t.port()));
            case Origin.Trap t -> List.of("trap", t.listener());
            case Origin.Dnsbl d -> List.of("dnsbl", d.zone(), d.answer());
            case Origin.DnsblClean d -> List.of("dnsbl-clean", d.zones());
            case Origin.Pftabled p -> List.of("pftabled", p.peer());
            case Origin.Overload ov -> List.of("overload", ov.rule());
        };
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** Reads an origin from {@code w} starting at {@code from}; {@code who} is the peer, for manual origins. */
    public static Origin decode(List<String> w, int from, String who) {
        if (w.size() <= from) throw new IllegalArgumentException("entry add: missing the origin (expected a kind: manual, tripwire, trap, ...)");
        String kind = w.get(from);
        int n = w.size() - from - 1;
        int want = switch (kind) {
            case "manual", "file", "tripwire", "trap", "dnsbl-clean", "pftabled", "overload" -> 1;
            case "ruleset", "dnsbl" -> 2;
            default -> throw new IllegalArgumentException("entry add: unknown origin kind \"" + kind
                    + "\": expected manual, file, ruleset, tripwire, trap, dnsbl, dnsbl-clean, pftabled or overload");
        };
        if (n != want) throw new IllegalArgumentException("entry add: origin " + kind + " takes " + want + " field(s), got " + n);
        String a = w.get(from + 1);
        return switch (kind) {
            case "manual" -> new Origin.Manual(who == null || who.isEmpty() ? a : who);
            case "file" -> new Origin.File(a);
            case "ruleset" -> new Origin.Ruleset(a, number(w.get(from + 2), "ruleset line"));
            case "tripwire" -> new Origin.Tripwire(number(a, "tripwire port"));
            case "trap" -> new Origin.Trap(a);
            case "dnsbl" -> new Origin.Dnsbl(a, w.get(from + 2));
            case "dnsbl-clean" -> new Origin.DnsblClean(a);
            case "pftabled" -> new Origin.Pftabled(a);
            default -> new Origin.Overload(a);
        };
    }

    private static int number(String s, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("entry: invalid " + what + ": \"" + s + "\" (expected a number)");
        }
    }

    private static void arity(ControlRequest r, int n, String form) {
        if (r.args().size() != n) {
            throw new IllegalArgumentException("entry " + r.op() + ": expected " + form + ", got " + r.args().size() + " argument(s)");
        }
    }

    private static IpPrefix prefix(String s) {
        try {
            return IpPrefix.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("entry: " + e.getMessage() + ": expected an address or network");
        }
    }

    /**
     * Answers an {@code entry} request on {@code tables}: one {@code 1} line with the result
     * ({@code ADDED}, {@code REFRESHED}, ... for add; {@code true}/{@code false}; a count for flush).
     * Throws IllegalArgumentException with a message naming the bad part.
     */
    public static void serve(ControlRequest r, Tables tables, String who, Consumer<String> out) {
        if (r.table() == null) throw new IllegalArgumentException("entry request without a table name");
        String t = r.table();
        switch (r.op() == null ? "" : r.op()) {
            case "add" -> {
                if (r.args().size() < 3) throw new IllegalArgumentException("entry add: expected PREFIX EXPIRES ORIGIN..., got " + r.args().size() + " argument(s)");
                IpPrefix p = prefix(r.args().get(0));
                long exp;
                try {
                    exp = Long.parseLong(r.args().get(1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("entry add: invalid expiry \"" + r.args().get(1) + "\": expected epoch seconds (0: never)");
                }
                Origin o = decode(r.args(), 2, who);
                out.accept(tables.add(t, p, exp == 0 ? null : Instant.ofEpochSecond(exp), o).name());
            }
            case "delete" -> {
                arity(r, 1, "PREFIX");
                out.accept(Boolean.toString(tables.delete(t, prefix(r.args().get(0)))));
            }
            case "flush" -> {
                arity(r, 0, "no argument");
                out.accept(Integer.toString(tables.flush(t)));
            }
            case "exists" -> {
                arity(r, 0, "no argument");
                out.accept(Boolean.toString(tables.exists(t)));
            }
            case "create" -> {
                arity(r, 0, "no argument");
                out.accept(Boolean.toString(tables.create(t)));
            }
            case "match" -> {
                arity(r, 1, "ADDRESS");
                IpAddress a = IpAddress.tryParse(r.args().get(0));
                if (a == null) throw new IllegalArgumentException("entry match: invalid address \"" + r.args().get(0) + "\": expected an IPv4 or IPv6 address");
                out.accept(Boolean.toString(tables.matches(t, a)));
            }
            default -> throw new IllegalArgumentException("entry: unknown op \"" + r.op() + "\": expected " + String.join(", ", OPS));
        }
    }
}
