package dev.palisade.core.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A regular file read through a memory mapping, as an {@link InputStream}.
 *
 * <p>Why: {@code replay} reads captures of hundreds of megabytes at millions of
 * records a second. Through a file stream every byte is copied by the
 * {@code read} system call into a JDK buffer, then into ours; profiles put that
 * at ~8% of replay's CPU time. From a mapping, the bytes are copied once, out of
 * the page cache, and the kernel maps the file in as it is touched. The file is
 * mapped in windows of {@link #WINDOW} bytes so that captures beyond 2 GiB work
 * and the address space used stays bounded; a window is unmapped when the GC
 * collects its buffer. A file that shrinks while it is read ends early (the
 * length is taken at open), never faults.
 */
final class MappedInput extends InputStream {
    /** Bytes mapped at a time. */
    static final long WINDOW = 256L << 20;

    private final FileChannel ch;
    private final long size, windowSize;
    private long windowStart;
    private MappedByteBuffer window;
    private long pos;

    MappedInput(Path file) throws IOException {
        this(file, WINDOW);
    }

    /** With windows of {@code windowSize} bytes (a multiple of 64 KiB), for tests. */
    MappedInput(Path file, long windowSize) throws IOException {
        if (windowSize <= 0 || windowSize % (1 << 16) != 0) {
            throw new IllegalArgumentException("window size must be a positive multiple of 65536, got " + windowSize);
        }
        this.windowSize = windowSize;
        ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            size = ch.size();
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** Makes {@link #window} hold {@link #pos}; false at the end. */
    private boolean ensure() throws IOException {
        if (pos >= size) return false;
        if (window == null || pos < windowStart || pos >= windowStart + window.capacity()) {
            windowStart = pos & ~((1L << 16) - 1);
            window = ch.map(FileChannel.MapMode.READ_ONLY, windowStart, Math.min(windowSize, size - windowStart));
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        if (!ensure()) return -1;
        int b = window.get((int) (pos - windowStart)) & 0xff;
        pos++;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        if (!ensure()) return -1;
        int at = (int) (pos - windowStart);
        int n = Math.min(len, window.capacity() - at);
        window.get(at, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) {
        if (n <= 0) return 0;
        long k = Math.min(n, size - pos);
        pos += k;
        return k;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, size - pos);
    }

    @Override
    public void close() throws IOException {
        window = null;
        ch.close();
    }
}
