package dev.palisade.services.payload.ns;

import dev.palisade.kernel.netlink.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends whole IPv4 packets through a raw socket ({@code IPPROTO_RAW}: the
 * kernel takes our header as is) opened in a namespace: the test's
 * {@link dev.palisade.core.divert.DiverterContext.PacketInjector}, standing
 * in for palisaded's.
 */
final class RawInjector implements AutoCloseable {

    private static final int IPPROTO_RAW = 255;
    private final int fd;
    final AtomicInteger sent = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    private RawInjector(int fd) {
        this.fd = fd;
    }

    static RawInjector in(NsPair ns, String netns) throws Exception {
        return ns.in(netns, () -> new RawInjector(Libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, IPPROTO_RAW)));
    }

    /** Sends one IPv4 packet to its destination address; counts failures instead of throwing (never blocks the diverter). */
    void inject(byte[] packet) {
        if (packet.length < 20 || (packet[0] & 0xf0) != 0x40) {
            failed.incrementAndGet();
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(packet.length);
            MemorySegment.copy(packet, 0, buf, ValueLayout.JAVA_BYTE, 0, packet.length);
            MemorySegment sin = arena.allocate(16);
            sin.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
            MemorySegment.copy(packet, 16, sin, ValueLayout.JAVA_BYTE, 4, 4);
            Libc.sendto(fd, buf, packet.length, Libc.MSG_DONTWAIT, sin, 16);
            sent.incrementAndGet();
        } catch (Exception e) {
            failed.incrementAndGet();
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
