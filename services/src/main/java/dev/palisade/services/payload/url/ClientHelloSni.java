package dev.palisade.services.payload.url;

import java.util.Locale;

/**
 * Finds the server name (SNI, RFC 6066 section 3) in a TLS ClientHello at
 * the start of a client's stream, from as many bytes as have arrived.
 *
 * <p>Robustness: every length is checked against both the bytes at hand
 * and the enclosing structure's declared length; a contradiction is
 * {@link HostName.NotMatched}, running out of bytes within declared
 * lengths is {@link HostName.NeedMore}. A ClientHello split across several
 * TLS records (record fragmentation, RFC 8446 section 5.1) is joined, so
 * that trick does not hide the name. The parse stops at the SNI extension,
 * so the name is found as soon as the bytes up to it are there. Names are
 * taken only when they are plausible host names (letters, digits, '-',
 * '_' and dots); anything else is NotMatched.
 *
 * <p>Limits: an Encrypted Client Hello shows only its outer (public) name;
 * TLS over QUIC (UDP) is not looked at. Cost: linear in the bytes, one
 * copy of the handshake bytes when they span records.
 */
public final class ClientHelloSni {

    private ClientHelloSni() {}

    public static HostName parse(byte[] b, int off, int len) {
        int end = off + len;
        if (len < 1) return HostName.NEED_MORE;
        if ((b[off] & 0xff) != 22) return new HostName.NotMatched("not a TLS handshake record");
        // Join the handshake bytes of consecutive handshake records.
        byte[] hs = null;
        int hsLen = 0;
        int p = off;
        while (p < end) {
            if (p + 5 > end) break;
            if ((b[p] & 0xff) != 22) {
                if (p == off) return new HostName.NotMatched("not a TLS handshake record");
                break; // another content type after the handshake
            }
            if ((b[p + 1] & 0xff) != 3) return new HostName.NotMatched("TLS record version " + (b[p + 1] & 0xff) + "." + (b[p + 2] & 0xff));
            int rlen = u16(b, p + 3);
            if (rlen == 0 || rlen > 16384 + 2048) return new HostName.NotMatched("TLS record length " + rlen);
            int avail = Math.min(rlen, end - p - 5);
            if (hs == null && avail == end - p - 5 && p == off) {
                // The common case: one record holds all we have; no copy.
                return hello(b, p + 5, avail);
            }
            if (hs == null) hs = new byte[Math.min(len, 65536)];
            if (hsLen + avail > hs.length) hs = java.util.Arrays.copyOf(hs, Math.min(hs.length * 2, hsLen + avail + 1024));
            System.arraycopy(b, p + 5, hs, hsLen, avail);
            hsLen += avail;
            if (avail < rlen) break;
            p += 5 + rlen;
        }
        if (hs == null) return HostName.NEED_MORE;
        return hello(hs, 0, hsLen);
    }

    /** The handshake bytes at hand, b[off, off+len); more may follow in later records or segments. */
    private static HostName hello(byte[] b, int off, int len) {
        HostName more = HostName.NEED_MORE;
        int end = off + len;
        if (len < 4) return more;
        if ((b[off] & 0xff) != 1) return new HostName.NotMatched("handshake type " + (b[off] & 0xff) + ", not ClientHello");
        int hlen = ((b[off + 1] & 0xff) << 16) | u16(b, off + 2);
        int hend = off + 4 + hlen;
        if (hlen < 38) return new HostName.NotMatched("ClientHello length " + hlen);
        int p = off + 4;
        // legacy_version(2) random(32)
        p += 34;
        if (p + 1 > end) return more;
        p += 1 + (b[p] & 0xff); // session id
        if (p > hend) return new HostName.NotMatched("session id beyond ClientHello");
        if (p + 2 > end) return more;
        int cs = u16(b, p);
        if ((cs & 1) != 0) return new HostName.NotMatched("odd cipher suites length " + cs);
        p += 2 + cs;
        if (p > hend) return new HostName.NotMatched("cipher suites beyond ClientHello");
        if (p + 1 > end) return more;
        p += 1 + (b[p] & 0xff); // compression methods
        if (p > hend) return new HostName.NotMatched("compression methods beyond ClientHello");
        if (p == hend) return HostName.ABSENT; // no extensions at all
        if (p + 2 > end) return more;
        int extEnd = p + 2 + u16(b, p);
        if (extEnd > hend) return new HostName.NotMatched("extensions beyond ClientHello");
        p += 2;
        while (p < extEnd) {
            if (p + 4 > extEnd) return new HostName.NotMatched("extension header beyond extensions");
            if (p + 4 > end) return more;
            int type = u16(b, p);
            int elen = u16(b, p + 2);
            int e = p + 4 + elen;
            if (e > extEnd) return new HostName.NotMatched("extension " + type + " beyond extensions");
            if (type == 0) {
                if (e > end) return more;
                return serverName(b, p + 4, e);
            }
            p = e;
        }
        return HostName.ABSENT;
    }

    private static HostName serverName(byte[] b, int p, int e) {
        if (p + 2 > e) return new HostName.NotMatched("server_name list cut short");
        int listEnd = p + 2 + u16(b, p);
        if (listEnd > e) return new HostName.NotMatched("server_name list beyond extension");
        p += 2;
        while (p + 3 <= listEnd) {
            int type = b[p] & 0xff;
            int nlen = u16(b, p + 1);
            if (p + 3 + nlen > listEnd) return new HostName.NotMatched("server name beyond list");
            if (type == 0) return name(b, p + 3, nlen);
            p += 3 + nlen;
        }
        return HostName.ABSENT;
    }

    static HostName name(byte[] b, int off, int len) {
        if (len == 0 || len > 255) return new HostName.NotMatched("host name length " + len);
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            int x = b[off + i] & 0xff;
            if (x >= 'A' && x <= 'Z') x += 32;
            if (!((x >= 'a' && x <= 'z') || (x >= '0' && x <= '9') || x == '-' || x == '_' || x == '.')) {
                return new HostName.NotMatched("byte 0x" + Integer.toHexString(x) + " in host name");
            }
            c[i] = (char) x;
        }
        String s = new String(c);
        if (s.endsWith(".")) s = s.substring(0, s.length() - 1);
        if (s.isEmpty()) return new HostName.NotMatched("empty host name");
        return new HostName.Found(s.toLowerCase(Locale.ROOT));
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }
}
