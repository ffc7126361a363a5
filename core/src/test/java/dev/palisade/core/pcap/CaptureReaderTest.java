package dev.palisade.core.pcap;

import static dev.palisade.core.packet.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.palisade.core.packet.DecodeCounters;
import dev.palisade.core.packet.Malformed;
import dev.palisade.core.packet.Packet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and writing captures made by ourselves: byte orders, timestamps, malformed files. */
class CaptureReaderTest {
    @TempDir
    Path dir;

    static byte[] tcp4() {
        return v4(6, "10.0.0.1", "10.0.0.2", tcp(1234, 80, 1, 0, Packet.TH_SYN, 100, new byte[0], new byte[0]));
    }

    static byte[] udp6() {
        return v6(17, "2001:db8::1", "2001:db8::2", udp(5353, 53, new byte[5]));
    }

    static List<CaptureRecordCopy> readAll(Path f) throws IOException {
        List<CaptureRecordCopy> out = new ArrayList<>();
        try (CaptureReader r = CaptureReader.open(f)) {
            CaptureRecord rec = new CaptureRecord();
            while (r.next(rec)) {
                out.add(CaptureRecordCopy.of(rec));
            }
            assertEquals(0, r.badRecords(), () -> "bad records: " + r.lastBadRecord());
        }
        return out;
    }

    record CaptureRecordCopy(byte[] data, int linkType, long ts, String ifName, Direction dir, int ipOffset, int origLen) {
        static CaptureRecordCopy of(CaptureRecord r) {
            return new CaptureRecordCopy(Arrays.copyOf(r.data(), r.length()), r.linkType(), r.timestampNanos(),
                    r.interfaceName(), r.direction(), r.ipOffset(), r.originalLength());
        }
    }

    @Test
    void writeThenReadMicroAndNano() throws IOException {
        for (boolean nanos : new boolean[] {false, true}) {
            Path f = dir.resolve("w" + nanos + ".pcap");
            try (PcapWriter w = new PcapWriter(Files.newOutputStream(f), LinkType.RAW, 65535, nanos)) {
                w.write(1_700_000_000_123_456_789L, tcp4());
                w.write(1_700_000_001_000_000_000L, udp6());
            }
            List<CaptureRecordCopy> recs = readAll(f);
            assertEquals(2, recs.size());
            assertEquals(nanos ? 1_700_000_000_123_456_789L : 1_700_000_000_123_456_000L, recs.get(0).ts());
            assertArrayEquals(tcp4(), recs.get(0).data());
            assertEquals(0, recs.get(1).ipOffset());
            assertEquals(LinkType.RAW, recs.get(1).linkType());
        }
    }

    /** Converts a little-endian pcap written by PcapWriter into the big-endian form. */
    static byte[] toBigEndian(byte[] le) {
        ByteBuffer in = ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(le.length).order(ByteOrder.BIG_ENDIAN);
        out.putInt(in.getInt()).putShort(in.getShort()).putShort(in.getShort());
        for (int i = 0; i < 4; i++) out.putInt(in.getInt());
        while (in.hasRemaining()) {
            out.putInt(in.getInt()).putInt(in.getInt());
            int cap = in.getInt();
            out.putInt(cap).putInt(in.getInt());
            byte[] d = new byte[cap];
            in.get(d);
            out.put(d);
        }
        return out.array();
    }

    @Test
    void rawLinkTypes12And14() throws IOException {
        for (int link : new int[] {12, 14, 228, 229}) {
            Path f = dir.resolve("l" + link + ".pcap");
            try (PcapWriter w = PcapWriter.create(f, link)) {
                w.write(0, link == 229 ? udp6() : tcp4());
            }
            List<CaptureRecordCopy> recs = readAll(f);
            assertEquals(link, recs.get(0).linkType());
            assertEquals(0, recs.get(0).ipOffset());
        }
        // a link type without IP
        Path f = dir.resolve("l147.pcap");
        try (PcapWriter w = PcapWriter.create(f, 147)) {
            w.write(0, tcp4());
        }
        assertEquals(LinkType.NOT_IP, readAll(f).get(0).ipOffset());
    }

