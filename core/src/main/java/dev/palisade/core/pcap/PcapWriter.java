package dev.palisade.core.pcap;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a classic pcap file (version 2.4, little-endian, microsecond or
 * nanosecond timestamps) that tcpdump and Wireshark read. Used by
 * {@code replay --write-passed/--write-blocked} and by tests.
 */
public final class PcapWriter implements AutoCloseable {
    private final OutputStream out;
    private final boolean nanos;
    private final int snaplen;
    private final byte[] hdr = new byte[16];
    private long written;

    /**
     * @param linkType the link type of every frame written, see {@link LinkType}
     * @param nanos    nanosecond timestamps (magic a1b23c4d) instead of microseconds
     */
    public PcapWriter(OutputStream out, int linkType, int snaplen, boolean nanos) throws IOException {
        if (linkType < 0 || linkType > 0xffff) {
            throw new IllegalArgumentException("link type must be 0..65535, got " + linkType);
        }
        if (snaplen <= 0) {
            throw new IllegalArgumentException("snaplen must be positive, got " + snaplen);
        }
        this.out = out;
        this.nanos = nanos;
        this.snaplen = snaplen;
        byte[] h = new byte[24];
        le32(h, 0, nanos ? 0xa1b23c4d : 0xa1b2c3d4);
        le16(h, 4, 2);
        le16(h, 6, 4);
        le32(h, 16, snaplen);
        le32(h, 20, linkType);
        out.write(h);
    }

    /** Creates {@code file} (replacing it) with microsecond timestamps and snaplen 262144. */
    public static PcapWriter create(Path file, int linkType) throws IOException {
        OutputStream o = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        try {
            return new PcapWriter(o, linkType, CaptureReader.MAX_RECORD, false);
        } catch (IOException | RuntimeException e) {
            o.close();
            throw e;
        }
    }

    /** Writes one frame; frames longer than the snaplen are cut to it, keeping the original length. */
    public void write(long timestampNanos, byte[] b, int off, int len, int originalLength) throws IOException {
        int cap = Math.min(len, snaplen);
        long sec = Math.floorDiv(timestampNanos, 1_000_000_000L);
        long sub = Math.floorMod(timestampNanos, 1_000_000_000L);
        le32(hdr, 0, (int) sec);
        le32(hdr, 4, (int) (nanos ? sub : sub / 1000));
        le32(hdr, 8, cap);
        le32(hdr, 12, Math.max(originalLength, cap));
        out.write(hdr);
        out.write(b, off, cap);
        written++;
    }

    /** Writes a whole frame. */
    public void write(long timestampNanos, byte[] frame) throws IOException {
        write(timestampNanos, frame, 0, frame.length, frame.length);
    }

    /** Frames written. */
    public long written() {
        return written;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private static void le16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    private static void le32(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }
}
