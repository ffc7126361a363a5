package dev.palisade.core.table;

import java.util.Arrays;

/**
 * A growing buffer of ASCII lines, each behind a fixed prefix and ended by a
 * newline: {@link TableSet#showChunk(String, TableSet.ShowCursor, int, ShowLines, java.util.function.Consumer)}
 * fills it, the daemon writes it to its socket in one call (the control
 * protocol's {@code "1 "} is the prefix). Not thread safe.
 */
public final class ShowLines {
    private final byte[] prefix;
    private byte[] buf = new byte[1 << 16];
    private int len;
    private int lines;

    /** @param prefix the bytes before every line */
    public ShowLines(byte[] prefix) {
        this.prefix = prefix.clone();
    }

    /** Empties the buffer. */
    public void reset() {
        len = 0;
        lines = 0;
    }

    /** The bytes: {@code array()[0, length())}. */
    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    /** Lines since the last {@link #reset}. */
    public int lines() {
        return lines;
    }

    /** Makes room for a line of up to {@code max} bytes and writes the prefix; returns the array to write into. */
    byte[] lineSpace(int max) {
        int need = len + prefix.length + max + 1;
        if (need > buf.length) buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
        System.arraycopy(prefix, 0, buf, len, prefix.length);
        return buf;
    }

    /** Where the line's text starts (after the prefix {@link #lineSpace} wrote). */
    int lineStart() {
        return len + prefix.length;
    }

    /** Ends the line whose text ends at {@code end}. */
    void lineEnd(int end) {
        buf[end] = '\n';
        len = end + 1;
        lines++;
    }
}
