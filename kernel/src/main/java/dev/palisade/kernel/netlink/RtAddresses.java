package dev.palisade.kernel.netlink;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.net.IpAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interfaces' addresses over rtnetlink, and a watch on their changes.
 *
 * <p>Why this shape: pf's {@code (if)} addresses follow the interface; on
 * Linux the kernel announces every address change on the rtnetlink multicast
 * groups {@code RTNLGRP_IPV4_IFADDR} and {@code RTNLGRP_IPV6_IFADDR}. An
 * event only says "something changed": the watch then dumps every link and
 * address again ({@code RTM_GETLINK}, {@code RTM_GETADDR}) on its own socket,
 * so a lost event ({@code ENOBUFS}) or a burst of them costs one dump and the
 * answer is always the whole current state, never a replay of deltas.
 */
public final class RtAddresses implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("palisaded.kernel");

    static final int RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22;
    static final int IFA_ADDRESS = 1, IFA_LOCAL = 2;
    static final int IFLA_IFNAME = 3;
    /** Multicast groups (numbers; the bind mask bit is {@code 1 << (n - 1)}). */
    public static final int RTNLGRP_LINK = 1, RTNLGRP_IPV4_IFADDR = 5, RTNLGRP_IPV6_IFADDR = 9;

    private final NetlinkSocket dumps;
    private final NetlinkSocket events;
    private final Thread thread;
    private volatile boolean closed;

    private RtAddresses(NetlinkSocket dumps, NetlinkSocket events, Runnable onChange) {
        this.dumps = dumps;
        this.events = events;
        this.thread = events == null ? null
                : Thread.ofPlatform().name("palisaded-ifaddr").daemon(true).unstarted(() -> watch(onChange));
    }

    /** A dump socket only (no watch), in network namespace {@code netns} (null: the current one). */
    public static RtAddresses open(String netns) throws Exception {
        return new RtAddresses(NetlinkSocket.open(netns, NetlinkSocket.NETLINK_ROUTE, 0), null, null);
    }

    /**
     * Opens the dump socket and a socket on the address and link groups; {@code onChange}
     * runs on the watch thread after each burst of events (read {@link #interfaces()} there).
     */
    public static RtAddresses watch(String netns, Runnable onChange) throws Exception {
        NetlinkSocket d = NetlinkSocket.open(netns, NetlinkSocket.NETLINK_ROUTE, 0);
        NetlinkSocket e;
        try {
            int groups = bit(RTNLGRP_LINK) | bit(RTNLGRP_IPV4_IFADDR) | bit(RTNLGRP_IPV6_IFADDR);
            e = NetlinkSocket.open(netns, NetlinkSocket.NETLINK_ROUTE, groups);
            e.receiveTimeout(500);
        } catch (Exception ex) {
            d.close();
            throw ex;
        }
        RtAddresses r = new RtAddresses(d, e, onChange);
        r.thread.start();
        return r;
    }

    private static int bit(int group) {
        return 1 << (group - 1);
    }

    /**
     * Every interface by name (in index order) with its addresses in the
     * kernel's order; for a point-to-point address the peer is set.
     */
    public synchronized Map<String, List<HostProfile.IfAddress>> interfaces() throws ErrnoException {
        Map<Integer, String> names = new TreeMap<>();
        dump(RTM_GETLINK, 16, "RTM_GETLINK", (b, off, len) -> {
            if (NlMsg.msgType(b, off) != RTM_NEWLINK) return;
            int body = off + NlMsg.NLMSG_HDRLEN;
            int index = b.getInt(body + 4);
            NlAttrs a = NlAttrs.parse(b, body + 16, off + len, IFLA_IFNAME);
            String name = a.string(IFLA_IFNAME);
            if (name != null) names.put(index, name);
        });
        Map<Integer, List<HostProfile.IfAddress>> byIndex = new LinkedHashMap<>();
        dump(RTM_GETADDR, 8, "RTM_GETADDR", (b, off, len) -> {
            if (NlMsg.msgType(b, off) != RTM_NEWADDR) return;
            HostProfile.IfAddress ia = parseAddr(b, off, len);
            if (ia != null) byIndex.computeIfAbsent(b.getInt(off + NlMsg.NLMSG_HDRLEN + 4), k -> new ArrayList<>()).add(ia);
        });
        Map<String, List<HostProfile.IfAddress>> out = new LinkedHashMap<>();
        names.forEach((i, n) -> out.put(n, byIndex.getOrDefault(i, List.of())));
        return out;
    }

    /**
     * One {@code RTM_NEWADDR} message as an interface address: {@code IFA_LOCAL} is the
     * address when present (then a different {@code IFA_ADDRESS} is the peer), else {@code IFA_ADDRESS}.
     * Null for a family other than IPv4/IPv6 or a truncated message.
     */
    static HostProfile.IfAddress parseAddr(ByteBuffer b, int off, int len) {
        int body = off + NlMsg.NLMSG_HDRLEN;
        if (len < NlMsg.NLMSG_HDRLEN + 8) return null;
        int family = b.get(body) & 0xff;
        int plen = b.get(body + 1) & 0xff;
        int alen = family == 2 ? 4 : family == 10 ? 16 : -1;
        if (alen < 0) return null;
        NlAttrs a = NlAttrs.parse(b, body + 8, off + len, IFA_LOCAL);
        byte[] address = a.bytes(IFA_ADDRESS), local = a.bytes(IFA_LOCAL);
        if (address != null && address.length != alen) address = null;
        if (local != null && local.length != alen) local = null;
        if (address == null && local == null) return null;
        IpAddress self = IpAddress.ofBytes(local != null ? local : address);
        IpAddress peer = local != null && address != null ? IpAddress.ofBytes(address) : null;
        if (peer != null && peer.equals(self)) peer = null;
        if (plen > self.bits()) return null;
        return new HostProfile.IfAddress(self, plen, peer);
    }

    private void dump(int type, int bodyLen, String what, NetlinkSocket.MessageVisitor v) throws ErrnoException {
        NlMsg m = new NlMsg(64);
        int seq = dumps.nextSeq();
        int s = m.begin(type, NlMsg.NLM_F_REQUEST | NlMsg.NLM_F_DUMP, seq);
        m.raw(new byte[bodyLen]);
        m.end(s);
        dumps.send(m);
        dumps.readDump(seq, what, v);
    }

    private void watch(Runnable onChange) {
        while (!closed) {
            ByteBuffer b;
            try {
                b = events.receive(false);
                if (b == null && events.lastError() != Errno.ENOBUFS) continue; // timeout: look at closed again
                while (events.receive(true) != null) {
                    // drain the burst: one dump answers all of it
                }
            } catch (ErrnoException e) {
                if (!closed) log.error("rtnetlink address events: {}", e.getMessage());
                return;
            }
            try {
                onChange.run();
            } catch (RuntimeException e) {
                log.error("address change handler failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (events != null) events.close();
        dumps.close();
    }
}
