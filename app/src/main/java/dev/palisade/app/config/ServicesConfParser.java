package dev.palisade.app.config;

import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.services.dnsbl.ReturnCodes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the services statements of palisade.conf, one statement (already
 * split into words, macros expanded) at a time, for {@link PalisadeConf}.
 * Every problem is added to the error list as {@code FILE:LINE: message}
 * and the statement is skipped; {@link #build} checks what needs the whole
 * file (a divert port served twice, two pftabled or metrics statements).
 */
final class ServicesConfParser {

    /** The keywords this parser owns. */
    static final Set<String> KEYWORDS = Set.of("create-tables", "divert", "trap", "pftabled", "metrics", "log");

    private final String file;
    private final List<String> errors;
    private boolean createTables;
    private final List<ServicesConf.TripwireDivert> tripwires = new ArrayList<>();
    private final List<ServicesConf.DnsblDivert> dnsbls = new ArrayList<>();
    private final List<DiverterConfig> payload = new ArrayList<>();
    private final List<ServicesConf.Trap> traps = new ArrayList<>();
    private final Map<Integer, Integer> portLines = new HashMap<>();
    private ServicesConf.Pftabled pftabled;
    private int pftabledLine;
    private ServicesConf.Metrics metrics;
    private int metricsLine;
    private ServicesConf.Log log = ServicesConf.Log.STDOUT;

    ServicesConfParser(String file, List<String> errors) {
        this.file = file;
        this.errors = errors;
    }

    /** A bad statement: the message names the word and what was expected. */
    private static final class Bad extends RuntimeException {
        Bad(String m) {
            super(m, null, false, false);
        }
    }

    /** A cursor over one statement's words. */
    private static final class Words {
        final String kw;
        final List<String> w;
        int i;

        Words(String kw, List<String> w) {
            this.kw = kw;
            this.w = w;
        }

        boolean more() {
            return i < w.size();
        }

        String next(String what) {
            if (i >= w.size()) throw new Bad(kw + ": missing " + what + " at the end of the line");
            return w.get(i++);
        }

        void expect(String word) {
            String got = next("\"" + word + "\"");
            if (!got.equals(word)) throw new Bad(kw + ": expected \"" + word + "\", got \"" + got + "\"");
        }

        long number(String what, long min, long max) {
            String s = next(what);
            try {
                long v = Long.parseLong(s);
                if (v < min || v > max) throw new Bad(kw + ": " + what + " out of range: " + v + " (expected " + min + " to " + max + ")");
                return v;
            } catch (NumberFormatException e) {
                throw new Bad(kw + ": invalid " + what + ": \"" + s + "\" (expected a number from " + min + " to " + max + ")");
            }
        }

        int port(String what) {
            return (int) number(what, 1, 65535);
        }

        String table(String what) {
            String t = next(what);
            String p = TableCommand.tableNameProblem(t);
            if (p != null) throw new Bad(kw + ": " + what + " \"" + t + "\": " + p);
            return t;
        }

        IpAddress address(String what) {
            String s = next(what);
            IpAddress a = IpAddress.tryParse(s);
            if (a == null) throw new Bad(kw + ": invalid " + what + ": \"" + s + "\" (expected an IPv4 or IPv6 address)");
            return a;
        }

        /** One word or a braced list. */
        List<String> list(String what) {
            String first = next(what);
            if (!first.equals("{")) return List.of(first);
            List<String> out = new ArrayList<>();
            while (true) {
                String s = next("} closing the list of " + what);
                if (s.equals("}")) break;
                if (s.equals(",")) continue;
                if (s.equals("{")) throw new Bad(kw + ": nested lists are not allowed");
                out.add(s);
            }
            if (out.isEmpty()) throw new Bad(kw + ": empty list of " + what);
            return out;
        }

        String unknown(String expected) {
            return kw + ": unknown option \"" + w.get(i - 1) + "\": expected " + expected;
        }
    }

    /** Reads one statement; {@code words} excludes the keyword. */
    void statement(int line, String kw, List<String> words) {
        Words c = new Words(kw, words);
        try {
            switch (kw) {
                case "create-tables" -> {
                    String v = c.next("yes or no");
                    if (!v.equals("yes") && !v.equals("no")) throw new Bad("create-tables: expected yes or no, got \"" + v + "\"");
                    createTables = v.equals("yes");
                }
                case "divert" -> divert(line, c);
                case "trap" -> trap(c);
                case "pftabled" -> {
                    if (pftabled != null) throw new Bad("pftabled: given twice (first on line " + pftabledLine + ")");
                    pftabled = pftabled(c);
                    pftabledLine = line;
                }
                case "metrics" -> {
                    if (metrics != null) throw new Bad("metrics: given twice (first on line " + metricsLine + ")");
                    c.expect("listen");
                    c.expect("on");
                    IpAddress a = c.address("listen address");
                    c.expect("port");
                    metrics = new ServicesConf.Metrics(a, c.port("port"));
                    metricsLine = line;
                }
                case "log" -> log = log(c);
                default -> throw new IllegalStateException("not a services keyword: " + kw);
            }
            if (c.more()) throw new Bad(kw + ": unexpected \"" + c.w.get(c.i) + "\" at the end of the statement");
        } catch (Bad e) {
            errors.add(file + ":" + line + ": " + e.getMessage());
        }
    }

    private void claimPort(int line, int port) {
        Integer first = portLines.putIfAbsent(port, line);
        if (first != null) throw new Bad("divert port " + port + " is already served by the diverter on line " + first);
    }

    private void divert(int line, Words c) {
        int port = c.port("divert port");
        String type = c.next("diverter type (tripwire or dnsbl)");
        switch (type) {
            case "tripwire" -> {
                String table = null;
                long lifetime = 0;
                while (c.more()) {
                    switch (c.next("option")) {
                        case "table" -> table = c.table("table");
                        case "lifetime" -> lifetime = c.number("lifetime", 1, 0xffffffffL);
                        default -> throw new Bad(c.unknown("table or lifetime"));
                    }
                }
                if (table == null) throw new Bad("divert " + port + " tripwire: missing table \"NAME\"");
                claimPort(line, port);
                tripwires.add(new ServicesConf.TripwireDivert(port, table, lifetime));
            }
            case "dnsbl" -> {
                String black = null, cache = null, codes = "127.0.0.2-127.0.0.254";
                List<String> zones = List.of("zen.spamhaus.org");
                IpAddress resolver = null;
                int rport = 53;
                long timeout = 2000, bl = 86400, cl = 3600;
                boolean failClosed = false;
                while (c.more()) {
                    switch (c.next("option")) {
                        case "black" -> black = c.table("black table");
                        case "cache" -> cache = c.table("cache table");
                        case "zones" -> zones = c.list("zones");
                        case "resolver" -> resolver = c.address("resolver address");
                        case "port" -> rport = c.port("resolver port");
                        case "timeout" -> timeout = c.number("timeout (seconds)", 1, 60) * 1000;
                        case "black-lifetime" -> bl = c.number("black-lifetime", 1, 0xffffffffL);
                        case "cache-lifetime" -> cl = c.number("cache-lifetime", 1, 0xffffffffL);
                        case "fail-closed" -> failClosed = true;
                        case "codes" -> {
                            codes = c.next("return codes");
                            try {
                                ReturnCodes.parse(codes);
                            } catch (IllegalArgumentException e) {
                                throw new Bad("divert " + port + " dnsbl: codes: " + e.getMessage());
                            }
                        }
                        default -> throw new Bad(c.unknown("black, cache, zones, resolver, port, timeout, black-lifetime, "
                                + "cache-lifetime, fail-closed or codes"));
                    }
                }
                if (black == null || cache == null) throw new Bad("divert " + port + " dnsbl: needs black \"TABLE\" and cache \"TABLE\"");
                if (black.equals(cache)) throw new Bad("divert " + port + " dnsbl: black and cache must be different tables, both are \"" + black + "\"");
                claimPort(line, port);
                dnsbls.add(new ServicesConf.DnsblDivert(port, black, cache, zones, resolver, rport, timeout, bl, cl, failClosed, codes));
            }
            default -> throw new Bad("divert " + port + ": unknown diverter \"" + type
                    + "\": expected tripwire or dnsbl (payload diverters are diverter \"TYPE\" port N { ... } blocks)");
        }
    }

    private void trap(Words c) {
        c.expect("listen");
        c.expect("on");
        List<IpAddress> addrs = new ArrayList<>();
        for (String s : c.list("listen addresses")) {
            IpAddress a = IpAddress.tryParse(s);
            if (a == null) throw new Bad("trap: invalid listen address: \"" + s + "\" (expected an IPv4 or IPv6 address)");
            addrs.add(a);
        }
        int port = 2507;
        String table = "iblocked";
        long lifetime = 0;
        int backlog = 1024;
        while (c.more()) {
            switch (c.next("option")) {
                case "port" -> port = c.port("port");
                case "table" -> table = c.table("table");
                case "lifetime" -> lifetime = c.number("lifetime", 1, 0xffffffffL);
                case "backlog" -> backlog = (int) c.number("backlog", 1, 65535);
                default -> throw new Bad(c.unknown("port, table, lifetime or backlog"));
            }
        }
        traps.add(new ServicesConf.Trap(addrs, port, table, lifetime, backlog));
    }

    private static ServicesConf.Pftabled pftabled(Words c) {
        IpAddress addr = null;
        int port = 56789;
        Path key = null;
        long lifetime = 0;
        String table = null;
        boolean v3 = false;
        while (c.more()) {
            switch (c.next("option")) {
                case "listen" -> {
                    c.expect("on");
                    String s = c.next("listen address");
                    if (!s.equals("any")) {
                        addr = IpAddress.tryParse(s);
                        if (addr == null) throw new Bad("pftabled: invalid listen address: \"" + s + "\" (expected an IPv4 or IPv6 address, or any)");
                    }
                }
                case "port" -> port = c.port("port");
                case "key" -> key = Path.of(c.next("key file"));
                case "lifetime" -> lifetime = c.number("lifetime", 1, 0xffffffffL);
                case "table" -> table = c.table("table");
                case "v3-only" -> v3 = true;
                default -> throw new Bad(c.unknown("listen on, port, key, lifetime, table or v3-only"));
            }
        }
        return new ServicesConf.Pftabled(addr, port, key, lifetime, table, v3);
    }

    private static ServicesConf.Log log(Words c) {
        String kind = c.next("stdout or syslog");
        if (kind.equals("stdout")) return ServicesConf.Log.STDOUT;
        if (!kind.equals("syslog")) throw new Bad("log: expected stdout or syslog, got \"" + kind + "\"");
        String host = "127.0.0.1";
        int port = 514;
        String facility = "DAEMON";
        while (c.more()) {
            switch (c.next("option")) {
                case "host" -> host = c.next("syslog host");
                case "port" -> port = c.port("syslog port");
                case "facility" -> {
                    facility = c.next("facility").toUpperCase(java.util.Locale.ROOT);
                    if (!facility.matches("KERN|USER|MAIL|DAEMON|AUTH|SYSLOG|LPR|NEWS|UUCP|CRON|AUTHPRIV|FTP|LOCAL[0-7]")) {
                        throw new Bad("log: unknown syslog facility \"" + facility.toLowerCase(java.util.Locale.ROOT)
                                + "\": expected daemon, auth, authpriv, local0 to local7, ...");
                    }
                }
                default -> throw new Bad(c.unknown("host, port or facility"));
            }
        }
        return new ServicesConf.Log(true, host, port, facility);
    }

    /** A payload diverter block read by the payload diverters' parser. */
    void payload(List<DiverterConfig> blocks) {
        for (DiverterConfig d : blocks) {
            Integer first = portLines.putIfAbsent(d.port(), d.line());
            if (first != null) {
                errors.add(file + ":" + d.line() + ": divert port " + d.port() + " is already served by the diverter on line " + first);
            } else {
                payload.add(d);
            }
        }
    }

    ServicesConf build() {
        return new ServicesConf(createTables, tripwires, dnsbls, payload, traps, pftabled, metrics, log);
    }
}
