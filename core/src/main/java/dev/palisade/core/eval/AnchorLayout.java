package dev.palisade.core.eval;

import dev.palisade.core.lang.Decl;
import dev.palisade.core.lang.FilterRule;
import dev.palisade.core.lang.Ruleset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every ruleset a main ruleset reaches through its anchors, laid out in one
 * flat list: the main ruleset's rules first, then each anchor's, so that
 * per-rule arrays (counters, skip steps, the walk's flat criteria) keep one
 * index space.
 *
 * <h2>Why flat</h2>
 * pf keeps one rule list per ruleset and steps into an anchor's list when
 * its anchor rule matches (pf_step_into_anchor). Here each ruleset is a
 * segment {@code [start, end)} of the flat list: the walk recurses into a
 * segment instead of a list, and skip steps are computed within each segment
 * (a jump never leaves its ruleset), exactly as pf computes them per ruleset.
 *
 * <h2>Names (pf_anchor_setup, pfctl's load anchor)</h2>
 * An anchor's path is relative to the ruleset holding the anchor rule
 * ({@code anchor "b"} inside {@code a} is {@code a/b}); a leading {@code /}
 * makes it absolute and {@code ..} goes up. {@code anchor "x" { ... }}
 * defines {@code x} inline; {@code load anchor "x" from "file"} defines it
 * from a file, relative to the ruleset holding the {@code load} statement, and
 * replaces an inline definition of the same path (pfctl loads anchors after
 * the main ruleset). An anchor nobody defines is empty: its rule steps into
 * nothing. {@code anchor "x/*"} steps into each child of {@code x} in name
 * order (pf's RB tree of children), {@code anchor "*"} into each anchor of the
 * main ruleset. Several anchor rules calling one anchor share its segment.
 * An anchor that calls itself, directly or not, is refused here, with the
 * chain of names; pf would walk it until its anchor stack (64) overflows.
 */
final class AnchorLayout {
    final List<FilterRule> rules = new ArrayList<>();
    /** Per segment: its first rule, one past its last, its anchor path ("" for the main ruleset). */
    final List<int[]> bounds = new ArrayList<>();
    final List<String> paths = new ArrayList<>();
    /** Per flat rule: the segments its anchor rule steps into, in order; null for a rule that is no anchor. */
    int[][] calls;

    private final Map<String, Ruleset> named = new TreeMap<>();
    private final Map<Ruleset, Integer> segmentOf = new IdentityHashMap<>();
    private final List<Ruleset> segments = new ArrayList<>();

    AnchorLayout(Ruleset main) {
        collect("", main, true);
        segment(main, "");
        List<int[]> callList = new ArrayList<>();
        // breadth first: each segment's rules are appended before the anchors they call are visited
        for (int s = 0; s < segments.size(); s++) {
            Ruleset rs = segments.get(s);
            String path = paths.get(s);
            int start = rules.size();
            List<FilterRule> rl = rs.rules();
            for (int i = 0; i < rl.size(); i++) {
                FilterRule r = rl.get(i);
                if (r.number() != i) {
                    throw new IllegalArgumentException("rule " + i + (path.isEmpty() ? "" : " of anchor " + path)
                            + " is numbered " + r.number() + ": rules must be numbered 0..n-1 in order");
                }
                rules.add(r);
                callList.add(r.anchor() == null ? null : targets(path, r.anchor()));
            }
            bounds.add(new int[] {start, rules.size()});
        }
        calls = callList.toArray(new int[0][]);
        checkCycles();
    }

    int segments() {
        return bounds.size();
    }

    int start(int seg) {
        return bounds.get(seg)[0];
    }

    int end(int seg) {
        return bounds.get(seg)[1];
    }

    /** Registers the anchors {@code rs} defines (inline and loaded), recursively, by path. */
    private void collect(String path, Ruleset rs, boolean decls) {
        for (FilterRule r : rs.rules()) {
            FilterRule.AnchorCall a = r.anchor();
            if (a == null || a.inline() == null) continue;
            String p = resolve(path, a.name());
            if (!a.name().startsWith("_")) named.putIfAbsent(p, a.inline());
            collect(p, a.inline(), false);
        }
        if (!decls) return;
        for (Decl d : rs.declarations()) {
            if (d instanceof Decl.LoadAnchor l && l.ruleset() != null) {
                String p = resolve(path, l.name());
                named.put(p, l.ruleset());
                collect(p, l.ruleset(), true);
            }
        }
    }

    /** The segments anchor rule {@code a}, in the ruleset at {@code path}, steps into. */
    private int[] targets(String path, FilterRule.AnchorCall a) {
        String name = a.name();
        if (a.inline() != null) {
            String p = resolve(path, name);
            Ruleset rs = name.startsWith("_") ? a.inline() : named.getOrDefault(p, a.inline());
            return new int[] {segment(rs, p)};
        }
        if (name.equals("*") || name.endsWith("/*")) {
            String stem = name.substring(0, Math.max(0, name.length() - 2));
            String parent = !stem.isEmpty() ? resolve(path, stem) : name.startsWith("/") ? "" : path;
            String prefix = parent.isEmpty() ? "" : parent + "/";
            List<Integer> out = new ArrayList<>();
            for (Map.Entry<String, Ruleset> e : named.entrySet()) {
                String k = e.getKey();
                if (k.startsWith(prefix) && k.length() > prefix.length() && k.indexOf('/', prefix.length()) < 0) {
                    out.add(segment(e.getValue(), k));
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
        Ruleset rs = named.get(resolve(path, name));
        return rs == null ? new int[0] : new int[] {segment(rs, resolve(path, name))};
    }

    private int segment(Ruleset rs, String path) {
        Integer s = segmentOf.get(rs);
        if (s != null) return s;
        segmentOf.put(rs, segments.size());
        segments.add(rs);
        paths.add(path);
        return segments.size() - 1;
    }

    /** pf_anchor_setup's path rules: relative to {@code base}, {@code /} absolute, {@code ..} up. */
    static String resolve(String base, String name) {
        Deque<String> parts = new ArrayDeque<>();
        if (!name.startsWith("/") && !base.isEmpty()) {
            for (String p : base.split("/")) parts.addLast(p);
        }
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) continue;
            if (p.equals("..")) {
                if (parts.isEmpty()) throw new IllegalArgumentException("anchor \"" + name + "\" goes above the main ruleset");
                parts.removeLast();
            } else {
                parts.addLast(p);
            }
        }
        return String.join("/", parts);
    }

    /** Refuses a segment that can reach itself, naming the anchors on the loop. */
    private void checkCycles() {
        int n = segments();
        int[] mark = new int[n]; // 0 new, 1 on the current path, 2 done
        for (int s = 0; s < n; s++) if (mark[s] == 0) visit(s, mark, new ArrayDeque<>());
    }

    private void visit(int s, int[] mark, Deque<Integer> chain) {
        mark[s] = 1;
        chain.addLast(s);
        for (int i = start(s); i < end(s); i++) {
            if (calls[i] == null) continue;
            for (int t : calls[i]) {
                if (mark[t] == 1) {
                    StringBuilder sb = new StringBuilder();
                    boolean on = false;
                    for (int c : chain) {
                        if (c == t) on = true;
                        if (on) sb.append(name(c)).append(" -> ");
                    }
                    throw new IllegalArgumentException("anchor loop: " + sb + name(t)
                            + " (an anchor may not call itself; pf would overflow its anchor stack)");
                }
                if (mark[t] == 0) visit(t, mark, chain);
            }
        }
        chain.removeLast();
        mark[s] = 2;
    }

    private String name(int seg) {
        return paths.get(seg).isEmpty() ? "main ruleset" : "\"" + paths.get(seg) + "\"";
    }
}
