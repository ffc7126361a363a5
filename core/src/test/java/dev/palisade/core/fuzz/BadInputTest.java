package dev.palisade.core.fuzz;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.packet.Checksums;
import dev.palisade.core.packet.DecodeCounters;
import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import dev.palisade.core.packet.PacketBuilder;
import dev.palisade.core.pcap.CaptureException;
import dev.palisade.core.pcap.CaptureReader;
import dev.palisade.core.pcap.CaptureRecord;
import dev.palisade.core.pcap.LinkType;
import dev.palisade.core.pcap.PcapWriter;
import dev.palisade.core.state.StateOptions;
import dev.palisade.core.state.StateTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bad input never throws: the packet decoder (and what runs on its output:
 * checksums, builders, the state table) and the capture reader, over seeded
 * mutations that every build runs. {@link DecoderFuzzTest} gives the same
 * checks to Jazzer.
 */
class BadInputTest {
    private static final StateTable STATES = new StateTable(10_000, dev.palisade.core.state.Timeouts.defaults(),
            InstantSource.fixed(java.time.Instant.EPOCH), new Random(1));

    /** Everything that may touch an untrusted packet; throws only on a bug. */
    static void exercisePacket(byte[] data) {
        Packet p = new Packet();
        Malformed m = p.decode(data, 0, data.length);
        assertNotNull(m);
        p.toString();
        if (p.ok()) {
            assertTrue(p.ipLength() <= data.length);
            if (p.transportOffset() >= 0) assertTrue(p.transportOffset() <= data.length);
            if (p.payloadOffset() >= 0) assertTrue(p.payloadOffset() + p.payloadLength() <= data.length, p::toString);
            Packet e = p.embedded();
            if (e != null) e.toString();
            if (p.hasTransport() && !p.isFragment() && p.proto() != 0) {
                if (p.proto() == 6 || p.proto() == 17 || p.proto() == 1 || p.proto() == 58) {
                    if ((p.proto() == 1) == !p.v6() || p.proto() == 6 || p.proto() == 17) Checksums.transportOk(p);
                }
            }
            if (PacketBuilder.canReturnRst(p)) PacketBuilder.tcpReset(p, 64);
            if (PacketBuilder.canReturnIcmp(p)) PacketBuilder.icmpUnreachable(p, p.v6() ? 1 : 3, p.v6() ? 4 : 3, 64);
            synchronized (STATES) {
                STATES.test(p, true, 1);
                if (STATES.create(p, true, 1, StateOptions.keep(0)) >= 0 && STATES.size() > 5000) STATES.clear();
                p.decode(data, 0, data.length);
                STATES.test(p, false, 1);
            }
        }
        byte[] copy = data.clone();
        Checksums.fixChecksums(copy);
    }

    /** Reads a capture to its end; only CaptureException may come out. */
    static long exerciseCapture(byte[] data) {
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(data), "fuzz.pcap")) {
            CaptureRecord rec = new CaptureRecord();
            Packet p = new Packet();
            long n = 0;
            while (r.next(rec)) {
                n++;
                assertTrue(rec.length() <= rec.data().length);
                int ip = rec.ipOffset();
                if (ip >= 0) p.decode(rec.data(), ip, rec.length() - ip);
            }
            return n;
        } catch (CaptureException e) {
            assertTrue(e.getMessage().startsWith("fuzz.pcap: offset "), e::getMessage);
            return -1;
        } catch (IOException e) {
            throw new AssertionError("unexpected I/O error type", e);
        }
    }

    static List<byte[]> seeds() {
        byte[] t = v4(6, "10.0.0.1", "10.0.0.2", tcp(1, 2, 3, 4, 0x12, 5, bytes(2, 4, 5, 0xb4, 1, 3, 3, 7), new byte[9]));
        byte[] u6 = v6(0, "2001:db8::1", "2001:db8::2", cat(bytes(44, 0, 1, 4, 0, 0, 0, 0), bytes(17, 0, 0, 0, 0, 0, 0, 1), udp(1, 2, new byte[3])));
        byte[] err = v4(1, "10.0.0.2", "10.0.0.1", icmp(3, 3, 0, 0, Arrays.copyOf(t, 28)));
        byte[] err6 = v6(58, "2001:db8::2", "2001:db8::1", icmp(1, 4, 0, 0, u6));
        return List.of(t, u6, err, err6);
    }

    /** 50k mutations of valid packets (bit flips, cuts, length fields): no exception. */
    @Test
    void mutatedPacketsNeverThrow() {
        Random r = new Random(2024);
        List<byte[]> seeds = seeds();
        for (int i = 0; i < 50_000; i++) {
            byte[] b = seeds.get(i % seeds.size()).clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            if (r.nextInt(4) == 0) b = Arrays.copyOf(b, r.nextInt(b.length + 1));
            if (r.nextInt(8) == 0) {
                b = new byte[r.nextInt(100)];
                r.nextBytes(b);
            }
            exercisePacket(b);
        }
    }

    /** Mutated pcap and pcapng files: every one ends normally or with a CaptureException naming an offset. */
    @Test
    void mutatedCapturesNeverThrow() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(bo, LinkType.RAW, 65535, false)) {
            for (byte[] s : seeds()) w.write(0, s);
        }
        byte[] pcap = bo.toByteArray();
        byte[] ng = pcapng(seeds());
        assertEquals(4, exerciseCapture(pcap));
        assertEquals(4, exerciseCapture(ng));
        Random r = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            byte[] b = (i % 2 == 0 ? pcap : ng).clone();
            int flips = 1 + r.nextInt(6);
            for (int f = 0; f < flips; f++) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            if (r.nextInt(4) == 0) b = Arrays.copyOf(b, r.nextInt(b.length + 1));
            exerciseCapture(b);
        }
    }

    /** A small little-endian pcapng: SHB, IDB (raw IP), one EPB per packet. */
    static byte[] pcapng(List<byte[]> pkts) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x0a0d0d0a).putInt(28).putInt(0x1a2b3c4d).putShort((short) 1).putShort((short) 0).putLong(-1).putInt(28);
        b.putInt(1).putInt(20).putShort((short) 101).putShort((short) 0).putInt(65535).putInt(20);
        for (byte[] p : pkts) {
            int pad = (p.length + 3) & ~3;
            int len = 32 + pad;
            b.putInt(6).putInt(len).putInt(0).putInt(0).putInt(1).putInt(p.length).putInt(p.length).put(p).put(new byte[pad - p.length]).putInt(len);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void countersCountEveryRandomPacket() {
        DecodeCounters c = new DecodeCounters();
        Packet p = new Packet();
        Random r = new Random(5);
        for (int i = 0; i < 10_000; i++) {
            byte[] b = new byte[r.nextInt(80)];
            r.nextBytes(b);
            c.count(p.decode(b));
        }
        assertEquals(10_000, c.total());
        assertEquals(c.total(), c.ok() + c.byClass().values().stream().mapToLong(Long::longValue).sum());
    }
}
