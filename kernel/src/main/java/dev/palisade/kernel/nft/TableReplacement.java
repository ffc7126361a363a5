package dev.palisade.kernel.nft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a generated program, which deletes Palisade's table and defines it
 * anew, into one transaction that replaces the table's contents in place and
 * keeps every set whose declaration has not changed (flushed, then refilled by
 * the program's own element statements).
 *
 * <p>Why: on Linux 6.18 a transaction that deletes an interval set and
 * creates it again, elements included, lets packets through: for a moment
 * after the commit the new set's lookups miss. Measured with a banned address
 * flooding UDP at a namespace while its table was reloaded 100 times with
 * {@code nft -f}: 1 to 5 of ~20k packets passed, and one passed packet is a
 * conntrack state that lets every later one through. Flushing and refilling an
 * existing set in one transaction lost nothing (0 of 25k over 200 reloads),
 * nor did deleting and redefining chains (base chains included), counters and
 * hash sets. So a reload keeps the sets and rebuilds everything else; a set
 * whose type or flags changed is deleted and created anew (the gap is then
 * unavoidable, and rare: the compiler's table sets are always declared alike).
 *
 * <p>Pure: the caller supplies the kernel's listing ({@code nft -t list table
 * inet NAME}: objects without the sets' elements).
 */
public final class TableReplacement {

    private TableReplacement() {}

    /**
     * One object of a listed table.
     *
     * @param kind       {@code chain}, {@code set}, {@code map}, {@code counter}, {@code ct helper}, ...
     * @param type       a set's key type, else null
     * @param flags      a set's flags, sorted (empty when none)
     * @param otherAttrs a set with declarations beside type and flags (timeout, size, policy, ...)
     */
    public record Obj(String kind, String name, String type, Set<String> flags, boolean otherAttrs) {
        public Obj {
            if (kind == null || kind.isBlank()) throw new IllegalArgumentException("object kind: expected a word");
            if (name == null || name.isBlank()) throw new IllegalArgumentException("object name: expected a word");
            flags = Set.copyOf(flags);
        }
    }

    private static final Pattern HEADER = Pattern.compile("^\t((?:ct )?[a-z]+) (\\S+) \\{$");

    /** Parses {@code nft -t list table inet NAME}'s text: the table's objects in listing order. */
    public static List<Obj> parseListing(String text) {
        List<Obj> out = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = HEADER.matcher(lines[i]);
            if (!m.matches()) continue;
            String kind = m.group(1), name = m.group(2);
            String type = null;
            Set<String> flags = new TreeSet<>();
            boolean other = false;
            int j = i + 1;
            for (; j < lines.length && !lines[j].equals("\t}"); j++) {
                if (!kind.equals("set")) continue;
                String l = lines[j].strip();
                if (l.isEmpty()) continue;
                if (l.startsWith("type ")) type = l.substring(5).strip();
                else if (l.startsWith("flags ")) flags.addAll(words(l.substring(6)));
                else other = true;
            }
            out.add(new Obj(kind, name, type, flags, other));
            i = j;
        }
        return out;
    }

    private static final Pattern SET_DECL = Pattern.compile(
            "^\tset (\\S+) \\{ type (\\S+); flags ([^;]+);(?: elements = \\{[^}]*\\};)? \\}$", Pattern.MULTILINE);

    /**
     * The sets of {@code program} that {@code existing} already holds with the same type and
     * flags and nothing else declared: those a reload keeps.
     */
    public static Set<String> keptSets(String program, List<Obj> existing) {
        Map<String, Obj> sets = new LinkedHashMap<>();
        for (Obj o : existing) if (o.kind().equals("set")) sets.put(o.name(), o);
        Set<String> kept = new TreeSet<>();
        Matcher m = SET_DECL.matcher(program);
        while (m.find()) {
            Obj o = sets.get(m.group(1));
            if (o != null && !o.otherAttrs() && m.group(2).equals(o.type())
                    && new TreeSet<>(words(m.group(3))).equals(o.flags())) {
                kept.add(m.group(1));
            }
        }
        return kept;
    }

    /**
     * {@code program} (generated for {@code table}: it holds the line {@code delete table inet TABLE})
     * with that line replaced by the in-place replacement of {@code existing}: every chain
     * flushed and deleted, every kept set flushed, every other object deleted. Returns
     * {@code program} unchanged when {@code existing} is null (no table yet).
     */
    public static String inPlace(String program, String table, List<Obj> existing) {
        if (existing == null) return program;
        String del = "delete table inet " + table + "\n";
        int at = program.indexOf(del);
        if (at < 0) throw new IllegalArgumentException("the program does not replace table inet " + table
                + ": expected a line \"delete table inet " + table + "\"");
        Set<String> kept = keptSets(program, existing);
        String p = "inet " + table + " ";
        StringBuilder b = new StringBuilder();
        for (Obj o : existing) if (o.kind().equals("chain")) b.append("flush chain ").append(p).append(o.name()).append('\n');
        for (Obj o : existing) if (o.kind().equals("chain")) b.append("delete chain ").append(p).append(o.name()).append('\n');
        for (Obj o : existing) {
            if (o.kind().equals("chain")) continue;
            if (o.kind().equals("set") && kept.contains(o.name())) {
                b.append("flush set ").append(p).append(o.name()).append('\n');
            } else {
                b.append("delete ").append(o.kind()).append(' ').append(p).append(o.name()).append('\n');
            }
        }
        return program.substring(0, at) + b + program.substring(at + del.length());
    }

    private static List<String> words(String flags) {
        return Arrays.stream(flags.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
