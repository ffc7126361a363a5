package dev.palisade.kernel.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds netlink messages into a growable heap buffer: {@code nlmsghdr},
 * {@code nfgenmsg}, attributes (nested, 4-byte aligned). Headers are in host
 * byte order as netlink wants; attribute values are written big-endian with
 * the {@code be*} methods (netfilter's convention for numbers inside
 * attributes) or in host order with {@code u32}.
 *
 * <p>Why a builder on a heap buffer: a batch of a million set elements is
 * built once and handed to the socket in one copy; one buffer can hold many
 * messages (a netfilter batch), each closed with {@link #end(int)}.
 */
public final class NlMsg {

    public static final int NLMSG_HDRLEN = 16;
    public static final int NLA_HDRLEN = 4;
    public static final int NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_ECHO = 0x8;
    public static final int NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = 0x300;
    public static final int NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400, NLM_F_APPEND = 0x800;
    public static final int NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
    public static final int NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;
    public static final int NLA_F_NESTED = 0x8000, NLA_F_NET_BYTEORDER = 0x4000, NLA_TYPE_MASK = 0x3fff;
    public static final int NLMSGERR_ATTR_MSG = 1, NLMSGERR_ATTR_OFFS = 2;

    /** nfnetlink subsystems and batch messages (linux/netfilter/nfnetlink.h). */
    public static final int NFNL_SUBSYS_CTNETLINK = 1, NFNL_SUBSYS_QUEUE = 3, NFNL_SUBSYS_NFTABLES = 10;
    public static final int NFNL_MSG_BATCH_BEGIN = 0x10, NFNL_MSG_BATCH_END = 0x11;
    public static final int NFNETLINK_V0 = 0;

    private ByteBuffer buf;

    public NlMsg(int capacity) {
        buf = ByteBuffer.allocate(Math.max(64, capacity)).order(ByteOrder.nativeOrder());
    }

    public NlMsg() {
        this(4096);
    }

    /** The bytes written so far: position 0 to {@link #size()}. */
    public ByteBuffer buffer() {
        return buf;
    }

    public int size() {
        return buf.position();
    }

    public NlMsg clear() {
        buf.clear();
        return this;
    }

    private void ensure(int n) {
        if (buf.remaining() >= n) return;
        int cap = Math.max(buf.capacity() * 2, buf.position() + n + 64);
        ByteBuffer nb = ByteBuffer.allocate(cap).order(ByteOrder.nativeOrder());
        buf.flip();
        nb.put(buf);
        buf = nb;
    }

    public static int align(int n) {
        return (n + 3) & ~3;
    }

    /** Starts a message; returns its offset for {@link #end(int)}. */
    public int begin(int type, int flags, int seq) {
        ensure(NLMSG_HDRLEN);
        int start = buf.position();
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
        return start;
    }

    /** Starts an nfnetlink message: {@code nlmsghdr} of {@code (subsys << 8) | msg} and an {@code nfgenmsg}. */
    public int beginNf(int subsys, int msg, int flags, int seq, int family, int resId) {
        int start = begin((subsys << 8) | msg, flags, seq);
        nfgen(family, resId);
        return start;
    }

    public void nfgen(int family, int resId) {
        ensure(4);
        buf.put((byte) family).put((byte) NFNETLINK_V0).put((byte) (resId >>> 8)).put((byte) resId);
    }

    /** Closes a message: writes its length. */
    public void end(int start) {
        buf.putInt(start, buf.position() - start);
    }

    /** Starts a nested attribute; returns its offset for {@link #nestEnd(int)}. */
    public int nest(int type) {
        ensure(NLA_HDRLEN);
        int start = buf.position();
        buf.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
        return start;
    }

    public void nestEnd(int start) {
        int len = buf.position() - start;
        if (len > 0xffff) {
            throw new IllegalStateException("nested attribute too long: " + len + " bytes, at most 65535");
        }
        buf.putShort(start, (short) len);
    }

    private void attrHeader(int type, int len) {
        if (len + NLA_HDRLEN > 0xffff) throw new IllegalArgumentException("attribute too long: " + len + " bytes");
        ensure(align(NLA_HDRLEN + len));
        buf.putShort((short) (NLA_HDRLEN + len)).putShort((short) type);
    }

    private void pad() {
        while ((buf.position() & 3) != 0) buf.put((byte) 0);
    }

    public NlMsg attr(int type, byte[] value) {
        return attr(type, value, 0, value.length);
    }

    public NlMsg attr(int type, byte[] value, int off, int len) {
        attrHeader(type, len);
        buf.put(value, off, len);
        pad();
        return this;
    }

    /** Copies a whole attribute (header included) from a received message. */
    public NlMsg rawAttr(ByteBuffer src, int off, int len) {
        ensure(align(len));
        for (int i = 0; i < len; i++) buf.put(src.get(off + i));
        pad();
        return this;
    }

    public NlMsg u8(int type, int v) {
        attrHeader(type, 1);
        buf.put((byte) v);
        pad();
        return this;
    }

    public NlMsg be16(int type, int v) {
        attrHeader(type, 2);
        buf.put((byte) (v >>> 8)).put((byte) v);
        pad();
        return this;
    }

    public NlMsg be32(int type, int v) {
        attrHeader(type, 4);
        buf.put((byte) (v >>> 24)).put((byte) (v >>> 16)).put((byte) (v >>> 8)).put((byte) v);
        return this;
    }

    public NlMsg be64(int type, long v) {
        attrHeader(type, 8);
        for (int s = 56; s >= 0; s -= 8) buf.put((byte) (v >>> s));
        return this;
    }

    /** A host-order 32-bit attribute. */
    public NlMsg u32(int type, int v) {
        attrHeader(type, 4);
        buf.putInt(v);
        return this;
    }

    /** A NUL-terminated string attribute. */
    public NlMsg string(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        attrHeader(type, b.length + 1);
        buf.put(b).put((byte) 0);
        pad();
        return this;
    }

    /** Raw bytes with no attribute header (a fixed struct in a message body). */
    public NlMsg raw(byte... b) {
        ensure(align(b.length));
        buf.put(b);
        pad();
        return this;
    }

    // ---- reading ----

    public static int msgLen(ByteBuffer b, int off) {
        return b.getInt(off);
    }

    public static int msgType(ByteBuffer b, int off) {
        return b.getShort(off + 4) & 0xffff;
    }

    public static int msgFlags(ByteBuffer b, int off) {
        return b.getShort(off + 6) & 0xffff;
    }

    public static int msgSeq(ByteBuffer b, int off) {
        return b.getInt(off + 8);
    }

    public static int be16(ByteBuffer b, int off) {
        return ((b.get(off) & 0xff) << 8) | (b.get(off + 1) & 0xff);
    }

    public static int be32(ByteBuffer b, int off) {
        return ((b.get(off) & 0xff) << 24) | ((b.get(off + 1) & 0xff) << 16) | ((b.get(off + 2) & 0xff) << 8)
                | (b.get(off + 3) & 0xff);
    }

    public static long be64(ByteBuffer b, int off) {
        return ((long) be32(b, off) << 32) | (be32(b, off + 4) & 0xffffffffL);
    }

    public static byte[] bytes(ByteBuffer b, int off, int len) {
        byte[] r = new byte[len];
        b.get(off, r);
        return r;
    }

    public static String string(ByteBuffer b, int off, int len) {
        int n = 0;
        while (n < len && b.get(off + n) != 0) n++;
        return new String(bytes(b, off, n), StandardCharsets.UTF_8);
    }
}
