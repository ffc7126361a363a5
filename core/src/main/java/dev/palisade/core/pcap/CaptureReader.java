package dev.palisade.core.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Streams the packets of a pcap or pcapng capture, one reused
 * {@link CaptureRecord} at a time; the file is never held in memory.
 *
 * <p>Faults: a file that cannot be read on (bad magic, a record or block
 * header that leaves no way to find the next one) raises
 * {@link CaptureException} naming the file and offset. A record that is bad
 * but skippable (pcapng block for an unknown interface, captured length
 * beyond its block, a final record cut short) is counted in
 * {@link #badRecords()} with {@link #lastBadRecord()} saying why, and
 * reading goes on.
 */
public abstract class CaptureReader implements AutoCloseable {
    /** Largest record accepted (libpcap's MAXIMUM_SNAPLEN). */
    public static final int MAX_RECORD = 262144;

    final String name;
    private final InputStream in;
    // Our own read buffer: a record costs two small copies out of it instead of two calls
    // into a (locking) BufferedInputStream; replay reads millions of records a second.
    private final byte[] buf = new byte[1 << 16];
    private int bufPos, bufEnd;
    private final MappedInput mapped; // non-null: a mapped file, read without buf
    long pos;
    long records;
    long badRecords;
    String lastBad;

    CaptureReader(String name, InputStream in, long pos) {
        this.name = name;
        this.in = in;
        this.mapped = in instanceof MappedInput m ? m : null;
        this.pos = pos;
    }

    /** Opens a capture file, pcap or pcapng by its magic number. */
    public static CaptureReader open(Path file) throws IOException {
        // a regular file is mapped (one copy per byte instead of two, no system call per 64 KB);
        // anything else (a FIFO, /dev/stdin) is streamed
        InputStream in = Files.isRegularFile(file) ? new MappedInput(file) : Files.newInputStream(file);
        try {
            return open(in, file.toString());
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Reads a capture from a stream; {@code name} is used in messages. */
    public static CaptureReader open(InputStream in, String name) throws IOException {
        byte[] magic = new byte[4];
        int n = in.readNBytes(magic, 0, 4);
        if (n < 4) {
            throw new CaptureException(name, 0, "not a capture: " + n + " bytes, expected a pcap or pcapng header");
        }
        int be = ((magic[0] & 0xff) << 24) | ((magic[1] & 0xff) << 16) | ((magic[2] & 0xff) << 8) | (magic[3] & 0xff);
        switch (be) {
            case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1 -> {
                return new PcapReader(name, in, be);
            }
            case 0x0a0d0d0a -> {
                return new PcapNgReader(name, in);
            }
            default -> throw new CaptureException(name, 0, String.format(
                    "not a capture: magic 0x%08x, expected pcap (a1b2c3d4, a1b23c4d either byte order) or pcapng (0a0d0d0a)", be));
        }
    }

    /**
     * Reads the next packet into {@code rec}. Returns false at the end of the
     * capture.
     *
     * @throws CaptureException when the capture cannot be read on
     */
    public abstract boolean next(CaptureRecord rec) throws IOException;

    /** The capture's name as given. */
    public String name() { return name; }
    /** "pcap" or "pcapng". */
    public abstract String format();
    /** Packets returned so far. */
    public long records() { return records; }
    /** Records skipped as bad. */
    public long badRecords() { return badRecords; }
    /** Why the last bad record was skipped, or null. */
    public String lastBadRecord() { return lastBad; }
    /** Bytes consumed so far. */
    public long position() { return pos; }

    void bad(long at, String why) {
        badRecords++;
        lastBad = name + ": offset " + at + ": " + why;
    }

    /** Reads exactly n bytes, or fewer only at the end of the stream; returns the count. */
    int read(byte[] b, int off, int n) throws IOException {
        if (mapped != null) { // straight out of the mapping: one copy, and no buffer of ours in between
            int r = 0;
            while (r < n) {
                int k = mapped.read(b, off + r, n - r);
                if (k <= 0) break;
                r += k;
            }
            pos += r;
            return r;
        }
        int avail = bufEnd - bufPos;
        if (n <= avail) {
            System.arraycopy(buf, bufPos, b, off, n);
            bufPos += n;
            pos += n;
            return n;
        }
        int r = 0;
        try {
            while (r < n) {
                if (bufPos == bufEnd) {
                    if (n - r >= buf.length) { // large: straight into the caller's array
                        int k = in.readNBytes(b, off + r, n - r);
                        r += k;
                        break;
                    }
                    int k = in.read(buf, 0, buf.length);
                    if (k <= 0) break;
                    bufPos = 0;
                    bufEnd = k;
                }
                int k = Math.min(n - r, bufEnd - bufPos);
                System.arraycopy(buf, bufPos, b, off + r, k);
                bufPos += k;
                r += k;
            }
        } catch (IOException e) {
            throw new CaptureException(name, pos + r, "read failed: " + e.getMessage(), e);
        }
        pos += r;
        return r;
    }

    long skip(long n) throws IOException {
        long done = Math.min(n, bufEnd - bufPos);
        bufPos += (int) done;
        try {
            while (done < n) {
                long s = in.skip(n - done);
                if (s <= 0) {
                    if (in.read() < 0) break;
                    s = 1;
                }
                done += s;
            }
        } catch (IOException e) {
            throw new CaptureException(name, pos, "read failed: " + e.getMessage(), e);
        }
        pos += done;
        return done;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    static int u16(byte[] b, int i, boolean le) {
        return le ? (b[i] & 0xff) | ((b[i + 1] & 0xff) << 8) : ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    static long u32(byte[] b, int i, boolean le) {
        long v = le
                ? (b[i] & 0xffL) | ((b[i + 1] & 0xffL) << 8) | ((b[i + 2] & 0xffL) << 16) | ((b[i + 3] & 0xffL) << 24)
                : ((b[i] & 0xffL) << 24) | ((b[i + 1] & 0xffL) << 16) | ((b[i + 2] & 0xffL) << 8) | (b[i + 3] & 0xffL);
        return v;
    }
}
