package dev.palisade.core.lang;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenBSD's name tables, one each, shared by lexer, parser and printer:
 * protocols ({@code /etc/protocols}), services ({@code /etc/services}), ICMP
 * and ICMPv6 types and codes (pfctl's tables), and pf's timeout names.
 *
 * <p>Why bundled: pfctl's output depends on these files; Linux has other
 * names ({@code ipv6-icmp} vs {@code icmp6}, different service aliases). The
 * facts live in resources next to this class, loaded once.
 */
public final class Names {

    /** pf's timeout names in PFTM order (the order the printer walks). */
    public static final List<String> TIMEOUTS = List.of(
            "tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait", "tcp.closed",
            "udp.first", "udp.single", "udp.multiple", "icmp.first", "icmp.error",
            "other.first", "other.single", "other.multiple", "frag", "interval",
            "adaptive.start", "adaptive.end", "src.track");

    /** Index of a timeout in {@link #TIMEOUTS}. */
    public static final int TM_ADAPTIVE_START = 16, TM_ADAPTIVE_END = 17, TM_SRC_TRACK = 18;

    /** pf's limit names. */
    public static final List<String> LIMITS = List.of(
            "states", "src-nodes", "frags", "tables", "table-entries", "pktdelay-pkts", "anchors");

    private static final Map<String, Integer> PROTO_BY_NAME = new HashMap<>();
    private static final String[] PROTO_BY_NUMBER = new String[256];
    private static final Map<String, Integer> SERVICE_TCP = new HashMap<>();
    private static final Map<String, Integer> SERVICE_UDP = new HashMap<>();
    /** [af 0=v4,1=v6]: name to type, and type to first name. */
    private static final List<Map<String, Integer>> ICMP_TYPE = List.of(new HashMap<>(), new HashMap<>());
    private static final List<Map<Integer, String>> ICMP_TYPE_NAME = List.of(new HashMap<>(), new HashMap<>());
    /** key type*256+code. */
    private static final List<Map<String, Integer>> ICMP_CODE = List.of(new HashMap<>(), new HashMap<>());
    private static final List<Map<Integer, String>> ICMP_CODE_NAME = List.of(new HashMap<>(), new HashMap<>());

    static {
        for (String[] f : read("protocols")) {
            int n = Integer.parseInt(f[1]);
            if (PROTO_BY_NUMBER[n] == null) PROTO_BY_NUMBER[n] = f[0];
            PROTO_BY_NAME.putIfAbsent(f[0], n);
            for (int i = 2; i < f.length; i++) PROTO_BY_NAME.putIfAbsent(f[i], n);
        }
        for (String[] f : read("services")) {
            String[] pp = f[1].split("/");
            int port = Integer.parseInt(pp[0]);
            Map<String, Integer> m = pp[1].equals("tcp") ? SERVICE_TCP : SERVICE_UDP;
            for (int i = 0; i < f.length; i++) {
                if (i == 1) continue;
                m.putIfAbsent(f[i], port);
            }
        }
        for (String[] f : read("icmp")) {
            int af = f[1].equals("6") ? 1 : 0;
            if (f[0].equals("type")) {
                int t = Integer.parseInt(f[3]);
                ICMP_TYPE.get(af).putIfAbsent(f[2], t);
                ICMP_TYPE_NAME.get(af).putIfAbsent(t, f[2]);
            } else {
                int t = Integer.parseInt(f[2]);
                int c = Integer.parseInt(f[4]);
                ICMP_CODE.get(af).putIfAbsent(f[3], t * 256 + c);
                ICMP_CODE_NAME.get(af).putIfAbsent(t * 256 + c, f[3]);
            }
        }
    }

    private Names() {
    }

    private static List<String[]> read(String resource) {
        List<String[]> out = new ArrayList<>();
        try (InputStream in = Names.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                int hash = line.indexOf('#');
                if (hash >= 0) line = line.substring(0, hash);
                line = line.strip();
                if (!line.isEmpty()) out.add(line.split("\\s+"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Protocol number for a name or alias, or -1. */
    public static int protocolNumber(String name) {
        Integer n = PROTO_BY_NAME.get(name);
        return n == null ? -1 : n;
    }

    /** Protocol name for a number, or null when OpenBSD has none. */
    public static String protocolName(int number) {
        return number >= 0 && number < 256 ? PROTO_BY_NUMBER[number] : null;
    }

    /** Port of a service name as pfctl looks it up (tcp first, then udp), or -1. */
    public static int servicePort(String name) {
        Integer p = SERVICE_TCP.get(name);
        if (p == null) p = SERVICE_UDP.get(name);
        return p == null ? -1 : p;
    }

    /** ICMP type by name for an address family (6 for ICMPv6), or -1. */
    public static int icmpType(String name, boolean v6) {
        Integer t = ICMP_TYPE.get(v6 ? 1 : 0).get(name);
        return t == null ? -1 : t;
    }

    public static String icmpTypeName(int type, boolean v6) {
        return ICMP_TYPE_NAME.get(v6 ? 1 : 0).get(type);
    }

    /** ICMP code by name: returns type*256+code, or -1. */
    public static int icmpCode(String name, boolean v6) {
        Integer c = ICMP_CODE.get(v6 ? 1 : 0).get(name);
        return c == null ? -1 : c;
    }

    public static String icmpCodeName(int type, int code, boolean v6) {
        return ICMP_CODE_NAME.get(v6 ? 1 : 0).get(type * 256 + code);
    }

    public static int timeoutIndex(String name) {
        return TIMEOUTS.indexOf(name);
    }
}