    @Test
    void bigEndianPcap() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(bo, LinkType.RAW, 65535, true)) {
            w.write(5_000_000_007L, tcp4());
        }
        byte[] be = toBigEndian(bo.toByteArray());
        assertEquals((byte) 0xa1, be[0]);
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(be), "be.pcap")) {
            CaptureRecord rec = new CaptureRecord();
            assertTrue(r.next(rec));
            assertEquals(5_000_000_007L, rec.timestampNanos());
            assertEquals(LinkType.RAW, rec.linkType());
            Packet p = new Packet();
            assertEquals(Malformed.NONE, p.decode(rec.data(), rec.ipOffset(), rec.length()));
            assertEquals(80, p.dstPort());
            assertFalse(r.next(rec));
        }
    }

    /** A hand-made big-endian pcapng: SHB, IDB (if_name, tsresol 2^-10), EPB with epb_flags outbound. */
    @Test
    void bigEndianPcapngWithBinaryResolution() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0x0a0d0d0a).putInt(28).putInt(0x1a2b3c4d).putShort((short) 1).putShort((short) 0).putLong(-1).putInt(28);
        // IDB: 8 + options (if_name "wg0" padded 4, tsresol 1 padded 4, end 4) + 12
        int idbLen = 12 + 8 + (4 + 4) + (4 + 4) + 4;
        b.putInt(1).putInt(idbLen).putShort((short) LinkType.RAW).putShort((short) 0).putInt(65535);
        b.putShort((short) 2).putShort((short) 3).put("wg0".getBytes()).put((byte) 0);
        b.putShort((short) 9).putShort((short) 1).put((byte) 0x8a).put(new byte[3]);
        b.putInt(0).putInt(idbLen);
        byte[] pkt = tcp4();
        int padded = (pkt.length + 3) & ~3;
        int epbLen = 12 + 20 + padded + 8 + 4;
        long units = (3L << 10) | 512; // 3.5 s
        b.putInt(6).putInt(epbLen).putInt(0).putInt((int) (units >>> 32)).putInt((int) units).putInt(pkt.length).putInt(pkt.length);
        b.put(pkt).put(new byte[padded - pkt.length]);
        b.putShort((short) 2).putShort((short) 4).putInt(2);
        b.putInt(0).putInt(epbLen);
        byte[] file = Arrays.copyOf(b.array(), b.position());
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(file), "be.pcapng")) {
            CaptureRecord rec = new CaptureRecord();
            assertTrue(r.next(rec));
            assertEquals(3_500_000_000L, rec.timestampNanos());
            assertEquals("wg0", rec.interfaceName());
            assertEquals(Direction.OUT, rec.direction());
            assertArrayEquals(pkt, Arrays.copyOf(rec.data(), rec.length()));
            assertFalse(r.next(rec));
            assertEquals(0, r.badRecords());
        }
    }

    @Test
    void notACaptureNamesFileAndOffset() throws IOException {
        Path f = dir.resolve("random.bin");
        byte[] junk = new byte[1000];
        new Random(1).nextBytes(junk);
        junk[0] = 0x12;
        Files.write(f, junk);
        CaptureException e = assertThrows(CaptureException.class, () -> CaptureReader.open(f));
        assertTrue(e.getMessage().startsWith(f + ": offset 0: not a capture"), e.getMessage());
        Files.write(f, new byte[2]);
        assertThrows(CaptureException.class, () -> CaptureReader.open(f));
    }

    @Test
    void absurdRecordLengthStopsWithOffset() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(bo, LinkType.RAW, 65535, false)) {
            w.write(0, tcp4());
            w.write(0, tcp4());
        }
        byte[] f = bo.toByteArray();
        int second = 24 + 16 + tcp4().length;
        f[second + 8 + 3] = 0x7f; // caplen of the second record: huge
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(f), "bad.pcap")) {
            CaptureRecord rec = new CaptureRecord();
            assertTrue(r.next(rec));
            CaptureException e = assertThrows(CaptureException.class, () -> r.next(rec));
            assertEquals(second, e.offset());
            assertTrue(e.getMessage().contains("bad.pcap: offset " + second), e.getMessage());
        }
    }

    @Test
    void truncatedLastRecordIsCounted() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(bo, LinkType.RAW, 65535, false)) {
            w.write(0, tcp4());
            w.write(0, tcp4());
        }
        byte[] f = Arrays.copyOf(bo.toByteArray(), bo.size() - 5);
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(f), "cut.pcap")) {
            CaptureRecord rec = new CaptureRecord();
            assertTrue(r.next(rec));
            assertFalse(r.next(rec));
            assertEquals(1, r.records());
            assertEquals(1, r.badRecords());
            assertTrue(r.lastBadRecord().contains("cut short"), r.lastBadRecord());
        }
    }

    /** The bad-input test: random-byte packets and truncated packets are all read and counted. */
    @Test
    void randomAndTruncatedPacketsAreAllCounted() throws IOException {
        Random rnd = new Random(42);
        Path f = dir.resolve("junk.pcap");
        int n = 5000;
        try (PcapWriter w = PcapWriter.create(f, LinkType.RAW)) {
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[rnd.nextInt(120)];
                rnd.nextBytes(b);
                if (i % 2 == 0 && b.length > 0) {
                    b[0] = (byte) ((i % 4 == 0 ? 0x40 : 0x60) | (b[0] & 0x0f)); // plausible version
                }
                w.write(i, b);
            }
        }
        Path t = dir.resolve("truncated.pcap");
        byte[][] whole = {tcp4(), udp6(), v4(1, "10.0.0.1", "10.0.0.2", icmp(8, 0, 1, 1, new byte[40]))};
        try (PcapWriter w = PcapWriter.create(t, LinkType.RAW)) {
            for (int i = 0; i < 300; i++) {
                byte[] p = whole[i % 3];
                int cut = i % p.length; // a snaplen cut: original length stays
                w.write(i, p, 0, cut, p.length);
            }
        }
        for (Path file : List.of(f, t)) {
            DecodeCounters c = new DecodeCounters();
            Packet p = new Packet();
            try (CaptureReader r = CaptureReader.open(file)) {
                CaptureRecord rec = new CaptureRecord();
                while (r.next(rec)) {
                    int ip = rec.ipOffset();
                    if (ip < 0) {
                        c.count(Malformed.SHORT);
                    } else {
                        c.count(p.decode(rec.data(), ip, rec.length()));
                    }
                }
                assertEquals(0, r.badRecords());
                assertEquals(file == f ? n : 300, r.records());
            }
            assertEquals(file == f ? n : 300, c.total());
            assertTrue(c.malformed() > 0);
            if (file == t) {
                assertEquals(300, c.malformed(), c.toString()); // every cut packet is malformed
            }
        }
    }
}
