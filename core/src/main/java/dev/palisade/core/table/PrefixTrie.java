package dev.palisade.core.table;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.function.Consumer;

/**
 * One address family of a table: a path-compressed binary trie (PATRICIA
 * without the back pointers) with longest-prefix match.
 *
 * <p><b>Why this structure.</b> pf keeps tables in BSD radix trees, which
 * answer longest-prefix match with negated entries in one walk; a binary
 * trie whose one-child chains are collapsed keeps that property with at most
 * {@code 2n - 1} nodes for {@code n} entries, supports in-place add and
 * delete without rebuilds (bans arrive one at a time, at packet rate), and
 * its pre-order walk is exactly pfctl's {@code -T show} order (address, then
 * shorter prefix first), so show streams with no sort. A multibit or
 * popcount-compressed trie (Poptrie, DIR-24-8) looks up faster but costs
 * either rebuilds on update or tens of MB for sparse /32 bans; the figures
 * that decided it are in BENCHMARKS.md ("Tables").
 *
 * <p><b>Representation.</b> Keys are 128 bits in two longs; an IPv4 trie
 * keeps its 32 bits in the top of {@code hi} so one code path serves both
 * families. Entry data lives in the node itself (no separate entry object):
 * times are unsigned epoch seconds in ints, which is what keeps 1M entries
 * inside the heap budget (about 56 bytes a node). A node that holds no entry
 * always has two children (the path-compression invariant), so removing an
 * entry splices at most two nodes.
 *
 * <p>Not thread-safe: {@link TableSet}'s owner serialises writers.
 */
final class PrefixTrie {

    static final long[] MASK_HI = new long[129];
    static final long[] MASK_LO = new long[129];

    static {
        for (int len = 0; len <= 128; len++) {
            MASK_HI[len] = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
            MASK_LO[len] = len <= 64 ? 0 : len >= 128 ? -1L : -1L << (128 - len);
        }
    }

    /** A trie node; when {@link #present} it is also a table entry. */
    static final class Node {
        final long hi;
        final long lo;
        final int len;
        Node left;
        Node right;
        boolean present;
        boolean negated;
        /** When added or last cleared, unsigned epoch seconds. */
        int cleared;
        /** When it expires, unsigned epoch seconds; 0 = never. */
        int expires;
        Origin origin;
        /** [dir * 3 + op] packets, then [6 + dir * 3 + op] bytes; null unless the table counts. */
        long[] counters;

        Node(long hi, long lo, int len) {
            this.hi = hi & MASK_HI[len];
            this.lo = lo & MASK_LO[len];
            this.len = len;
        }

        long clearedSeconds() {
            return Integer.toUnsignedLong(cleared);
        }

        long expiresSeconds() {
            return Integer.toUnsignedLong(expires);
        }

        void clearEntry() {
            present = false;
            negated = false;
            cleared = 0;
            expires = 0;
            origin = null;
            counters = null;
        }
    }

    private final int width;
    private Node root;
    private int size;

    PrefixTrie(int width) {
        if (width != 32 && width != 128) throw new IllegalArgumentException("width must be 32 or 128, got " + width);
        this.width = width;
    }

    int width() {
        return width;
    }

    int size() {
        return size;
    }

    Node root() {
        return root;
    }

    static boolean bit(long hi, long lo, int i) {
        return i < 64 ? (hi << i) < 0 : (lo << (i - 64)) < 0;
    }

    private static boolean covers(Node n, long hi, long lo) {
        return ((hi ^ n.hi) & MASK_HI[n.len]) == 0 && ((lo ^ n.lo) & MASK_LO[n.len]) == 0;
    }

    private static int commonBits(long hi1, long lo1, long hi2, long lo2, int max) {
        long x = hi1 ^ hi2;
        int c = x != 0 ? Long.numberOfLeadingZeros(x) : 64 + Long.numberOfLeadingZeros(lo1 ^ lo2);
        return Math.min(c, max);
    }

    /** Longest present entry covering the host {@code (hi, lo)}, or null. */
    Node longest(long hi, long lo) {
        Node n = root;
        Node best = null;
        while (n != null && covers(n, hi, lo)) {
            if (n.present) best = n;
            if (n.len == width) break;
            n = bit(hi, lo, n.len) ? n.right : n.left;
        }
        return best;
    }

    /** Longest present entry covering {@code (hi, lo)} in the subtree of {@code start}, or null. */
    static Node longestFrom(Node start, long hi, long lo, int width) {
        Node n = start;
        Node best = null;
        while (n != null && covers(n, hi, lo)) {
            if (n.present) best = n;
            if (n.len == width) break;
            n = bit(hi, lo, n.len) ? n.right : n.left;
        }
        return best;
    }

    /** IPv4 hot path: the longest entry for {@code addr}, or null. */
    Node longestV4(int addr) {
        long hi = ((long) addr) << 32;
        Node n = root;
        Node best = null;
        while (n != null && ((hi ^ n.hi) & MASK_HI[n.len]) == 0) {
            if (n.present) best = n;
            if (n.len == 32) break;
            n = (hi << n.len) < 0 ? n.right : n.left;
        }
        return best;
    }

    /** The entry for exactly this prefix, or null. */
    Node find(long hi, long lo, int len) {
        Node n = root;
        while (n != null && n.len <= len && covers(n, hi, lo)) {
            if (n.len == len) return n.present ? n : null;
            n = bit(hi, lo, n.len) ? n.right : n.left;
        }
        return null;
    }

