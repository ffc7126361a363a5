package dev.palisade.app.host;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.net.IpAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real host's facts for expansion: interfaces and addresses
 * ({@link NetworkInterface}), the {@code egress} group (interfaces of the
 * default routes, from /proc/net/route and /proc/net/ipv6_route), users
 * (/etc/passwd), groups (/etc/group) and the system resolver. The resolver
 * is asked only for names that are neither addresses nor interfaces.
 */
public final class LinuxHostProfile {
    private LinuxHostProfile() {
    }

    public static HostProfile load() {
        Map<String, List<HostProfile.IfAddress>> ifs = new LinkedHashMap<>();
        try {
            List<NetworkInterface> list = Collections.list(NetworkInterface.getNetworkInterfaces());
            list.sort((a, b) -> Integer.compare(a.getIndex(), b.getIndex()));
            for (NetworkInterface ni : list) {
                List<HostProfile.IfAddress> addrs = new ArrayList<>();
                for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
                    IpAddress a = IpAddress.ofBytes(ia.getAddress().getAddress());
                    int len = ia.getNetworkPrefixLength();
                    if (len < 0 || len > a.bits()) len = a.bits();
                    addrs.add(new HostProfile.IfAddress(a, len, null));
                }
                ifs.put(ni.getName(), addrs);
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list network interfaces: " + e.getMessage(), e);
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        List<String> egress = egress();
        if (!egress.isEmpty()) groups.put("egress", egress);
        return new HostProfile(ifs, groups, ids(Path.of("/etc/passwd")), ids(Path.of("/etc/group")),
                LinuxHostProfile::resolve);
    }

    private static List<String> egress() {
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/net/route"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 2 && f[1].equals("00000000") && !out.contains(f[0])) out.add(f[0]);
            }
        } catch (IOException e) {
            // no IPv4 routing table: no IPv4 egress
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/net/ipv6_route"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 10 && f[0].equals("00000000000000000000000000000000") && f[1].equals("00")
                        && !f[9].equals("lo") && !out.contains(f[9])) {
                    out.add(f[9]);
                }
            }
        } catch (IOException e) {
            // no IPv6
        }
        return out;
    }

    private static Map<String, Long> ids(Path file) {
        Map<String, Long> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].matches("[0-9]{1,10}")) m.putIfAbsent(f[0], Long.parseLong(f[2]));
            }
        } catch (IOException e) {
            // no such file: no names
        }
        return m;
    }

    private static List<IpAddress> resolve(String name) {
        try {
            List<IpAddress> out = new ArrayList<>();
            for (InetAddress a : InetAddress.getAllByName(name)) out.add(IpAddress.ofBytes(a.getAddress()));
            return out;
        } catch (UnknownHostException e) {
            return List.of();
        }
    }
}
