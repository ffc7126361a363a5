package dev.palisade.core.lang;

import dev.palisade.core.net.IpAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The host facts that expansion depends on: interfaces and their addresses
 * (in the order the host reports them, which shows in expanded output),
 * interface groups, users, groups and what the resolver answers. The core
 * never asks the OS; the app builds a profile of the real host, tests use
 * the text format of {@code regress-host.profile}:
 *
 * <pre>
 *   interface NAME [ADDRESS/PREFIX ...]
 *   ifgroup   NAME MEMBER ...
 *   user      NAME UID
 *   group     NAME GID
 *   host      NAME ADDRESS ...
 * </pre>
 */
public final class HostProfile {

    /** An interface address with its prefix length; peer is the point-to-point peer or null. */
    public record IfAddress(IpAddress address, int prefixLen, IpAddress peer) {
        public IfAddress {
            Objects.requireNonNull(address, "address");
            if (prefixLen < 0 || prefixLen > address.bits()) {
                throw new IllegalArgumentException("prefix length " + prefixLen + " out of range for " + address);
            }
        }

        /** IPv6 link-local: scoped to its interface, skipped by {@code :network}. */
        public boolean scoped() {
            return address.v6() && (address.hi() >>> 54) == (0xfe80L >>> 6);
        }
    }

    private final Map<String, List<IfAddress>> interfaces;
    private final Map<String, List<String>> groups;
    private final Map<String, Long> users;
    private final Map<String, Long> groupIds;
    private final Function<String, List<IpAddress>> resolver;

    public HostProfile(Map<String, List<IfAddress>> interfaces, Map<String, List<String>> groups,
                       Map<String, Long> users, Map<String, Long> groupIds,
                       Function<String, List<IpAddress>> resolver) {
        this.interfaces = copy(interfaces);
        this.groups = copy(groups);
        this.users = Map.copyOf(users);
        this.groupIds = Map.copyOf(groupIds);
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    private static <T> Map<String, List<T>> copy(Map<String, List<T>> m) {
        Map<String, List<T>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    /** A host with no interfaces, users or names: every lookup fails. */
    public static HostProfile empty() {
        return new HostProfile(Map.of(), Map.of(), Map.of(), Map.of(), n -> List.of());
    }

    /** Parses the profile text format; {@code name} is used in error messages. */
    public static HostProfile parse(String text, String name) {
        Map<String, List<IfAddress>> ifs = new LinkedHashMap<>();
        Map<String, List<String>> grps = new LinkedHashMap<>();
        Map<String, Long> us = new LinkedHashMap<>();
        Map<String, Long> gs = new LinkedHashMap<>();
        Map<String, List<IpAddress>> hosts = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) line = line.substring(0, hash);
            line = line.strip();
            if (line.isEmpty()) continue;
            String[] f = line.split("\\s+");
            String where = name + ":" + (i + 1) + ": ";
            try {
                switch (f[0]) {
                    case "interface" -> {
                        need(f, 2, where);
                        List<IfAddress> addrs = new ArrayList<>();
                        for (int j = 2; j < f.length; j++) {
                            int slash = f[j].indexOf('/');
                            if (slash < 0) throw new IllegalArgumentException("expected ADDRESS/PREFIX, got " + f[j]);
                            addrs.add(new IfAddress(IpAddress.parse(f[j].substring(0, slash)),
                                    Integer.parseInt(f[j].substring(slash + 1)), null));
                        }
                        ifs.put(f[1], addrs);
                    }
                    case "ifgroup" -> {
                        need(f, 2, where);
                        grps.put(f[1], List.of(f).subList(2, f.length));
                    }
                    case "user" -> {
                        need(f, 3, where);
                        us.put(f[1], Long.parseLong(f[2]));
                    }
                    case "group" -> {
                        need(f, 3, where);
                        gs.put(f[1], Long.parseLong(f[2]));
                    }
                    case "host" -> {
                        need(f, 3, where);
                        List<IpAddress> a = new ArrayList<>();
                        for (int j = 2; j < f.length; j++) a.add(IpAddress.parse(f[j]));
                        hosts.put(f[1], a);
                    }
                    default -> throw new IllegalArgumentException(
                            "unknown fact \"" + f[0] + "\": expected interface, ifgroup, user, group or host");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith(name) ? e.getMessage() : where + e.getMessage(), e);
            }
        }
        Map<String, List<IpAddress>> h = Map.copyOf(hosts);
        return new HostProfile(ifs, grps, us, gs, n -> h.getOrDefault(n, List.of()));
    }

    private static void need(String[] f, int n, String where) {
        if (f.length < n) throw new IllegalArgumentException(where + "\"" + f[0] + "\" needs at least " + (n - 1) + " values");
    }

    /** Interfaces in host order. */
    public Map<String, List<IfAddress>> interfaces() {
        return interfaces;
    }

    public Map<String, List<String>> groups() {
        return groups;
    }

    /** Whether NAME is an interface, an interface group or {@code self}. */
    public boolean isInterface(String name) {
        return interfaces.containsKey(name) || groups.containsKey(name) || name.equals("self");
    }

    /** Loopback: the interfaces of group {@code lo}, or named lo/loN. */
    public boolean isLoopback(String ifname) {
        List<String> lo = groups.get("lo");
        return (lo != null && lo.contains(ifname)) || ifname.matches("lo[0-9]*");
    }

    /**
     * The addresses of an interface, of every member of a group, or of every
     * interface for {@code self}, as (interface, address) pairs in host order.
     */
    public List<Map.Entry<String, IfAddress>> addressesOf(String name) {
        List<String> names;
        if (name.equals("self")) names = List.copyOf(interfaces.keySet());
        else if (interfaces.containsKey(name)) names = List.of(name);
        else names = groups.getOrDefault(name, List.of());
        List<Map.Entry<String, IfAddress>> out = new ArrayList<>();
        for (String n : names) {
            for (IfAddress a : interfaces.getOrDefault(n, List.of())) out.add(Map.entry(n, a));
        }
        return out;
    }

    public Long uid(String user) {
        return users.get(user);
    }

    public Long gid(String group) {
        return groupIds.get(group);
    }

    /** What the resolver answers for NAME, in its order; empty when nothing. */
    public List<IpAddress> resolve(String name) {
        List<IpAddress> r = resolver.apply(name);
        return r == null ? List.of() : r;
    }
}
