package dev.palisade.core.tabled;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pftabled wire formats (docs/tabled-protocol.md): encoding for clients,
 * field offsets and MACs for {@link TabledProtocol}.
 *
 * <p>Version 2 is pftabled 1.09's 64-byte datagram, byte for byte; version 3
 * is ours (112 bytes: IPv6, a lifetime, a 64-bit timestamp, a nonce,
 * HMAC-SHA256). Both are fixed-size so a server can reject by length before
 * reading anything else.
 */
public final class TabledCodec {

    private TabledCodec() {}

    /** pftabled's UDP port. */
    public static final int DEFAULT_PORT = 56789;

    /** Size of a version 0, 1 or 2 datagram. */
    public static final int V2_SIZE = 64;
    /** Bytes covered by the version 2 MAC: 0 to 43. */
    public static final int V2_MAC_OFFSET = 44;
    public static final int V2_MAC_BYTES = 20;
    static final int V2_ADDR = 4;
    static final int V2_NAME = 8;
    static final int V2_TIMESTAMP = 40;

    /** Size of a version 3 datagram. */
    public static final int V3_SIZE = 112;
    static final int V3_FAMILY = 2;
    static final int V3_PREFIX = 3;
    static final int V3_ADDR = 4;
    static final int V3_NAME = 20;
    static final int V3_LIFETIME = 52;
    static final int V3_TIMESTAMP = 56;
    /** Offset of the 16-byte nonce. */
    public static final int V3_NONCE = 64;
    public static final int V3_NONCE_BYTES = 16;
    /** Bytes covered by the version 3 MAC: 0 to 79. */
    public static final int V3_MAC_OFFSET = 80;
    public static final int V3_MAC_BYTES = 32;

    static final int NAME_BYTES = 32;

    /**
     * A version 2 datagram, as pftabled-client 1.09 builds it: flush carries
     * address 0 and mask 0; without a key the MAC bytes are zero.
     *
     * @param timestamp Unix seconds (sent as an unsigned 32-bit number)
     * @param key20     the 20-byte key, or null to send without a MAC
     * @throws IllegalArgumentException for an IPv6 prefix or a lifetime (version 2 carries neither)
     */
    public static byte[] encodeV2(TableCommand cmd, long timestamp, byte[] key20) {
        if (cmd.prefix() != null && cmd.prefix().v6()) {
            throw new IllegalArgumentException("version 2 carries IPv4 only, got " + cmd.prefix() + ": use version 3 (-3)");
        }
        if (cmd.lifetimeSeconds() != 0) {
            throw new IllegalArgumentException("version 2 carries no lifetime, got " + cmd.lifetimeSeconds() + " s: use version 3 (-3)");
        }
        if (key20 != null && key20.length != TabledKeys.V2_KEY_BYTES) {
            throw new IllegalArgumentException("version 2 key must be 20 bytes, got " + key20.length);
        }
        byte[] d = new byte[V2_SIZE];
        d[0] = 2;
        d[1] = (byte) cmd.op().code();
        if (cmd.prefix() != null) {
            d[3] = (byte) cmd.prefix().length();
            putInt(d, V2_ADDR, cmd.prefix().address().v4());
        }
        putName(d, V2_NAME, cmd.table());
        putInt(d, V2_TIMESTAMP, (int) timestamp);
        if (key20 != null) {
            Mac mac = hmacSha1(key20);
            mac.update(d, 0, V2_MAC_OFFSET);
            doFinal(mac, d, V2_MAC_OFFSET);
        }
        return d;
    }

    /**
     * A version 3 datagram.
     *
     * @param timestamp Unix seconds
     * @param nonce     16 bytes, fresh for every datagram (random)
     * @param key32     the 32-byte key
     */
    public static byte[] encodeV3(TableCommand cmd, long timestamp, byte[] nonce, byte[] key32) {
        if (nonce == null || nonce.length != V3_NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be 16 bytes, got " + (nonce == null ? "null" : nonce.length));
        }
        if (key32 == null || key32.length != TabledKeys.V3_KEY_BYTES) {
            throw new IllegalArgumentException("version 3 needs a 32-byte key, got " + (key32 == null ? "none" : key32.length + " bytes"));
        }
        byte[] d = new byte[V3_SIZE];
        d[0] = 3;
        d[1] = (byte) cmd.op().code();
        IpPrefix p = cmd.prefix();
        if (p != null) {
            d[V3_FAMILY] = (byte) (p.v6() ? 6 : 4);
            d[V3_PREFIX] = (byte) p.length();
            byte[] a = p.address().toBytes();
            System.arraycopy(a, 0, d, V3_ADDR, a.length);
        }
        putName(d, V3_NAME, cmd.table());
        putInt(d, V3_LIFETIME, (int) cmd.lifetimeSeconds());
        putLong(d, V3_TIMESTAMP, timestamp);
        System.arraycopy(nonce, 0, d, V3_NONCE, V3_NONCE_BYTES);
        Mac mac = hmacSha256(key32);
        mac.update(d, 0, V3_MAC_OFFSET);
        doFinal(mac, d, V3_MAC_OFFSET);
        return d;
    }

    /** An HMAC-SHA1 instance keyed with {@code key}. */
    public static Mac hmacSha1(byte[] key) {
        return mac("HmacSHA1", key);
    }

    /** An HMAC-SHA256 instance keyed with {@code key}. */
    public static Mac hmacSha256(byte[] key) {
        return mac("HmacSHA256", key);
    }

    private static Mac mac(String algorithm, byte[] key) {
        try {
            Mac m = Mac.getInstance(algorithm);
            m.init(new SecretKeySpec(key, algorithm));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is not available in this JDK", e);
        }
    }

    static void doFinal(Mac mac, byte[] out, int off) {
        try {
            mac.doFinal(out, off);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MAC output buffer too short", e);
        }
    }

    private static void putName(byte[] d, int off, String table) {
        byte[] name = table.getBytes(StandardCharsets.US_ASCII);
        if (name.length > TableCommand.MAX_TABLE_NAME) {
            throw new IllegalArgumentException("table name \"" + table + "\" too long: at most " + TableCommand.MAX_TABLE_NAME);
        }
        System.arraycopy(name, 0, d, off, name.length);
    }

    static void putInt(byte[] d, int off, int v) {
        d[off] = (byte) (v >>> 24);
        d[off + 1] = (byte) (v >>> 16);
        d[off + 2] = (byte) (v >>> 8);
        d[off + 3] = (byte) v;
    }

    static void putLong(byte[] d, int off, long v) {
        putInt(d, off, (int) (v >>> 32));
        putInt(d, off + 4, (int) v);
    }

    static int getInt(byte[] d, int off) {
        return ((d[off] & 0xff) << 24) | ((d[off + 1] & 0xff) << 16) | ((d[off + 2] & 0xff) << 8) | (d[off + 3] & 0xff);
    }

    static long getLong(byte[] d, int off) {
        return ((long) getInt(d, off) << 32) | (getInt(d, off + 4) & 0xffffffffL);
    }

    /** The IPv4 address at {@code off} as an {@link IpAddress}. */
    static IpAddress v4At(byte[] d, int off) {
        return IpAddress.ofV4(getInt(d, off));
    }
}