    /**
     * The node for this prefix, created if needed; the caller fills it and
     * sets {@code present} (then calls {@link #markAdded()}).
     */
    Node insert(long hi, long lo, int len) {
        if (root == null) {
            root = new Node(hi, lo, len);
            return root;
        }
        Node parent = null;
        Node n = root;
        while (true) {
            int common = commonBits(hi, lo, n.hi, n.lo, Math.min(len, n.len));
            if (common == n.len) {
                if (n.len == len) return n;
                boolean right = bit(hi, lo, n.len);
                Node c = right ? n.right : n.left;
                if (c == null) {
                    Node x = new Node(hi, lo, len);
                    if (right) n.right = x; else n.left = x;
                    return x;
                }
                parent = n;
                n = c;
                continue;
            }
            Node x = new Node(hi, lo, len);
            if (common == len) {
                // the new prefix sits above n
                if (bit(n.hi, n.lo, len)) x.right = n; else x.left = n;
                replace(parent, n, x);
            } else {
                Node branch = new Node(hi, lo, common);
                if (bit(hi, lo, common)) {
                    branch.right = x;
                    branch.left = n;
                } else {
                    branch.left = x;
                    branch.right = n;
                }
                replace(parent, n, branch);
            }
            return x;
        }
    }

    void markAdded() {
        size++;
    }

    private void replace(Node parent, Node old, Node with) {
        if (parent == null) root = with;
        else if (parent.left == old) parent.left = with;
        else parent.right = with;
    }

    /** Removes the entry for exactly this prefix; returns it (cleared of data except key) or null. */
    boolean remove(long hi, long lo, int len) {
        Node gp = null;
        Node p = null;
        Node n = root;
        while (n != null && n.len < len && covers(n, hi, lo)) {
            gp = p;
            p = n;
            n = bit(hi, lo, n.len) ? n.right : n.left;
        }
        if (n == null || n.len != len || !covers(n, hi, lo) || !n.present) return false;
        n.clearEntry();
        size--;
        if (n.left != null && n.right != null) return true;
        Node child = n.left != null ? n.left : n.right;
        replace(p, n, child);
        if (child == null && p != null && !p.present) {
            Node other = p.left != null ? p.left : p.right;
            replace(gp, p, other);
        }
        return true;
    }

    void clear() {
        root = null;
        size = 0;
    }

    /** Every entry in pfctl's show order: address, then shorter prefix first. */
    void forEach(Consumer<Node> action) {
        if (root == null) return;
        Node[] stack = new Node[width * 2 + 4];
        int sp = 0;
        stack[sp++] = root;
        while (sp > 0) {
            Node n = stack[--sp];
            if (n.present) action.accept(n);
            if (n.right != null) stack[sp++] = n.right;
            if (n.left != null) stack[sp++] = n.left;
        }
    }

    /**
     * Pre-order walk (show order: address, then shorter prefix first) of the
     * entries after {@code (hi, lo)/len} in that order (all of them when
     * {@code len < 0}), until {@code action} returns false. Subtrees that end
     * before the resume address are skipped, so resuming costs a walk down
     * one path, not a walk of everything shown before.
     */
    void forEachAfter(long hi, long lo, int len, java.util.function.Predicate<Node> action) {
        if (root == null) return;
        Node[] stack = new Node[width * 2 + 4];
        int sp = 0;
        stack[sp++] = root;
        while (sp > 0) {
            Node n = stack[--sp];
            if (len >= 0) {
                long eh = n.hi | ~MASK_HI[n.len];
                long el = n.lo | ~MASK_LO[n.len];
                int c = eh != hi ? Long.compareUnsigned(eh, hi) : Long.compareUnsigned(el, lo);
                if (c < 0) continue; // the whole subtree comes before the resume point
            }
            if (n.present && (len < 0 || after(n, hi, lo, len)) && !action.test(n)) return;
            if (n.right != null) stack[sp++] = n.right;
            if (n.left != null) stack[sp++] = n.left;
        }
    }

    private static boolean after(Node n, long hi, long lo, int len) {
        if (n.hi != hi) return Long.compareUnsigned(n.hi, hi) > 0;
        if (n.lo != lo) return Long.compareUnsigned(n.lo, lo) > 0;
        return n.len > len;
    }

    IpPrefix prefixOf(Node n) {
        IpAddress a = width == 32 ? IpAddress.ofV4((int) (n.hi >>> 32)) : IpAddress.ofV6(n.hi, n.lo);
        return new IpPrefix(a, n.len);
    }

    /** Appends the node's prefix as pfctl prints it (address, /len unless a host) to {@code sb}. */
    void appendPrefix(StringBuilder sb, Node n) {
        byte[] b = new byte[PREFIX_TEXT];
        sb.append(new String(b, 0, appendPrefix(b, 0, n), java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    /** The longest text {@link #appendPrefix(byte[], int, Node)} writes: an IPv6 address and /NNN. */
    static final int PREFIX_TEXT = IpAddress.MAX_TEXT + 4;

    /** Writes the node's prefix as pfctl prints it, in ASCII, at {@code off}; returns the offset after it. */
    int appendPrefix(byte[] dst, int off, Node n) {
        off = width == 32 ? IpAddress.format(false, 0, n.hi >>> 32, dst, off) : IpAddress.format(true, n.hi, n.lo, dst, off);
        if (n.len != width) {
            dst[off++] = '/';
            off = IpAddress.decimal3(n.len, dst, off);
        }
        return off;
    }
}
