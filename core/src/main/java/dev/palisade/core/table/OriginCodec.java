package dev.palisade.core.table;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link Origin} to one line of text and back, for the durable store and the
 * control protocol: a kind word, then the fields, tab-separated, with
 * backslash escapes for tab, newline and backslash. Unknown kinds are an
 * error naming the text.
 */
public final class OriginCodec {

    private OriginCodec() {}

    public static String encode(Origin o) {
        return switch (o) {
            case Origin.Manual m -> join("manual", m.who() == null ? "" : m.who());
            case Origin.File f -> join("file", f.path());
            case Origin.Ruleset r -> join("ruleset", r.source(), Integer.toString(r.line()));
            case Origin.Tripwire t -> join("tripwire", Integer.toString(t.port()));
            case Origin.Trap t -> join("trap", t.listener());
            case Origin.Dnsbl d -> join("dnsbl", d.zone(), d.answer());
            case Origin.DnsblClean d -> join("dnsbl-clean", d.zones());
            case Origin.Pftabled p -> join("pftabled", p.peer());
            case Origin.Overload ov -> join("overload", ov.rule());
        };
    }

    public static Origin decode(String text) {
        List<String> f = split(text);
        String kind = f.get(0);
        try {
            return switch (kind) {
                case "manual" -> { need(f, 2, text); yield new Origin.Manual(f.get(1)); }
                case "file" -> { need(f, 2, text); yield new Origin.File(f.get(1)); }
                case "ruleset" -> { need(f, 3, text); yield new Origin.Ruleset(f.get(1), Integer.parseInt(f.get(2))); }
                case "tripwire" -> { need(f, 2, text); yield new Origin.Tripwire(Integer.parseInt(f.get(1))); }
                case "trap" -> { need(f, 2, text); yield new Origin.Trap(f.get(1)); }
                case "dnsbl" -> { need(f, 3, text); yield new Origin.Dnsbl(f.get(1), f.get(2)); }
                case "dnsbl-clean" -> { need(f, 2, text); yield new Origin.DnsblClean(f.get(1)); }
                case "pftabled" -> { need(f, 2, text); yield new Origin.Pftabled(f.get(1)); }
                case "overload" -> { need(f, 2, text); yield new Origin.Overload(f.get(1)); }
                default -> throw new IllegalArgumentException("unknown origin kind \"" + kind + "\" in \"" + text + "\"");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in origin \"" + text + "\"", e);
        }
    }

    private static void need(List<String> f, int n, String text) {
        if (f.size() != n) {
            throw new IllegalArgumentException("origin \"" + text + "\": expected " + (n - 1) + " field(s) after \"" + f.get(0) + "\", got " + (f.size() - 1));
        }
    }

    private static String join(String... parts) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) sb.append('\t');
            String p = parts[i];
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                switch (c) {
                    case '\\' -> sb.append("\\\\");
                    case '\t' -> sb.append("\\t");
                    case '\n' -> sb.append("\\n");
                    default -> sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    private static List<String> split(String s) {
        List<String> out = new ArrayList<>(3);
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\t') {
                out.add(cur.toString());
                cur.setLength(0);
            } else if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                cur.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
