package dev.palisade.services.payload;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A list of domain rules, matched label-wise (never as a plain string
 * suffix: {@code badexample.com} is not under {@code example.com}):
 *
 * <ul>
 * <li>{@code example.com}: the name itself and every name under it (a suffix rule);
 * <li>{@code *.example.com}: every name under it, not the name itself;
 * <li>{@code =example.com}: the name itself only.
 * </ul>
 *
 * Names compare case-insensitively (ASCII), a trailing dot is ignored.
 * Internationalized names must be given in their ASCII (punycode) form, as
 * they appear on the wire.
 *
 * <p>Why hash sets of suffixes: a lookup costs one probe per label of the
 * name, whatever the size of the list (blocklists have 10^5 names).
 */
public final class DomainList {

    private final Set<String> suffix = new HashSet<>();
    private final Set<String> below = new HashSet<>();
    private final Set<String> exact = new HashSet<>();
    private final List<String> rules = new ArrayList<>();

    /** Adds one rule; throws with the rule's text when it is not a domain name in one of the three forms. */
    public DomainList add(String rule) {
        String r = rule.trim();
        Set<String> into = suffix;
        String name = r;
        if (r.startsWith("*.")) {
            into = below;
            name = r.substring(2);
        } else if (r.startsWith("=")) {
            into = exact;
            name = r.substring(1);
        }
        String n = normalize(name);
        if (n == null) {
            throw new IllegalArgumentException("not a domain rule: \"" + rule + "\", expected example.com, *.example.com or =example.com");
        }
        into.add(n);
        rules.add(r);
        return this;
    }

    public static DomainList of(String... rules) {
        DomainList d = new DomainList();
        for (String r : rules) d.add(r);
        return d;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public int size() {
        return rules.size();
    }

    /** The rules as given. */
    public List<String> rules() {
        return List.copyOf(rules);
    }

    /** True when some rule covers {@code name} (any case, trailing dot or not). */
    public boolean matches(String name) {
        String n = normalize(name);
        if (n == null) return false;
        if (exact.contains(n) || suffix.contains(n)) return true;
        int dot = n.indexOf('.');
        while (dot >= 0) {
            String parent = n.substring(dot + 1);
            if (suffix.contains(parent) || below.contains(parent)) return true;
            dot = n.indexOf('.', dot + 1);
        }
        return false;
    }

    /**
     * Lower case without a trailing dot, or null when not a plausible host
     * name: 1..253 chars, labels of 1..63 of letters, digits, '-' and '_'.
     */
    public static String normalize(String name) {
        if (name == null) return null;
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty() || n.length() > 253) return null;
        int label = 0;
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == '.') {
                if (label == 0) return null;
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                if (++label > 63) return null;
            } else {
                return null;
            }
        }
        if (label == 0) return null;
        return n.toLowerCase(Locale.ROOT);
    }
}
