package dev.palisade.core.divert;

import dev.palisade.core.net.IpAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The settings of one {@code diverter} block of palisade.conf:
 *
 * <pre>
 * diverter "redact" port 700 {
 *     pattern card mask
 *     pattern ssn alert
 *     regex "secret-[0-9]+" mask
 * }
 * </pre>
 *
 * <p>Each statement is an {@link Entry}: a key (its first word) and its
 * arguments, with the line it came from. Keys may repeat; their order is
 * kept. The typed accessors throw {@link DiverterConfigException} with the
 * file, the line, the diverter and what was expected.
 *
 * @param type    the diverter type (the provider's name), e.g. "redact"
 * @param port    the divert port (NFQUEUE queue number), 0..65535
 * @param source  where the block came from, for messages ("palisade.conf")
 * @param line    the line of the {@code diverter} keyword
 * @param entries the statements in file order
 */
public record DiverterConfig(String type, int port, String source, int line, List<Entry> entries) {

    /** The key every block may have: a jar to find the provider in. */
    public static final String JAR = "jar";

    public DiverterConfig {
        if (type == null || !type.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("diverter type must be lower case letters, digits and '-', got \"" + type + "\"");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("divert port " + port + " out of range 0..65535");
        if (source == null) source = "config";
        entries = List.copyOf(entries);
    }

    /** One statement of a block: {@code key arg arg ...}. */
    public record Entry(String key, List<String> args, int line) {
        public Entry {
            if (key == null || key.isEmpty()) throw new IllegalArgumentException("entry key must not be empty");
            args = List.copyOf(args);
        }

        public int argCount() {
            return args.size();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(key);
            for (String a : args) sb.append(' ').append(DiverterConfigParser.quoteIfNeeded(a));
            return sb.toString();
        }
    }

    /** A config built in code (tests, embedding): entries from "key arg arg" strings split on blanks. */
    public static DiverterConfig of(String type, int port, String... statements) {
        List<Entry> es = new ArrayList<>();
        for (String s : statements) {
            List<String> words = List.of(s.trim().split("\\s+"));
            es.add(new Entry(words.getFirst(), words.subList(1, words.size()), 0));
        }
        return new DiverterConfig(type, port, "config", 0, es);
    }

    /** The entries with this key, in order. */
    public List<Entry> all(String key) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) if (e.key().equals(key)) out.add(e);
        return out;
    }

    /** The single entry with this key, or null; an error when it repeats. */
    public Entry one(String key) {
        List<Entry> es = all(key);
        if (es.size() > 1) throw error(es.get(1), "given more than once (first at line " + es.getFirst().line() + ")");
        return es.isEmpty() ? null : es.getFirst();
    }

    /** Fails on a key not in {@code allowed} ({@link #JAR} is always allowed), naming the expected keys. */
    public void checkKeys(Set<String> allowed) {
        List<String> errors = new ArrayList<>();
        for (Entry e : entries) {
            if (!allowed.contains(e.key()) && !e.key().equals(JAR)) {
                errors.add(prefix(e) + "unknown setting \"" + e.key() + "\", expected one of " + new TreeSet<>(allowed));
            }
        }
        if (!errors.isEmpty()) throw new DiverterConfigException(errors);
    }

    /** The single argument of {@code key}, or {@code def} when absent. */
    public String string(String key, String def) {
        Entry e = one(key);
        if (e == null) return def;
        expectArgs(e, 1, 1);
        return e.args().getFirst();
    }

    /** The integer argument of {@code key} within [min, max], or {@code def} when absent. */
    public int integer(String key, int def, int min, int max) {
        Entry e = one(key);
        if (e == null) return def;
        expectArgs(e, 1, 1);
        return intArg(e, 0, min, max);
    }

    /** A yes/no setting: {@code key yes|no|on|off|true|false}; a bare key is yes. */
    public boolean flag(String key, boolean def) {
        Entry e = one(key);
        if (e == null) return def;
        expectArgs(e, 0, 1);
        if (e.argCount() == 0) return true;
        return switch (e.args().getFirst()) {
            case "yes", "on", "true" -> true;
            case "no", "off", "false" -> false;
            default -> throw error(e, "expected yes or no, got \"" + e.args().getFirst() + "\"");
        };
    }

    /** Every argument of every entry with this key, in order ({@code name a b; name c} gives a, b, c). */
    public List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        for (Entry e : all(key)) {
            expectArgs(e, 1, Integer.MAX_VALUE);
            out.addAll(e.args());
        }
        return out;
    }

    /** Argument {@code i} of {@code e} as an integer within [min, max]. */
    public int intArg(Entry e, int i, int min, int max) {
        String s = e.args().get(i);
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) throw error(e, "expected a number in " + min + ".." + max + ", got " + v);
            return v;
        } catch (NumberFormatException x) {
            throw error(e, "expected a number in " + min + ".." + max + ", got \"" + s + "\"");
        }
    }

    /** Argument {@code i} of {@code e} as an IP address literal. */
    public IpAddress addressArg(Entry e, int i) {
        String s = e.args().get(i);
        IpAddress a = IpAddress.tryParse(s);
        if (a == null) throw error(e, "expected an IP address, got \"" + s + "\"");
        return a;
    }

    /** Argument {@code i} of {@code e}, which must be one of {@code choices}. */
    public String choiceArg(Entry e, int i, String... choices) {
        String s = e.args().get(i);
        for (String c : choices) if (c.equals(s)) return s;
        throw error(e, "expected one of " + String.join(", ", new LinkedHashSet<>(List.of(choices))) + ", got \"" + s + "\"");
    }

    /** Fails unless {@code e} has between min and max arguments. */
    public void expectArgs(Entry e, int min, int max) {
        int n = e.argCount();
        if (n < min || n > max) {
            String want = min == max ? Integer.toString(min) : max == Integer.MAX_VALUE ? "at least " + min : min + " to " + max;
            throw error(e, "expected " + want + " argument" + (want.equals("1") ? "" : "s") + ", got " + n);
        }
    }

    /** An error about entry {@code e}, in the file's terms. */
    public DiverterConfigException error(Entry e, String message) {
        return new DiverterConfigException(prefix(e) + e.key() + ": " + message);
    }

    /** An error about the block as a whole. */
    public DiverterConfigException error(String message) {
        return new DiverterConfigException(source + ":" + line + ": diverter \"" + type + "\": " + message);
    }

    private String prefix(Entry e) {
        return source + ":" + (e.line() > 0 ? e.line() : line) + ": diverter \"" + type + "\": ";
    }

    /** The canonical palisade.conf text of this block (what the parser reads back to an equal config). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("diverter \"").append(type).append("\" port ").append(port).append(" {");
        for (Entry e : entries) sb.append("\n\t").append(e);
        return sb.append(entries.isEmpty() ? "}" : "\n}").toString();
    }
}
