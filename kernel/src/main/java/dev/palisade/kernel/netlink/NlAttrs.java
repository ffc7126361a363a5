package dev.palisade.kernel.netlink;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The attributes found in one byte range of a received message, indexed by
 * type (flag bits stripped). Bad lengths end the walk instead of reading past
 * the range: a truncated message gives fewer attributes, never an exception.
 * With several attributes of one type the last one wins; use
 * {@link #forEach} for lists.
 */
public final class NlAttrs {

    private final ByteBuffer buf;
    private final int[] off;   // value offset, -1 when absent
    private final int[] len;   // value length
    private final int[] hdr;   // header offset

    private NlAttrs(ByteBuffer buf, int maxType) {
        this.buf = buf;
        off = new int[maxType + 1];
        len = new int[maxType + 1];
        hdr = new int[maxType + 1];
        Arrays.fill(off, -1);
    }

    /** Parses attributes from {@code start} (inclusive) to {@code end} (exclusive). */
    public static NlAttrs parse(ByteBuffer b, int start, int end, int maxType) {
        NlAttrs a = new NlAttrs(b, maxType);
        int p = start;
        while (p + NlMsg.NLA_HDRLEN <= end) {
            int l = b.getShort(p) & 0xffff;
            int t = b.getShort(p + 2) & NlMsg.NLA_TYPE_MASK;
            if (l < NlMsg.NLA_HDRLEN || p + l > end) break;
            if (t <= maxType) {
                a.off[t] = p + NlMsg.NLA_HDRLEN;
                a.len[t] = l - NlMsg.NLA_HDRLEN;
                a.hdr[t] = p;
            }
            p += NlMsg.align(l);
        }
        return a;
    }

    /** Calls {@code f(type, valueOffset, valueLength)} for each attribute in the range, in order. */
    public static void forEach(ByteBuffer b, int start, int end, AttrVisitor f) {
        int p = start;
        while (p + NlMsg.NLA_HDRLEN <= end) {
            int l = b.getShort(p) & 0xffff;
            int t = b.getShort(p + 2) & NlMsg.NLA_TYPE_MASK;
            if (l < NlMsg.NLA_HDRLEN || p + l > end) break;
            f.visit(t, p + NlMsg.NLA_HDRLEN, l - NlMsg.NLA_HDRLEN);
            p += NlMsg.align(l);
        }
    }

    @FunctionalInterface
    public interface AttrVisitor {
        void visit(int type, int offset, int length);
    }

    public ByteBuffer buffer() {
        return buf;
    }

    public boolean has(int type) {
        return type < off.length && off[type] >= 0;
    }

    public int offset(int type) {
        return off[type];
    }

    public int length(int type) {
        return len[type];
    }

    /** The attribute's header offset (for copying it whole) and total length. */
    public int headerOffset(int type) {
        return hdr[type];
    }

    /** Nested attributes inside attribute {@code type}. */
    public NlAttrs nested(int type, int maxType) {
        if (!has(type)) return parse(buf, 0, 0, maxType);
        return parse(buf, off[type], off[type] + len[type], maxType);
    }

    public int be32(int type, int dflt) {
        return has(type) && len[type] >= 4 ? NlMsg.be32(buf, off[type]) : dflt;
    }

    public int be16(int type, int dflt) {
        return has(type) && len[type] >= 2 ? NlMsg.be16(buf, off[type]) : dflt;
    }

    public long be64(int type, long dflt) {
        return has(type) && len[type] >= 8 ? NlMsg.be64(buf, off[type]) : dflt;
    }

    public int u8(int type, int dflt) {
        return has(type) && len[type] >= 1 ? buf.get(off[type]) & 0xff : dflt;
    }

    public byte[] bytes(int type) {
        return has(type) ? NlMsg.bytes(buf, off[type], len[type]) : null;
    }

    public String string(int type) {
        return has(type) ? NlMsg.string(buf, off[type], len[type]) : null;
    }
}
