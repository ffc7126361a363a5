package dev.palisade.kernel.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.net.IpAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** RTM_NEWADDR messages as the kernel sends them, decoded into interface addresses. */
class RtAddressesTest {

    private static ByteBuffer addr(int family, int plen, byte[] address, byte[] local) {
        NlMsg m = new NlMsg(128);
        int s = m.begin(RtAddresses.RTM_NEWADDR, 0, 1);
        m.raw((byte) family, (byte) plen, (byte) 0, (byte) 0, (byte) 7, (byte) 0, (byte) 0, (byte) 0);
        if (address != null) m.attr(RtAddresses.IFA_ADDRESS, address);
        if (local != null) m.attr(RtAddresses.IFA_LOCAL, local);
        m.end(s);
        return m.buffer();
    }

    private static HostProfile.IfAddress parse(ByteBuffer b) {
        return RtAddresses.parseAddr(b, 0, b.getInt(0));
    }

    @Test
    void ipv4BroadcastInterfaceHasLocalEqualToAddress() {
        byte[] a = IpAddress.parse("10.1.2.3").toBytes();
        HostProfile.IfAddress ia = parse(addr(2, 24, a, a));
        assertEquals(new HostProfile.IfAddress(IpAddress.parse("10.1.2.3"), 24, null), ia);
    }

    @Test
    void pointToPointAddressIsLocalAndThePeerIsAddress() {
        HostProfile.IfAddress ia = parse(addr(2, 32, IpAddress.parse("10.9.9.9").toBytes(),
                IpAddress.parse("10.1.2.3").toBytes()));
        assertEquals(new HostProfile.IfAddress(IpAddress.parse("10.1.2.3"), 32, IpAddress.parse("10.9.9.9")), ia);
    }

    @Test
    void ipv6HasOnlyAddress() {
        HostProfile.IfAddress ia = parse(addr(10, 64, IpAddress.parse("2001:db8::1").toBytes(), null));
        assertEquals(new HostProfile.IfAddress(IpAddress.parse("2001:db8::1"), 64, null), ia);
    }

    @Test
    void otherFamiliesWrongLengthsAndTruncationGiveNothing() {
        assertNull(parse(addr(7, 24, new byte[4], null)), "not IPv4/IPv6");
        assertNull(parse(addr(2, 24, new byte[16], null)), "IPv6-sized address in an IPv4 message");
        assertNull(parse(addr(2, 40, new byte[4], null)), "prefix longer than the family");
        assertNull(parse(addr(2, 24, null, null)), "no address at all");
        ByteBuffer b = addr(2, 24, new byte[4], null);
        assertNull(RtAddresses.parseAddr(b, 0, 20), "truncated header");
    }
}
