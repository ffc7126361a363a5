package dev.palisade.services.payload;

/**
 * Payload bytes as a {@link CharSequence}, one char per byte (ISO-8859-1),
 * without copying: what user regexes run over. Byte {@code i} of the range
 * is char {@code i}, so match offsets are byte offsets.
 */
public final class Latin1Chars implements CharSequence {

    private final byte[] b;
    private final int off;
    private final int len;

    public Latin1Chars(byte[] b, int off, int len) {
        if (off < 0 || len < 0 || off + len > b.length) {
            throw new IndexOutOfBoundsException("range " + off + "+" + len + " outside " + b.length + " bytes");
        }
        this.b = b;
        this.off = off;
        this.len = len;
    }

    @Override
    public int length() {
        return len;
    }

    @Override
    public char charAt(int i) {
        if (i < 0 || i >= len) throw new IndexOutOfBoundsException(i);
        return (char) (b[off + i] & 0xff);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        if (start < 0 || end > len || start > end) throw new IndexOutOfBoundsException(start + ".." + end);
        return new Latin1Chars(b, off + start, end - start);
    }

    @Override
    public String toString() {
        return new String(b, off, len, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
