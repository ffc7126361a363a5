package dev.palisade.core.lang;

import dev.palisade.core.lang.Decl.TableEntry;
import dev.palisade.core.lang.FilterRule.Action;
import dev.palisade.core.lang.FilterRule.BlockMode;
import dev.palisade.core.lang.FilterRule.Direction;
import dev.palisade.core.lang.FilterRule.Pool;
import dev.palisade.core.lang.FilterRule.PoolType;
import dev.palisade.core.lang.FilterRule.StateType;
import dev.palisade.core.lang.StateOptions.Flush;
import dev.palisade.core.lang.StateOptions.SourceTrack;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pf.conf's parser: a recursive descent over pfctl's grammar (parse.y), one
 * statement per line, that expands each rule into flat {@link FilterRule}s.
 *
 * <p>Design, after pfctl: a statement is parsed into a {@code Spec} whose
 * lists (interfaces, protocols, hosts, ports, users, groups, ICMP types) are
 * then expanded in pfctl's loop order; each combination gets the address
 * family its addresses imply (combinations of mixed families are dropped
 * silently), is checked ({@code port only applies to tcp/udp}, ...), gets
 * its label macros expanded and its number. A syntax error skips to the end
 * of the line and parsing goes on, so every error is reported; a statement
 * with an error adds nothing. Names are looked up in the host profile
 * (interfaces, users, resolver) and OpenBSD's tables ({@link Names}).
 *
 * <p>Limits: anchors nest at most {@value #MAX_ANCHOR_DEPTH} deep, a rule
 * expands to at most {@value #MAX_EXPANSION} rules, lists hold at most
 * {@value #MAX_LIST} items; the lexer bounds strings and macros.
 */
public final class Parser {
    static final int MAX_ANCHOR_DEPTH = 32;
    static final int MAX_EXPANSION = 1 << 20;
    static final int MAX_LIST = 1 << 16;

    private final Lexer lexer;
    private final ParseOptions opts;
    private final HostProfile host;
    private final List<Diagnostic> errors = new ArrayList<>();
    private final List<Decl> decls = new ArrayList<>();
    private final List<Token> pushback = new ArrayList<>();
    private Token tok;
    private int anchorDepth;
    private int autoTables;

    // effective options
    private boolean blockReturn;
    private boolean stateIfBound;
    /** The line of the {@code set} being parsed (for {@link Decl.SetOption}). */
    private int setLine;
    private final List<String> skip = new ArrayList<>();
    private final Map<String, Integer> timeouts = new LinkedHashMap<>();
    private final Map<String, Long> limits = new LinkedHashMap<>();
    private String optimization, loginterface, debug, rulesetOptimization, syncookies, fingerprints;
    private long hostid = -1;
    private Boolean reassemble;
    /** {@code set state-defaults}: options for pass rules that give no state options of their own. */
    private StateSpec stateDefaults;
    private boolean reassembleNoDf;

    private Parser(String name, CharSequence text, ParseOptions opts) {
        this.opts = opts;
        this.host = opts.host();
        this.lexer = new Lexer(name, text, opts.defines(), errors::add);
    }

    /** Parses pf.conf text; {@code name} names it in messages ({@code stdin} for standard input). */
    public static ParseResult parse(String name, CharSequence text, ParseOptions opts) {
        Parser p = new Parser(name, text, opts);
        List<FilterRule> rules = new ArrayList<>();
        p.statements(rules, false);
        return new ParseResult(p.ruleset(rules), p.errors);
    }

    private Ruleset ruleset(List<FilterRule> rules) {
        return new Ruleset(decls, new Options(blockReturn, stateIfBound, skip, timeouts, limits, optimization,
                loginterface, hostid, reassemble, reassembleNoDf, debug, rulesetOptimization, syncookies,
                fingerprints), rules);
    }

    // ---------------------------------------------------------------- tokens

    /** A syntax error: reported at the token's line, then the parser skips to the end of the line. */
    private static final class SyntaxError extends RuntimeException {
        final int line;

        SyntaxError(int line, String message) {
            super(message, null, false, false);
            this.line = line;
        }
    }

    private Token peek() {
        if (tok == null) tok = pushback.isEmpty() ? lexer.next() : pushback.removeLast();
        return tok;
    }

    private Token next() {
        Token t = peek();
        tok = null;
        return t;
    }

    private void unread(Token t) {
        if (tok != null) pushback.add(tok);
        tok = t;
    }

    private SyntaxError syntax() {
        return new SyntaxError(peek().line(), "syntax error");
    }

    private SyntaxError fail(String msg) {
        return new SyntaxError(peek().line(), msg);
    }

    private boolean accept(String s) {
        if (peek().is(s)) {
            next();
            return true;
        }
        return false;
    }

    private void expect(String s) {
        if (!accept(s)) throw syntax();
    }

    private String string() {
        if (!peek().isString()) throw syntax();
        return next().text();
    }

    private String word() {
        if (!peek().isWord()) throw syntax();
        return next().text();
    }

    private void error(int line, String msg) {
        errors.add(new Diagnostic(lexer.fileName(), line, msg));
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 18) return false;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }

    /** pf's NUMBER: decimal digits; with {@code hex} also 0x... */
    private long number(boolean hex) {
        Token t = peek();
        if (!t.isWord()) throw syntax();
        String s = t.text();
        long v;
        if (isNumber(s)) {
            v = Long.parseLong(s);
        } else if (hex && s.length() > 2 && s.length() <= 10 && (s.startsWith("0x") || s.startsWith("0X"))) {
            try {
                v = Long.parseLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                throw syntax();
            }
        } else {
            throw syntax();
        }
        next();
        return v;
    }

    private long number(long min, long max, String what) {
        int line = peek().line();
        long v = number(false);
        if (v < min || v > max) throw new SyntaxError(line, "illegal " + what + " value " + v);
        return v;
    }

    private boolean atEnd() {
        return peek().atEnd();
    }

    // ------------------------------------------------------------ statements

    private void statements(List<FilterRule> rules, boolean nested) {
        while (true) {
            Token t = peek();
            if (t.kind() == Token.Kind.EOF) {
                if (nested) error(t.line(), "syntax error");
                return;
            }
            if (t.kind() == Token.Kind.NEWLINE) {
                next();
                continue;
            }
            if (nested && t.is("}")) return;
            try {
                statement(rules);
                if (!atEnd() && !(nested && peek().is("}"))) throw syntax();
            } catch (SyntaxError e) {
                errors.add(new Diagnostic(lexer.fileName(), e.line, e.getMessage()));
                recover();
            }
        }
    }

    /** After a syntax error: drop the rest of the line, macro text included (pfctl's {@code error '\\n'}). */
    private void recover() {
        Token t = peek();
        if (t.kind() == Token.Kind.EOF) return;
        if (t.kind() == Token.Kind.NEWLINE) {
            next();
            return;
        }
        tok = null;
        pushback.clear();
        lexer.discardLine();
        t = peek();
        if (t.kind() == Token.Kind.NEWLINE) next();
    }

    private void statement(List<FilterRule> rules) {
        Token t = peek();
        if (t.isWord()) {
            Token first = next();
            if (peek().is("=")) {
                next();
                macro(first.text());
                return;
            }
            unread(first);
        }
        if (!t.isWord()) throw syntax();
        switch (t.text()) {
            case "set" -> {
                setLine = t.line();
                next();
                setOption();
            }
            case "table" -> {
                next();
                table();
            }
            case "pass", "block", "match" -> rule(rules, null);
            case "anchor" -> rule(rules, next());
            case "antispoof" -> {
                next();
                antispoof(rules);
            }
            case "queue" -> {
                next();
                queue();
            }
            case "load" -> {
                next();
                expect("anchor");
                String name = string();
                expect("from");
                int line = peek().line();
                String file = string();
                if (!atEnd()) throw syntax();
                decls.add(new Decl.LoadAnchor(name, file, loadAnchor(file, line)));
            }
            case "include" -> {
                next();
                include();
            }
            default -> throw syntax();
        }
    }

    private void macro(String name) {
        StringBuilder v = new StringBuilder();
        while (!atEnd()) {
            Token t = peek();
            if (!t.isString()) throw syntax();
            if (!v.isEmpty()) v.append(' ');
            v.append(next().text());
        }
        if (v.length() > Lexer.MAX_STRING) throw fail("macro '" + name + "' too long");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '_') || c > 127) {
                throw fail("macro name cannot contain '" + c + "'");
            }
        }
        decls.add(new Decl.MacroDef(name, v.toString()));
        lexer.define(name, v.toString());
    }

    /** Parses an anchor's file with the same host and macros given on the command line; its errors are ours. */
    private Ruleset loadAnchor(String file, int line) {
        if (opts.includes() == null) throw new SyntaxError(line, "cannot load anchor from \"" + file + "\": file reading is not enabled");
        if (anchorDepth >= MAX_ANCHOR_DEPTH) throw new SyntaxError(line, "anchors nest too deeply");
        String text;
        try {
            text = opts.includes().read(file);
        } catch (java.io.IOException | RuntimeException e) {
            throw new SyntaxError(line, "cannot open \"" + file + "\": " + e.getMessage());
        }
        Parser sub = new Parser(file, text, opts);
        sub.anchorDepth = anchorDepth + 1;
        List<FilterRule> rules = new ArrayList<>();
        sub.statements(rules, false);
        errors.addAll(sub.errors);
        return sub.ruleset(rules);
    }

    private void include() {
        int line = peek().line();
        String file = string();
        if (!atEnd()) throw syntax();
        if (opts.includes() == null) throw new SyntaxError(line, "cannot include \"" + file + "\": includes are not enabled");
        String text;
        try {
            text = opts.includes().read(file);
        } catch (java.io.IOException | RuntimeException e) {
            throw new SyntaxError(line, "cannot open \"" + file + "\": " + e.getMessage());
        }
        if (!lexer.include(file, text)) throw new SyntaxError(line, "includes nest too deeply at \"" + file + "\"");
    }

    // ------------------------------------------------------------------ set

    private void setOption() {
        String opt = word();
        switch (opt) {
            case "optimization" -> {
                String v = word();
                if (!List.of("default", "normal", "high-latency", "satellite", "aggressive", "conservative").contains(v)) {
                    throw fail("unknown optimization " + v);
                }
                optimization = v;
                set(opt, "optimization " + v);
            }
            case "timeout" -> {
                if (accept("{")) {
                    while (!accept("}")) {
                        accept(",");
                        if (peek().is("}")) continue;
                        timeoutSpec();
                    }
                } else {
                    timeoutSpec();
                }
            }
            case "limit" -> {
                if (accept("{")) {
                    while (!accept("}")) {
                        accept(",");
                        if (peek().is("}")) continue;
                        limitSpec();
                    }
                } else {
                    limitSpec();
                }
            }
            case "loginterface" -> {
                String v = string();
                loginterface = v;
                set(opt, "loginterface " + v);
            }
            case "hostid" -> {
                long v = number(true);
                if (v == 0 || v > 0xffffffffL) throw fail("illegal hostid value");
                hostid = v;
                set(opt, String.format("hostid 0x%08x", v));
            }
            case "block-policy" -> {
                String v = word();
                if (!v.equals("drop") && !v.equals("return")) throw syntax();
                blockReturn = v.equals("return");
                set(opt, "block-policy " + v);
            }
            case "state-policy" -> {
                String v = word();
                if (!v.equals("if-bound") && !v.equals("floating")) throw syntax();
                stateIfBound = v.equals("if-bound");
                set(opt, "state-policy " + v);
            }
            case "reassemble" -> {
                String v = word();
                if (!v.equals("yes") && !v.equals("no")) throw syntax();
                boolean nodf = accept("no-df");
                reassemble = v.equals("yes");
                reassembleNoDf = nodf;
                set(opt, "reassemble " + v + " " + (nodf ? "no-df" : ""));
            }
            case "skip" -> {
                expect("on");
                for (IfItem i : ifList()) {
                    skip.add(i.name);
                    set(opt, "skip on " + i.name);
                }
            }
            case "debug" -> {
                String v = word();
                if (!List.of("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug").contains(v)) {
                    throw fail("unknown debug level " + v);
                }
                debug = v;
                set(opt, "debug " + v);
            }
            case "ruleset-optimization" -> {
                String v = word();
                if (!List.of("none", "basic", "profile").contains(v)) throw fail("unknown ruleset-optimization " + v);
                rulesetOptimization = v;
                set(opt, "ruleset-optimization " + v);
            }
            case "fingerprints" -> {
                String v = string();
                fingerprints = v;
                set(opt, "fingerprints \"" + v + "\"");
            }
            case "syncookies" -> {
                String v = word();
                if (!List.of("never", "always", "adaptive").contains(v)) throw syntax();
                String text = "syncookies " + v;
                if (v.equals("adaptive") && accept("(")) {
                    expect("start");
                    String s = word();
                    accept(",");
                    expect("end");
                    String e = word();
                    expect(")");
                    text += " (start " + s + ", end " + e + ")";
                }
                syncookies = v;
                set(opt, text);
            }
            case "state-defaults" -> {
                StateSpec s = new StateSpec();
                stateOptionList(s, false);
                stateDefaults = s;
                set(opt, "state-defaults");
            }
            default -> throw syntax();
        }
    }

    private void set(String name, String text) {
        decls.add(new Decl.SetOption(name, text, lexer.fileName(), setLine));
    }

    private void timeoutSpec() {
        int line = peek().line();
        String name = string();
        long v = number(0, Integer.MAX_VALUE, "timeout");
        if (Names.timeoutIndex(name) < 0) throw new SyntaxError(line, "unknown timeout " + name);
        timeouts.put(name, (int) v);
        set("timeout", "timeout " + name + " " + v);
    }

    private void limitSpec() {
        int line = peek().line();
        String name = string();
        long v = number(0, 0xffffffffL, "limit");
        if (!Names.LIMITS.contains(name)) throw new SyntaxError(line, "unknown limit " + name);
        limits.put(name, v);
        set("limit", "limit " + name + " " + v);
    }

    // ---------------------------------------------------------------- tables

    private String tableName() {
        expect("<");
        String name = string();
        expect(">");
        if (name.length() >= 32) throw fail("table name too long");
        return name;
    }

    private void table() {
        String name = tableName();
        boolean isConst = false, persist = false, counters = false, braces = false;
        List<Decl.TableNode> nodes = new ArrayList<>();
        while (!atEnd()) {
            if (accept("const")) isConst = true;
            else if (accept("persist")) persist = true;
            else if (accept("counters")) counters = true;
            else if (accept("file")) nodes.add(new Decl.TableNode.File(string()));
            else if (accept("{")) {
                braces = true;
                List<TableEntry> entries = new ArrayList<>();
                while (!accept("}")) {
                    if (accept(",")) continue;
                    if (atEnd()) throw syntax();
                    boolean neg = accept("!");
                    for (HostItem h : host(false)) {
                        if (!(h.addr instanceof Address.Prefix p)) throw fail("invalid table entry");
                        entries.add(new TableEntry(neg != h.neg, p.prefix()));
                        if (entries.size() > MAX_LIST) throw fail("too many table entries");
                    }
                }
                if (!entries.isEmpty()) nodes.add(new Decl.TableNode.Entries(entries));
            } else throw syntax();
        }
        decls.add(new Decl.TableDef(name, isConst, persist, counters, nodes, braces));
    }

    // ---------------------------------------------------------------- queues

    private void queue() {
        String name = string();
        String parent = null, ifname = null;
        long bw = 0, min = 0, max = 0;
        int flows = 0, quantum = 0, qlimit = 0;
        boolean dflt = false;
        while (!atEnd()) {
            if (accept("on")) ifname = string();
            else if (accept("parent")) parent = string();
            else if (accept("bandwidth")) bw = bandwidth();
            else if (accept("min")) min = bandwidth();
            else if (accept("max")) max = bandwidth();
            else if (accept("flows")) flows = (int) number(1, 32767, "flows");
            else if (accept("quantum")) quantum = (int) number(1, 65535, "quantum");
            else if (accept("qlimit")) qlimit = (int) number(1, 65535, "qlimit");
            else if (accept("default")) dflt = true;
            else if (accept(",")) continue;
            else throw syntax();
        }
        if (parent == null && ifname == null) throw fail("queue " + name + ": no parent or interface specified");
        decls.add(new Decl.QueueDef(name, parent, ifname, bw, min, max, flows, quantum, qlimit, dflt));
    }

    private long bandwidth() {
        String s = word();
        long mult = 1;
        char last = s.charAt(s.length() - 1);
        if (last == 'K' || last == 'M' || last == 'G') {
            mult = last == 'K' ? 1000 : last == 'M' ? 1000_000 : 1000_000_000;
            s = s.substring(0, s.length() - 1);
        }
        if (!isNumber(s)) throw fail("bandwidth number: " + s);
        return Long.parseLong(s) * mult;
    }

    // ----------------------------------------------------------------- hosts

    /** A host item after name lookup: one address, its family, its negation. */
    record HostItem(boolean neg, Address addr) {
    }

    /** {@code on} items. */
    record IfItem(String name, boolean neg) {
    }

    private List<IfItem> ifList() {
        List<IfItem> out = new ArrayList<>();
        if (accept("{")) {
            while (!accept("}")) {
                if (accept(",")) continue;
                boolean neg = accept("!");
                out.add(new IfItem(ifName(), neg));
                if (out.size() > MAX_LIST) throw fail("too many interfaces");
            }
            if (out.isEmpty()) throw syntax();
        } else {
            boolean neg = accept("!");
            out.add(new IfItem(ifName(), neg));
        }
        return out;
    }

    private String ifName() {
        String n = string();
        if (n.length() >= 16) throw fail("interface name too long: " + n);
        return n;
    }

    /** ipspec: {@code any}, a host, or a braced list of hosts (each maybe negated). */
    private List<HostItem> ipspec() {
        List<HostItem> out = new ArrayList<>();
        if (accept("{")) {
            while (!accept("}")) {
                if (accept(",")) continue;
                if (atEnd()) throw syntax();
                boolean neg = accept("!");
                for (HostItem h : host(true)) out.add(new HostItem(neg != h.neg, h.addr));
                if (out.size() > MAX_LIST) throw fail("too many addresses");
            }
            if (out.isEmpty()) throw syntax();
            return out;
        }
        if (accept("any")) return List.of(new HostItem(false, Address.ANY));
        boolean neg = accept("!");
        for (HostItem h : host(true)) out.add(new HostItem(neg != h.neg, h.addr));
        return out;
    }

    /** One host: address, range, network, table, dynamic, interface or host name (expanded here). */
    private List<HostItem> host(boolean rule) {
        Token t = peek();
        int line = t.line();
        if (t.is("<")) {
            if (!rule) throw syntax();
            return List.of(new HostItem(false, new Address.Table(tableName())));
        }
        if (t.is("(")) {
            next();
            String spec = string();
            expect(")");
            int mask = -1;
            if (accept("/")) mask = (int) number(0, 128, "netmask");
            return List.of(new HostItem(false, dynamic(spec, mask, line)));
        }
        if (t.is("any")) {
            next();
            return List.of(new HostItem(false, Address.ANY));
        }
        if (rule && t.is("no-route")) {
            next();
            return List.of(new HostItem(false, new Address.NoRoute()));
        }
        if (rule && t.is("urpf-failed")) {
            next();
            return List.of(new HostItem(false, new Address.UrpfFailed()));
        }
        if (rule && t.is("route")) {
            next();
            return List.of(new HostItem(false, new Address.RouteLabel(string())));
        }
        String s = string();
        int mask = -1;
        if (s.indexOf('/') >= 0 && t.kind() == Token.Kind.STRING) {
            String m = s.substring(s.indexOf('/') + 1);
            s = s.substring(0, s.indexOf('/'));
            if (!isNumber(m)) throw new SyntaxError(line, "could not parse host specification");
            mask = Integer.parseInt(m);
        } else if (accept("/")) {
            mask = (int) number(0, 128, "netmask");
        }
        if (peek().is("-") && mask < 0) {
            next();
            String e = string();
            IpAddress a = IpAddress.tryParse(s), b = IpAddress.tryParse(e);
            if (a == null || b == null || a.v6() != b.v6()) throw new SyntaxError(line, "could not parse host specification");
            return List.of(new HostItem(false, new Address.Range(a, b)));
        }
        return resolveHost(s, mask, line);
    }

    private Address.Dynamic dynamic(String spec, int mask, int line) {
        String[] parts = spec.split(":", -1);
        boolean network = false, broadcast = false, peer = false, noalias = false;
        for (int i = 1; i < parts.length; i++) {
            switch (parts[i]) {
                case "network" -> network = true;
                case "broadcast" -> broadcast = true;
                case "peer" -> peer = true;
                case "0" -> noalias = true;
                default -> throw new SyntaxError(line, "illegal interface modifier " + parts[i]);
            }
        }
        if ((network ? 1 : 0) + (broadcast ? 1 : 0) + (peer ? 1 : 0) > 1) {
            throw new SyntaxError(line, "illegal combination of interface modifiers");
        }
        if (parts[0].isEmpty() || parts[0].length() >= 16) throw new SyntaxError(line, "invalid interface name " + parts[0]);
        return new Address.Dynamic(parts[0], network, broadcast, peer, noalias, mask);
    }

    /** pfctl's host(): literal address, interface or group (with modifiers), or a name for the resolver. */
    private List<HostItem> resolveHost(String s, int mask, int line) {
        String scope = null;
        String lit = s;
        int pct = s.indexOf('%');
        if (pct > 0) {
            scope = s.substring(pct + 1);
            lit = s.substring(0, pct);
        }
        IpAddress a = IpAddress.tryParse(lit);
        if (a == null && mask >= 0 && lit.indexOf(':') < 0) {
            try {
                a = IpPrefix.parse(lit + "/" + mask).address();
            } catch (IllegalArgumentException e) {
                a = null;
            }
        }
        if (a != null) {
            if (mask > a.bits()) throw new SyntaxError(line, "invalid netmask '" + mask + "'");
            return List.of(new HostItem(false, prefixAddr(new IpPrefix(a, mask < 0 ? a.bits() : mask), scope)));
        }
        String[] parts = s.split(":", -1);
        String ifn = parts[0];
        if (host.isInterface(ifn)) {
            boolean network = false, broadcast = false, peer = false, noalias = false;
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i]) {
                    case "network" -> network = true;
                    case "broadcast" -> broadcast = true;
                    case "peer" -> peer = true;
                    case "0" -> noalias = true;
                    default -> throw new SyntaxError(line, "illegal interface modifier " + parts[i]);
                }
            }
            List<HostItem> out = new ArrayList<>();
            boolean got4 = false, got6 = false;
            for (Map.Entry<String, HostProfile.IfAddress> e : host.addressesOf(ifn)) {
                HostProfile.IfAddress ia = e.getValue();
                IpAddress addr = ia.address();
                if (noalias) {
                    if (addr.v6() ? got6 : got4) continue;
                }
                if (network && ia.scoped()) continue;
                if (broadcast && (addr.v6() || ia.prefixLen() >= 31)) continue;
                if (peer && ia.peer() == null) continue;
                if (addr.v6()) got6 = true;
                else got4 = true;
                IpPrefix p;
                if (network) p = new IpPrefix(addr, ia.prefixLen());
                else if (broadcast) p = IpPrefix.host(addr.fillHostBits(ia.prefixLen()));
                else if (peer) p = IpPrefix.host(ia.peer());
                else p = IpPrefix.host(addr);
                if (mask >= 0) p = new IpPrefix(p.address(), Math.min(mask, p.address().bits()));
                out.add(new HostItem(false, prefixAddr(p, ia.scoped() && !network ? e.getKey() : null)));
            }
            if (out.isEmpty()) {
                throw new SyntaxError(line, "no IP address found for " + s);
            }
            return out;
        }
        if (parts.length > 1) throw new SyntaxError(line, "could not parse host specification");
        List<IpAddress> resolved = host.resolve(s);
        if (resolved.isEmpty()) {
            error(line, "no IP address found for " + s);
            throw new SyntaxError(line, "could not parse host specification");
        }
        List<HostItem> out = new ArrayList<>();
        for (IpAddress r : resolved) {
            if (mask > r.bits()) throw new SyntaxError(line, "invalid netmask '" + mask + "'");
            out.add(new HostItem(false, prefixAddr(new IpPrefix(r, mask < 0 ? r.bits() : mask), null)));
        }
        return out;
    }

    private static Address prefixAddr(IpPrefix p, String scope) {
        return new Address.Prefix(p, scope);
    }

    /**
     * pf's list form, shared by ports, users and groups, protocols, ICMP types
     * and redirection hosts: one item, or {@code { item [,] item ... }} with at
     * least one item. {@code item} reads one item and adds what it names to
     * the list (a host may name several addresses); with {@code max >= 0},
     * more than {@code max} items is the error "too many WHAT".
     */
    private <T> List<T> braceList(java.util.function.Consumer<List<T>> item, int max, String what) {
        List<T> out = new ArrayList<>();
        if (accept("{")) {
            while (!accept("}")) {
                if (accept(",")) continue;
                if (atEnd()) throw syntax();
                item.accept(out);
                if (max >= 0 && out.size() > max) throw fail("too many " + what);
            }
            if (out.isEmpty()) throw syntax();
        } else {
            item.accept(out);
        }
        return out;
    }

    // ----------------------------------------------------------------- ports

    private List<PortOp> portspec() {
        return braceList(out -> out.add(portItem()), MAX_LIST, "ports");
    }

    private static final Map<String, Op> UNARY = Map.of("=", Op.EQ, "!=", Op.NE, "<", Op.LT, "<=", Op.LE,
            ">", Op.GT, ">=", Op.GE);

    private PortOp portItem() {
        Token t = peek();
        if (t.kind() == Token.Kind.PUNCT && UNARY.containsKey(t.text())) {
            next();
            return new PortOp(UNARY.get(t.text()), port(string(), peek().line()), 0);
        }
        int line = t.line();
        String a = string();
        int colon = a.indexOf(':');
        if (colon > 0) {
            int lo = port(a.substring(0, colon), line);
            String b = a.substring(colon + 1);
            int hi = b.equals("*") ? 65535 : port(b, line);
            return new PortOp(Op.RRG, lo, hi);
        }
        int lo = port(a, line);
        if (peek().is("><") || peek().is("<>")) {
            Op op = next().text().equals("><") ? Op.IRG : Op.XRG;
            return new PortOp(op, lo, port(string(), line));
        }
        return new PortOp(Op.EQ, lo, 0);
    }

    private int port(String s, int line) {
        long v = -1;
        if (isNumber(s)) v = Long.parseLong(s);
        else if (s.startsWith("0x") && s.length() > 2 && s.length() <= 6) {
            try {
                v = Long.parseLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                v = -1;
            }
        } else {
            v = Names.servicePort(s);
            if (v < 0) throw new SyntaxError(line, "unknown port " + s);
        }
        if (v < 0 || v > 65535) throw new SyntaxError(line, "illegal port value " + s);
        return (int) v;
    }

    // -------------------------------------------------------------- user/grp

    private List<IdOp> idspec(boolean user) {
        return braceList(out -> out.add(idItem(user)), -1, null);
    }

    private IdOp idItem(boolean user) {
        Token t = peek();
        if (t.kind() == Token.Kind.PUNCT && UNARY.containsKey(t.text())) {
            next();
            return new IdOp(UNARY.get(t.text()), id(user), 0);
        }
        long a = id(user);
        if (peek().is("><") || peek().is("<>")) {
            Op op = next().text().equals("><") ? Op.IRG : Op.XRG;
            return new IdOp(op, a, id(user));
        }
        return new IdOp(Op.EQ, a, 0);
    }

    private long id(boolean user) {
        int line = peek().line();
        String s = string();
        if (isNumber(s)) {
            long v = Long.parseLong(s);
            if (v > 0xffffffffL) throw new SyntaxError(line, "illegal " + (user ? "uid" : "gid") + " value " + v);
            return v;
        }
        if (s.equals("unknown")) return 0xffffffffL;
        Long v = user ? host.uid(s) : host.gid(s);
        if (v == null) throw new SyntaxError(line, "unknown " + (user ? "user " : "group ") + s);
        return v;
    }

    // ------------------------------------------------------------------ rules

    /** A rule before expansion. */
    private static final class Spec {
        FilterRule.Builder r = new FilterRule.Builder();
        List<IfItem> ifs = List.of();
        List<Integer> protos = List.of();
        List<HostItem> src = List.of(new HostItem(false, Address.ANY)), dst = List.of(new HostItem(false, Address.ANY));
        List<PortOp> srcPorts = List.of(), dstPorts = List.of();
        List<IdOp> uids = List.of(), gids = List.of();
        List<int[]> icmp = List.of();
        boolean flagsGiven, stateGiven;
        StateSpec state;
        List<HostItem> natHosts, rdrHosts, routeHosts;
        PoolOpts natOpts, rdrOpts, routeOpts;
        int[] natPorts, rdrPorts;
        IpAddress divertHostTo;
        List<HostItem> divertHosts;
        String labelTemplate;
        boolean binat;
    }

    private static final class PoolOpts {
        PoolType type = PoolType.NONE;
        boolean sticky, staticPort;
    }

    private static final class StateSpec {
        long max, maxSrcStates, maxSrcConn, rate, rateSeconds, maxSrcNodes;
        boolean noSync, pflow, ifBound, floating, sloppy;
        SourceTrack explicitTrack;
        boolean track, ruleTrack;
        String overload;
        Flush flush = Flush.NONE;
        Map<Integer, Integer> timeouts = new HashMap<>();
    }

    private void rule(List<FilterRule> rules, Token anchorKw) {
        Spec s = new Spec();
        FilterRule.Builder r = s.r;
        r.file = lexer.fileName();
        String anchorName = null;
        if (anchorKw != null) {
            r.action = Action.PASS;
            if (peek().kind() == Token.Kind.STRING || (peek().isWord() && !isRuleKeyword(peek().text()))) {
                anchorName = next().text();
            }
        } else {
            String a = next().text();
            r.action = switch (a) {
                case "pass" -> Action.PASS;
                case "block" -> Action.BLOCK;
                default -> Action.MATCH;
            };
            if (r.action == Action.BLOCK) blockMode(r);
        }
        if (accept("in")) r.direction = Direction.IN;
        else if (accept("out")) r.direction = Direction.OUT;
        logQuick(r);
        if (accept("on")) s.ifs = ifList();
        if (accept("inet")) r.af = Af.INET;
        else if (accept("inet6")) r.af = Af.INET6;
        if (accept("proto")) s.protos = protoSpec();
        fromTo(s);
        filterOpts(s, anchorKw != null);
        Ruleset inline = null;
        if (anchorKw != null) {
            while (peek().kind() == Token.Kind.NEWLINE && anchorName != null && lookaheadBrace()) {
                next();
            }
            if (accept("{")) {
                if (anchorName != null && anchorName.indexOf('/') >= 0) {
                    // pfctl allows only simple names for inline anchors
                    throw fail("anchor name '" + anchorName + "' may not contain '/' here");
                }
                if (++anchorDepth > MAX_ANCHOR_DEPTH) throw fail("anchors nest too deeply");
                List<FilterRule> sub = new ArrayList<>();
                try {
                    statements(sub, true);
                } finally {
                    anchorDepth--;
                }
                expect("}");
                inline = new Ruleset(List.of(), ruleset(List.of()).options(), sub);
            } else if (anchorName == null) {
                throw fail("anchors without a name must have an inline ruleset");
            }
            r.anchor = new FilterRule.AnchorCall(anchorName == null ? "_" + anchorDepth : anchorName, inline);
            r.state = StateType.NONE;
        }
        int line = peek().atEnd() ? peek().line() : lexer.line();
        if (!atEnd() && !peek().is("}")) throw syntax();
        if (!atEnd() && anchorKw == null) throw syntax();
        r.line = line;
        expand(s, rules, line);
    }

    /** Only an anchor name followed by a newline and then '{' continues on the next line. */
    private boolean lookaheadBrace() {
        Token nl = next();
        Token n = peek();
        boolean brace = n.is("{");
        unread(nl);
        return brace;
    }

    private static boolean isRuleKeyword(String w) {
        return List.of("in", "out", "on", "inet", "inet6", "proto", "from", "to", "all", "log", "quick").contains(w);
    }

    private void blockMode(FilterRule.Builder r) {
        r.blockMode = blockReturn ? BlockMode.RETURN : BlockMode.DROP;
        Token t = peek();
        if (!t.isWord()) return;
        switch (t.text()) {
            case "drop" -> {
                next();
                r.blockMode = BlockMode.DROP;
            }
            case "return" -> {
                next();
                r.blockMode = BlockMode.RETURN;
            }
            case "return-rst" -> {
                next();
                r.blockMode = BlockMode.RETURN_RST;
                if (accept("(")) {
                    expect("ttl");
                    r.returnTtl = (int) number(0, 255, "ttl");
                    expect(")");
                }
            }
            case "return-icmp" -> {
                next();
                r.blockMode = BlockMode.RETURN_ICMP;
                if (accept("(")) {
                    r.returnIcmp = icmpReturnCode(false);
                    if (accept(",")) r.returnIcmp6 = icmpReturnCode(true);
                    expect(")");
                }
            }
            case "return-icmp6" -> {
                next();
                r.blockMode = BlockMode.RETURN_ICMP;
                if (accept("(")) {
                    r.returnIcmp6 = icmpReturnCode(true);
                    expect(")");
                }
            }
            default -> {
            }
        }
    }

    private int icmpReturnCode(boolean v6) {
        int line = peek().line();
        String s = string();
        int type = v6 ? 1 : 3;
        if (isNumber(s)) {
            long c = Long.parseLong(s);
            if (c > 255) throw new SyntaxError(line, "invalid icmp code " + c);
            return (type << 8) | (int) c;
        }
        int c = Names.icmpCode(s, v6);
        if (c < 0 || (c >> 8) != type) throw new SyntaxError(line, "unknown icmp code " + s);
        return c;
    }

    private void logQuick(FilterRule.Builder r) {
        for (int i = 0; i < 2; i++) {
            if (accept("log")) {
                r.log = FilterRule.LOG;
                if (accept("(")) {
                    while (!accept(")")) {
                        if (accept(",")) continue;
                        if (accept("all")) r.log |= FilterRule.LOG_ALL;
                        else if (accept("matches")) r.log |= FilterRule.LOG_MATCHES;
                        else if (accept("user")) r.log |= FilterRule.LOG_USER;
                        else if (accept("to")) {
                            int line = peek().line();
                            String ifn = string();
                            if (!ifn.matches("pflog[0-9]{1,5}")) throw new SyntaxError(line, "invalid log interface " + ifn);
                            r.logIf = Integer.parseInt(ifn.substring(5));
                        } else throw syntax();
                    }
                }
            } else if (accept("quick")) {
                r.quick = true;
            }
        }
    }

    private List<Integer> protoSpec() {
        return braceList(out -> out.add(protoItem()), -1, null);
    }

    private int protoItem() {
        int line = peek().line();
        String s = string();
        if (isNumber(s)) {
            long v = Long.parseLong(s);
            if (v > 255) throw new SyntaxError(line, "protocol outside range");
            if (v == 0) throw new SyntaxError(line, "protocol 0 is not allowed");
            return (int) v;
        }
        int p = Names.protocolNumber(s);
        if (p < 0) throw new SyntaxError(line, "unknown protocol " + s);
        return p;
    }

    private void fromTo(Spec s) {
        if (accept("all")) return;
        if (accept("from")) {
            if (!peek().is("port")) s.src = ipspec();
            if (accept("os")) s.r.os = string();
            if (accept("port")) s.srcPorts = portspec();
            if (accept("os")) s.r.os = string();
        }
        if (accept("to")) {
            if (!peek().is("port")) s.dst = ipspec();
            if (accept("port")) s.dstPorts = portspec();
        }
    }

    private void filterOpts(Spec s, boolean anchor) {
        FilterRule.Builder r = s.r;
        while (!atEnd() && !peek().is("{")) {
            Token t = peek();
            int line = t.line();
            if (t.is("!")) {
                next();
                expect("tagged");
                r.tagged = string();
                r.taggedNegated = true;
                continue;
            }
            if (!t.isWord()) throw syntax();
            next();
            switch (t.text()) {
                case "user" -> s.uids = concat(idspec(true), s.uids);
                case "group" -> s.gids = concat(idspec(false), s.gids);
                case "flags" -> {
                    s.flagsGiven = true;
                    if (accept("any")) {
                        r.flags = 0;
                        r.flagset = 0;
                    } else {
                        int f = 0;
                        if (!peek().is("/")) f = tcpFlags(string(), line);
                        expect("/");
                        int m = tcpFlags(string(), line);
                        r.flags = f;
                        r.flagset = m;
                    }
                }
                case "icmp-type", "icmp6-type" -> s.icmp = icmpSpec(t.text().equals("icmp6-type"));
                case "tos" -> r.tos = tos(line);
                case "prio" -> r.prio = (int) number(0, 7, "prio");
                case "keep", "modulate", "synproxy" -> {
                    expect("state");
                    s.stateGiven = true;
                    r.state = switch (t.text()) {
                        case "keep" -> StateType.KEEP;
                        case "modulate" -> StateType.MODULATE;
                        default -> StateType.SYNPROXY;
                    };
                    s.state = new StateSpec();
                    // pfctl prints "keep state probability N% (options)": read its own output back
                    if (peek().is("probability")) {
                        next();
                        r.probability = probability(string(), line);
                    }
                    if (accept("(")) {
                        unread(new Token(Token.Kind.PUNCT, "(", line));
                        stateOptionList(s.state);
                    }
                }
                case "no" -> {
                    expect("state");
                    s.stateGiven = true;
                    r.state = StateType.NONE;
                    s.state = null;
                }
                case "fragment" -> r.fragment = true;
                case "allow-opts" -> r.allowOpts = true;
                case "once" -> r.once = true;
                case "label" -> {
                    String l = string();
                    if (l.length() >= 64) throw new SyntaxError(line, "rule label too long (max 63 chars)");
                    s.labelTemplate = l;
                }
                case "tag" -> r.tag = string();
                case "tagged" -> r.tagged = string();
                case "queue" -> queueOpt(r);
                case "set" -> setOpts(r, line);
                case "scrub" -> scrubOpts(r);
                case "probability" -> {
                    String p = string();
                    if (accept("%")) p = p + "%";
                    r.probability = probability(p, line);
                }
                case "rtable" -> r.rtable = (int) number(0, 255, "rtable");
                case "max-pkt-rate" -> {
                    long n = number(1, 0xffffffffL, "max-pkt-rate");
                    expect("/");
                    r.maxPktRate = new FilterRule.Rate(n, number(1, 0xffffffffL, "max-pkt-rate"));
                }
                case "received-on" -> r.receivedOn = ifName();
                case "divert-to" -> {
                    List<HostItem> h = host(false);
                    expect("port");
                    int port = port(string(), line);
                    s.divertHosts = h;
                    r.divert = new FilterRule.Divert(FilterRule.Divert.Kind.TO, null, port);
                }
                case "divert-reply" -> r.divert = new FilterRule.Divert(FilterRule.Divert.Kind.REPLY, null, 0);
                case "divert-packet" -> {
                    expect("port");
                    int port = port(string(), line);
                    if (port == 0) throw new SyntaxError(line, "invalid divert port: 0");
                    r.divert = new FilterRule.Divert(FilterRule.Divert.Kind.PACKET, null, port);
                }
                case "nat-to", "binat-to" -> {
                    if (s.natHosts != null) throw new SyntaxError(line, "nat-to can only be specified once");
                    s.natHosts = redirHosts();
                    s.natPorts = redirPort(line);
                    s.natOpts = poolOpts(true);
                    if (s.natOpts.staticPort && s.natPorts != null) {
                        throw new SyntaxError(line, "static-port cannot be combined with a port range");
                    }
                    s.binat = t.text().equals("binat-to");
                }
                case "rdr-to" -> {
                    if (s.rdrHosts != null) throw new SyntaxError(line, "rdr-to can only be specified once");
                    s.rdrHosts = redirHosts();
                    s.rdrPorts = redirPort(line);
                    s.rdrOpts = poolOpts(false);
                }
                case "af-to" -> {
                    if (accept("inet")) r.afTo = Af.INET;
                    else if (accept("inet6")) r.afTo = Af.INET6;
                    else throw syntax();
                    expect("from");
                    s.natHosts = redirHosts();
                    s.natOpts = poolOpts(true);
                    if (accept("to")) {
                        s.rdrHosts = redirHosts();
                        s.rdrOpts = poolOpts(false);
                    }
                }
                case "route-to", "reply-to", "dup-to" -> {
                    if (r.route != null) throw new SyntaxError(line, "route-to, reply-to and dup-to are mutually exclusive");
                    r.route = switch (t.text()) {
                        case "route-to" -> FilterRule.RouteType.ROUTE_TO;
                        case "reply-to" -> FilterRule.RouteType.REPLY_TO;
                        default -> FilterRule.RouteType.DUP_TO;
                    };
                    s.routeHosts = redirHosts();
                    s.routeOpts = poolOpts(false);
                }
                case "os" -> r.os = string();
                default -> {
                    unread(t);
                    throw syntax();
                }
            }
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static final String TCP_FLAGS = "FSRPAUEW";

    private int tcpFlags(String s, int line) {
        int f = 0;
        for (int i = 0; i < s.length(); i++) {
            int b = TCP_FLAGS.indexOf(s.charAt(i));
            if (b < 0) throw new SyntaxError(line, "bad flags " + s);
            f |= 1 << b;
        }
        return f;
    }

    private List<int[]> icmpSpec(boolean v6) {
        return braceList(out -> out.add(icmpItem(v6)), -1, null);
    }

    private int[] icmpItem(boolean v6) {
        int line = peek().line();
        String t = string();
        int type;
        if (isNumber(t)) {
            long v = Long.parseLong(t);
            if (v > 255) throw new SyntaxError(line, "illegal icmp-type " + v);
            type = (int) v;
        } else {
            type = Names.icmpType(t, v6);
            if (type < 0) throw new SyntaxError(line, "unknown icmp-type " + t);
        }
        int code = -1;
        if (accept("code")) {
            String c = string();
            if (isNumber(c)) {
                long v = Long.parseLong(c);
                if (v > 255) throw new SyntaxError(line, "illegal icmp-code " + v);
                code = (int) v;
            } else {
                int tc = Names.icmpCode(c, v6);
                if (tc < 0 || (tc >> 8) != type) throw new SyntaxError(line, "unknown icmp-code " + c);
                code = tc & 255;
            }
        }
        return new int[] {type, code, v6 ? 1 : 0};
    }

    private int tos(int line) {
        String s = string();
        switch (s) {
            case "lowdelay":
                return 0x10;
            case "throughput":
                return 0x08;
            case "reliability":
                return 0x04;
            default:
                break;
        }
        long v;
        try {
            v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new SyntaxError(line, "illegal tos value " + s);
        }
        if (v < 0 || v > 255) throw new SyntaxError(line, "illegal tos value " + s);
        return (int) v;
    }

    private long probability(String p, int line) {
        String num = p.endsWith("%") ? p.substring(0, p.length() - 1) : p;
        double d;
        try {
            d = Double.parseDouble(num);
        } catch (NumberFormatException e) {
            throw new SyntaxError(line, "invalid probability: " + p);
        }
        if (p.endsWith("%")) d /= 100;
        if (!(d >= 0 && d <= 1)) throw new SyntaxError(line, "invalid probability: " + p);
        long v = (long) (d * 4294967295.0);
        return v == 0 ? 1 : v;
    }

    private void queueOpt(FilterRule.Builder r) {
        if (accept("(")) {
            r.queue = string();
            if (accept(",")) r.parentQueue = string();
            expect(")");
        } else {
            r.queue = string();
        }
    }

    private void setOpts(FilterRule.Builder r, int line) {
        boolean paren = accept("(");
        do {
            if (paren && accept(",")) continue;
            if (accept("prio")) {
                if (accept("(")) {
                    int a = (int) number(0, 7, "prio");
                    accept(",");
                    int b = (int) number(0, 7, "prio");
                    expect(")");
                    r.setPrio = new FilterRule.SetPrio(a, b);
                } else {
                    int a = (int) number(0, 7, "prio");
                    r.setPrio = new FilterRule.SetPrio(a, a);
                }
            } else if (accept("tos")) {
                r.setTos = tos(line);
            } else if (accept("queue")) {
                queueOpt(r);
            } else if (accept("delay")) {
                r.setDelay = (int) number(0, 0xffff, "delay");
            } else {
                throw syntax();
            }
        } while (paren && !accept(")"));
    }

    private void scrubOpts(FilterRule.Builder r) {
        expect("(");
        boolean nodf = false, rid = false, rtcp = false;
        int minTtl = 0, maxMss = 0;
        while (!accept(")")) {
            if (accept(",")) continue;
            if (accept("no-df")) nodf = true;
            else if (accept("random-id")) rid = true;
            else if (accept("min-ttl")) minTtl = (int) number(1, 255, "min-ttl");
            else if (accept("max-mss")) maxMss = (int) number(1, 65535, "max-mss");
            else if (accept("reassemble")) {
                expect("tcp");
                rtcp = true;
            } else throw syntax();
        }
        r.scrub = new FilterRule.Scrub(nodf, rid, minTtl, rtcp, maxMss);
    }

    private void stateOptionList(StateSpec st) {
        stateOptionList(st, true);
    }

    /** State options in parentheses, or (for set state-defaults) up to the end of the line. */
    private void stateOptionList(StateSpec st, boolean parens) {
        if (parens) expect("(");
        while (parens ? !accept(")") : !atEnd()) {
            if (accept(",")) continue;
            int line = peek().line();
            String o = string();
            switch (o) {
                case "max" -> st.max = number(1, 0xffffffffL, "max");
                case "no-sync" -> st.noSync = true;
                case "pflow" -> st.pflow = true;
                case "source-track" -> {
                    if (st.explicitTrack != null) throw new SyntaxError(line, "state option 'source-track' multiple definitions");
                    SourceTrack k = SourceTrack.NONE; // bare: global unless an option needs rule
                    if (accept("rule")) k = SourceTrack.RULE;
                    else if (accept("global")) k = SourceTrack.GLOBAL;
                    st.explicitTrack = k;
                    st.track = true;
                    if (k == SourceTrack.RULE) st.ruleTrack = true;
                }
                case "max-src-nodes" -> {
                    st.maxSrcNodes = number(1, 0xffffffffL, "max-src-nodes");
                    st.track = true;
                    st.ruleTrack = true;
                }
                case "max-src-states" -> {
                    st.maxSrcStates = number(1, 0xffffffffL, "max-src-states");
                    st.track = true;
                }
                case "max-src-conn" -> {
                    st.maxSrcConn = number(1, 0xffffffffL, "max-src-conn");
                    st.track = true;
                    st.ruleTrack = true;
                }
                case "max-src-conn-rate" -> {
                    st.rate = number(1, 0xffffffffL, "max-src-conn-rate");
                    expect("/");
                    st.rateSeconds = number(1, 0xffffffffL, "max-src-conn-rate");
                    st.track = true;
                    st.ruleTrack = true;
                }
                case "overload" -> {
                    st.overload = tableName();
                    if (accept("flush")) st.flush = accept("global") ? Flush.GLOBAL : Flush.FLUSH;
                }
                case "if-bound" -> st.ifBound = true;
                case "floating" -> st.floating = true;
                case "sloppy" -> st.sloppy = true;
                default -> {
                    int i = Names.timeoutIndex(o);
                    if (i < 0) throw new SyntaxError(line, "illegal state option " + o);
                    st.timeouts.put(i, (int) number(0, Integer.MAX_VALUE, "timeout"));
                }
            }
        }
        if (st.explicitTrack == SourceTrack.GLOBAL) {
            String bad = st.maxSrcNodes != 0 ? "max-src-nodes" : st.maxSrcConn != 0 ? "max-src-conn"
                    : st.rate != 0 ? "max-src-conn-rate" : null;
            if (bad != null) throw fail("'" + bad + "' is incompatible with 'source-track global'");
        }
    }

    private List<HostItem> redirHosts() {
        return braceList(out -> out.addAll(host(true)), -1, null);
    }

    private int[] redirPort(int line) {
        if (!accept("port")) return null;
        String s = string();
        int colon = s.indexOf(':');
        if (colon > 0) {
            int a = port(s.substring(0, colon), line);
            String b = s.substring(colon + 1);
            return new int[] {a, b.equals("*") ? 0 : port(b, line)};
        }
        int a = port(s, line);
        return new int[] {a, a};
    }

    private PoolOpts poolOpts(boolean nat) {
        PoolOpts p = new PoolOpts();
        while (peek().isWord()) {
            String w = peek().text();
            PoolType t = switch (w) {
                case "bitmask" -> PoolType.BITMASK;
                case "random" -> PoolType.RANDOM;
                case "source-hash" -> PoolType.SOURCE_HASH;
                case "round-robin" -> PoolType.ROUND_ROBIN;
                case "least-states" -> PoolType.LEAST_STATES;
                default -> null;
            };
            if (t != null) {
                if (p.type != PoolType.NONE) throw fail("pool type cannot be redefined");
                next();
                p.type = t;
                continue;
            }
            if (w.equals("sticky-address")) {
                next();
                p.sticky = true;
            } else if (w.equals("static-port") && nat) {
                next();
                p.staticPort = true;
            } else {
                break;
            }
        }
        return p;
    }

    // -------------------------------------------------------------- antispoof

    private void antispoof(List<FilterRule> rules) {
        FilterRule.Builder base = new FilterRule.Builder();
        base.file = lexer.fileName();
        base.action = Action.BLOCK;
        base.blockMode = blockReturn ? BlockMode.RETURN : BlockMode.DROP;
        base.direction = Direction.IN;
        logQuick(base);
        expect("for");
        List<String> ifs = new ArrayList<>();
        List<Boolean> dyn = new ArrayList<>();
        if (accept("{")) {
            while (!accept("}")) {
                if (accept(",")) continue;
                boolean d = accept("(");
                ifs.add(ifName());
                if (d) expect(")");
                dyn.add(d);
            }
        } else {
            boolean d = accept("(");
            ifs.add(ifName());
            if (d) expect(")");
            dyn.add(d);
        }
        if (accept("inet")) base.af = Af.INET;
        else if (accept("inet6")) base.af = Af.INET6;
        String label = null;
        if (accept("label")) label = string();
        int line = peek().line();
        if (!atEnd()) throw syntax();
        for (int i = 0; i < ifs.size(); i++) {
            String ifn = ifs.get(i);
            Spec s = new Spec();
            s.r = copy(base);
            s.r.line = line;
            s.labelTemplate = label;
            s.ifs = List.of(new IfItem(ifn, true));
            if (dyn.get(i)) {
                s.src = List.of(new HostItem(false, new Address.Dynamic(ifn, true, false, false, false, -1)));
            } else {
                try {
                    s.src = resolveHost(ifn + ":network", -1, line);
                } catch (SyntaxError e) {
                    error(e.line, e.getMessage());
                    continue;
                }
            }
            expand(s, rules, line);
            if (!dyn.get(i) && !host.isLoopback(ifn)) {
                Spec s2 = new Spec();
                s2.r = copy(base);
                s2.r.line = line;
                s2.labelTemplate = label;
                try {
                    s2.src = resolveHost(ifn, -1, line);
                } catch (SyntaxError e) {
                    continue;
                }
                expand(s2, rules, line);
            }
        }
    }

    private static FilterRule.Builder copy(FilterRule.Builder b) {
        return b.build().toBuilder();
    }

    // --------------------------------------------------------------- expansion

    private Pool pool(List<HostItem> hosts, int[] ports, PoolOpts po, Af af, int line, boolean nat) {
        List<HostItem> usable = new ArrayList<>();
        for (HostItem h : hosts) {
            Af haf = h.addr.af();
            if (af != Af.ANY && haf != Af.ANY && haf != af) continue;
            usable.add(h);
        }
        if (usable.isEmpty()) return null;
        PoolType type = po.type;
        Address addr;
        if (usable.size() > 1) {
            // a list becomes an automatic table, as pfctl does
            List<TableEntry> entries = new ArrayList<>();
            for (HostItem h : usable) {
                if (!(h.addr instanceof Address.Prefix p)) throw new SyntaxError(line, "invalid address in pool");
                entries.add(new TableEntry(false, p.prefix()));
            }
            String name = "__automatic_" + autoTables++;
            decls.add(new Decl.TableDef(name, true, false, false, List.of(new Decl.TableNode.Entries(entries)), true));
            addr = new Address.Table(name);
        } else {
            addr = usable.getFirst().addr;
        }
        if (type == PoolType.NONE && (addr instanceof Address.Table || addr instanceof Address.Dynamic)) {
            type = PoolType.ROUND_ROBIN;
        }
        int p1 = 0, p2 = 0;
        if (ports != null) {
            p1 = ports[0];
            p2 = ports[1];
        } else if (nat && !po.staticPort) {
            p1 = 50001;
            p2 = 65535;
        }
        return new Pool(addr, null, p1, p2, type, po.sticky, po.staticPort);
    }

    private static Af afOf(List<HostItem> hosts) {
        if (hosts == null) return Af.ANY;
        Af af = Af.ANY;
        for (HostItem h : hosts) {
            Af a = h.addr.af();
            if (a == Af.ANY) return Af.ANY;
            if (af == Af.ANY) af = a;
            else if (af != a) return Af.ANY;
        }
        return af;
    }

    private void expand(Spec s, List<FilterRule> rules, int line) {
        FilterRule.Builder r = s.r;
        r.line = line;
        // pass rules keep state unless told otherwise
        if (!s.stateGiven && r.action == Action.PASS && r.anchor == null) r.state = StateType.KEEP;
        if (s.stateGiven && s.state != null) r.stateOptions = stateOptions(s.state);
        else if (!s.stateGiven && r.action == Action.PASS && r.anchor == null && stateDefaults != null) {
            r.stateOptions = stateOptions(stateDefaults);
        }
        if (r.action == Action.PASS && !s.flagsGiven && !r.fragment && r.state != StateType.NONE) {
            r.flags = 0b10;
            r.flagset = 0b10010;
        }
        int flags = r.flags, flagset = r.flagset;
        List<IfItem> ifs = s.ifs.isEmpty() ? java.util.Collections.singletonList(null) : s.ifs;
        List<Integer> protos = s.protos.isEmpty() ? List.of(0) : s.protos;
        List<PortOp> sps = s.srcPorts.isEmpty() ? java.util.Collections.singletonList(null) : s.srcPorts;
        List<PortOp> dps = s.dstPorts.isEmpty() ? java.util.Collections.singletonList(null) : s.dstPorts;
        List<IdOp> uids = s.uids.isEmpty() ? java.util.Collections.singletonList(null) : s.uids;
        List<IdOp> gids = s.gids.isEmpty() ? java.util.Collections.singletonList(null) : s.gids;
        List<int[]> icmps = s.icmp.isEmpty() ? java.util.Collections.singletonList(null) : s.icmp;
        long total = (long) ifs.size() * protos.size() * s.src.size() * sps.size() * s.dst.size() * dps.size()
                * uids.size() * gids.size() * icmps.size();
        if (total > MAX_EXPANSION) {
            error(line, "rule expands to " + total + " rules, more than " + MAX_EXPANSION);
            return;
        }
        // translation pools depend on the family; build them once per family
        Map<Af, Pool[]> pools = new HashMap<>();
        int added = 0;
        for (IfItem ifi : ifs)
            for (int proto : protos)
                for (HostItem src : s.src)
                    for (PortOp sp : sps)
                        for (HostItem dst : s.dst)
                            for (PortOp dp : dps)
                                for (IdOp uid : uids)
                                    for (IdOp gid : gids)
                                        for (int[] icmp : icmps) {
                                            Af af = r.af;
                                            Af sa = src.addr.af(), da = dst.addr.af();
                                            if (af != Af.ANY && sa != Af.ANY && sa != af) continue;
                                            if (af != Af.ANY && da != Af.ANY && da != af) continue;
                                            if (sa != Af.ANY && da != Af.ANY && sa != da) continue;
                                            if (af == Af.ANY) af = sa != Af.ANY ? sa : da;
                                            if (af == Af.ANY && icmp != null && r.anchor == null) {
                                                // icmp6-type implies nothing; pfctl asks for the family
                                            }
                                            FilterRule.Builder b = copy(r);
                                            b.ifname = ifi == null ? null : ifi.name;
                                            b.ifNegated = ifi != null && ifi.neg;
                                            b.proto = proto;
                                            b.src = new AddrMatch(src.neg, src.addr, sp);
                                            b.dst = new AddrMatch(dst.neg, dst.addr, dp);
                                            if (b.ifname == null) {
                                                if (src.addr instanceof Address.Prefix p && p.scope() != null) b.ifname = p.scope();
                                                else if (dst.addr instanceof Address.Prefix p && p.scope() != null) b.ifname = p.scope();
                                            }
                                            b.uid = uid;
                                            b.gid = gid;
                                            if (icmp != null) {
                                                b.icmpType = icmp[0];
                                                b.icmpCode = icmp[1];
                                            }
                                            if (proto != 0 && proto != 6) {
                                                b.flags = 0;
                                                b.flagset = 0;
                                            } else {
                                                b.flags = flags;
                                                b.flagset = flagset;
                                            }
                                            // targets fix the family too
                                            boolean skipCombo = false;
                                            if (s.divertHosts != null) {
                                                IpAddress d = null;
                                                for (HostItem h : s.divertHosts) {
                                                    if (h.addr instanceof Address.Prefix p && (af == Af.ANY || p.af() == af)) {
                                                        d = p.prefix().address();
                                                        break;
                                                    }
                                                }
                                                if (d == null) continue;
                                                if (af == Af.ANY) af = d.v6() ? Af.INET6 : Af.INET;
                                                b.divert = new FilterRule.Divert(FilterRule.Divert.Kind.TO, d, r.divert.port());
                                            }
                                            if (af == Af.ANY && s.routeHosts != null) af = afOf(s.routeHosts);
                                            if (af == Af.ANY && s.natHosts != null && r.afTo == null) af = afOf(s.natHosts);
                                            if (af == Af.ANY && s.rdrHosts != null && r.afTo == null) af = afOf(s.rdrHosts);
                                            b.af = af;
                                            // a rule of one family answers with that family's ICMP only
                                            if (af == Af.INET) b.returnIcmp6 = (1 << 8) | 4;
                                            if (af == Af.INET6) b.returnIcmp = (3 << 8) | 3;
                                            b.src = new AddrMatch(src.neg, canonical(src.addr, af), sp);
                                            b.dst = new AddrMatch(dst.neg, canonical(dst.addr, af), dp);
                                            Pool[] ps = pools.get(af);
                                            if (ps == null) {
                                                Af natAf = r.afTo != null ? r.afTo : af;
                                                ps = new Pool[] {
                                                        s.natHosts == null ? null : pool(s.natHosts, s.natPorts, s.natOpts, natAf, line, true),
                                                        s.rdrHosts == null ? null : pool(s.rdrHosts, s.rdrPorts, s.rdrOpts, natAf, line, false),
                                                        s.routeHosts == null ? null : pool(s.routeHosts, null, s.routeOpts, af, line, false)};
                                                pools.put(af, ps);
                                            }
                                            if ((s.natHosts != null && ps[0] == null) || (s.rdrHosts != null && ps[1] == null)
                                                    || (s.routeHosts != null && ps[2] == null)) {
                                                skipCombo = true;
                                            }
                                            if (skipCombo) continue;
                                            b.nat = ps[0];
                                            b.rdr = ps[1];
                                            b.routePool = ps[2];
                                            if (s.natPorts == null && b.nat != null && b.nat.address() instanceof Address.Prefix np
                                                    && s.binat) {
                                                b.nat = new Pool(np, null, 0, 0, b.nat.type(), b.nat.sticky(), true);
                                            }
                                            int nr = rules.size();
                                            b.number = nr;
                                            b.label = s.labelTemplate == null ? null
                                                    : Printer.expandLabel(s.labelTemplate, b, nr);
                                            if (b.label != null && b.label.isEmpty()) b.label = null;
                                            boolean bad = consistent(b, line);
                                            if (bad) {
                                                error(line, "skipping rule due to errors");
                                                continue;
                                            }
                                            rules.add(b.build());
                                            added++;
                                            if (s.binat && b.nat != null) {
                                                FilterRule.Builder rev = binatReverse(b);
                                                if (rev != null) {
                                                    rev.number = rules.size();
                                                    rules.add(rev.build());
                                                }
                                            }
                                        }
        if (added == 0) error(line, "rule expands to no valid combination");
    }

    /**
     * The one form of an address that prints the same: {@code 0/0} is
     * {@code any} (the family stays on the rule), a scope has moved to the
     * rule's interface, a dynamic mask as wide as the family is no mask.
     */
    private static Address canonical(Address a, Af af) {
        if (a instanceof Address.Prefix p) {
            if (p.prefix().length() == 0 && p.prefix().address().hi() == 0 && p.prefix().address().lo() == 0) {
                return Address.ANY;
            }
            if (p.scope() != null) return new Address.Prefix(p.prefix(), null);
        }
        if (a instanceof Address.Dynamic d && d.mask() >= (af == Af.INET ? 32 : 128)) {
            return new Address.Dynamic(d.ifname(), d.network(), d.broadcast(), d.peer(), d.noAlias(), -1);
        }
        return a;
    }

    /** binat-to: the reverse rule redirects the translated address back to the source. */
    private static FilterRule.Builder binatReverse(FilterRule.Builder b) {
        if (!(b.src.address() instanceof Address.Prefix sp) || !(b.nat.address() instanceof Address.Prefix np)) return null;
        FilterRule.Builder rev = b.build().toBuilder();
        rev.direction = b.direction == Direction.OUT ? Direction.IN : b.direction == Direction.IN ? Direction.OUT : Direction.ANY;
        rev.src = new AddrMatch(false, Address.ANY, null);
        rev.dst = new AddrMatch(false, np, null);
        rev.nat = null;
        rev.rdr = new Pool(sp, null, 0, 0, PoolType.NONE, false, false);
        return rev;
    }

    private StateOptions stateOptions(StateSpec st) {
        Map<Integer, Integer> tm = new HashMap<>(st.timeouts);
        SourceTrack track = SourceTrack.NONE;
        if (st.track) {
            track = st.ruleTrack ? SourceTrack.RULE : SourceTrack.GLOBAL;
            if (st.explicitTrack == SourceTrack.RULE) track = SourceTrack.RULE;
            if (st.rateSeconds > 0 && tm.getOrDefault(Names.TM_SRC_TRACK, 0) < st.rateSeconds) {
                tm.put(Names.TM_SRC_TRACK, (int) st.rateSeconds);
            }
        }
        if (st.max > 0 && !tm.containsKey(Names.TM_ADAPTIVE_START) && !tm.containsKey(Names.TM_ADAPTIVE_END)) {
            int start = (int) (st.max / 10 * 6), end = (int) (st.max / 10 * 12);
            if (start > 0) tm.put(Names.TM_ADAPTIVE_START, start);
            if (end > 0) tm.put(Names.TM_ADAPTIVE_END, end);
        }
        tm.values().removeIf(v -> v == 0);
        return new StateOptions(st.max, st.noSync, st.pflow, track, st.maxSrcStates, st.maxSrcConn, st.rate,
                st.rateSeconds, st.maxSrcNodes, st.overload, st.flush, st.ifBound, st.floating, st.sloppy, tm);
    }

    /** pfctl's rule_consistent(): reports every problem of one expanded rule; true when any. */
    private boolean consistent(FilterRule.Builder r, int line) {
        boolean bad = false;
        boolean tcpudp = r.proto == 6 || r.proto == 17;
        if (!tcpudp && (r.src.port() != null || r.dst.port() != null)) {
            error(line, "port only applies to tcp/udp");
            bad = true;
        }
        if (r.icmpType >= 0 && r.proto != 1 && r.proto != 58) {
            error(line, "icmp-type/code only applies to icmp");
            bad = true;
        }
        if (r.icmpType >= 0 && r.af == Af.ANY) {
            error(line, "must indicate address family with icmp-type/code");
            bad = true;
        }
        if ((r.proto == 1 && r.af == Af.INET6) || (r.proto == 58 && r.af == Af.INET)) {
            error(line, "proto " + (r.proto == 1 ? "icmp" : "icmp6") + " doesn't match address family "
                    + r.af.keyword());
            bad = true;
        }
        if (r.allowOpts && r.action == Action.BLOCK) {
            error(line, "allow-opts can only be specified for pass or match rules");
            bad = true;
        }
        if (r.fragment && (r.src.port() != null || r.dst.port() != null || r.flagset != 0 || r.icmpType >= 0)) {
            error(line, "fragments can be filtered only on IP header fields");
            bad = true;
        }
        if (r.action == Action.BLOCK && r.blockMode == BlockMode.RETURN_RST && r.proto != 6) {
            error(line, "return-rst can only be applied to TCP rules");
            bad = true;
        }
        if (r.stateOptions.maxSrcNodes() != 0 && r.stateOptions.sourceTrack() != SourceTrack.RULE) {
            error(line, "max-src-nodes requires 'source-track rule'");
            bad = true;
        }
        if (r.action != Action.PASS && r.state != StateType.NONE) {
            error(line, "keep state is great, but only for pass rules");
            bad = true;
        }
        if (r.stateOptions.sloppy() && (r.state == StateType.MODULATE || r.state == StateType.SYNPROXY)) {
            error(line, "sloppy state matching cannot be used with synproxy state or modulate state");
            bad = true;
        }
        if (r.state == StateType.SYNPROXY && r.proto != 0 && r.proto != 6) {
            error(line, "synproxy state only applies to tcp");
            bad = true;
        }
        if (r.afTo != null && r.afTo == r.af) {
            error(line, "af-to can only be used with different address families");
            bad = true;
        }
        if ((r.uid != null || r.gid != null) && !tcpudp && r.proto != 0) {
            error(line, "user/group only applies to tcp/udp");
            bad = true;
        }
        if (r.src.address() instanceof Address.Dynamic d && r.af == Af.INET && d.mask() > 32) {
            // pfctl caps the mask of a dynamic address at 32 bits for inet
        }
        return bad;
    }
}
