package dev.palisade.services.payload.url;

/**
 * Finds the {@code Host} header of an HTTP/1.x request at the start of a
 * client's stream (RFC 9112 section 3.2), from as many bytes as have arrived.
 *
 * <p>The stream must start with a request line: a method of upper-case
 * letters (one of the registered methods) and a space. Header lines are
 * then read up to the empty line; the first {@code Host} field (name
 * case-insensitive) is taken, optional whitespace trimmed, the port and
 * IPv6 brackets removed. No Host before the empty line is {@link HostName.Absent}
 * (HTTP/1.0); the end of the bytes before either is {@link HostName.NeedMore}.
 * Requests longer than the caller's buffer limit stay undecided there.
 *
 * <p>Limits: HTTP/2 and HTTP/3 carry the name in binary frames (and over
 * TLS: then the SNI is what is matched); obs-fold continuation lines are
 * not joined; an absolute-form request target ({@code GET http://x/}) is
 * not read, only the Host header (which such requests also carry).
 */
public final class HttpHost {

    private static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"};

    private HttpHost() {}

    public static HostName parse(byte[] b, int off, int len) {
        int end = off + len;
        // Request line: METHOD SP
        int p = off;
        while (p < end && p - off < 8 && b[p] >= 'A' && b[p] <= 'Z') p++;
        if (p == end) return p - off < 8 && prefixOfMethod(b, off, p) ? HostName.NEED_MORE : new HostName.NotMatched("not an HTTP request");
        if (b[p] != ' ' || !isMethod(b, off, p)) return new HostName.NotMatched("not an HTTP request");
        // Skip to the end of the request line.
        int nl = indexOfLf(b, p, end);
        if (nl < 0) return HostName.NEED_MORE;
        p = nl + 1;
        while (true) {
            int lineEnd = indexOfLf(b, p, end);
            if (lineEnd < 0) return HostName.NEED_MORE;
            int le = lineEnd;
            if (le > p && b[le - 1] == '\r') le--;
            if (le == p) return HostName.ABSENT; // the empty line: headers done
            if (le - p >= 5 && (b[p] | 0x20) == 'h' && (b[p + 1] | 0x20) == 'o' && (b[p + 2] | 0x20) == 's'
                    && (b[p + 3] | 0x20) == 't' && b[p + 4] == ':') {
                return value(b, p + 5, le);
            }
            p = lineEnd + 1;
        }
    }

    private static HostName value(byte[] b, int s, int e) {
        while (s < e && (b[s] == ' ' || b[s] == '\t')) s++;
        while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
        if (s == e) return new HostName.NotMatched("empty Host header");
        if (b[s] == '[') {
            int close = s;
            while (close < e && b[close] != ']') close++;
            if (close == e) return new HostName.NotMatched("unclosed [ in Host header");
            return new HostName.Found(new String(b, s + 1, close - s - 1, java.nio.charset.StandardCharsets.ISO_8859_1)
                    .toLowerCase(java.util.Locale.ROOT));
        }
        int colon = s;
        while (colon < e && b[colon] != ':') colon++;
        if (colon < e) {
            for (int i = colon + 1; i < e; i++) {
                if (b[i] < '0' || b[i] > '9') return new HostName.NotMatched("bad port in Host header");
            }
        }
        return ClientHelloSni.name(b, s, colon - s);
    }

    private static int indexOfLf(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) if (b[i] == '\n') return i;
        return -1;
    }

    private static boolean isMethod(byte[] b, int s, int e) {
        for (String m : METHODS) if (m.length() == e - s && matches(b, s, m)) return true;
        return false;
    }

    private static boolean prefixOfMethod(byte[] b, int s, int e) {
        for (String m : METHODS) if (m.length() >= e - s && matches(b, s, m.substring(0, e - s))) return true;
        return false;
    }

    private static boolean matches(byte[] b, int s, String m) {
        for (int i = 0; i < m.length(); i++) if (b[s + i] != m.charAt(i)) return false;
        return true;
    }
}
