package dev.palisade.core.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * pcapng (draft-ietf-opsawg-pcapng): section header blocks in either byte
 * order, interface description blocks (link type, snaplen, if_name,
 * if_tsresol, if_tsoffset), enhanced packet blocks (with the epb_flags
 * direction), simple packet blocks and the obsolete packet block; every
 * other block is skipped by its length. A new section forgets the
 * interfaces of the previous one.
 *
 * <p>Why block by block: each block states its length at both ends, so a
 * bad packet block can be counted and skipped; only a block length that
 * cannot be right (below 12, not a multiple of 4, above the limit, or not
 * repeated at the block's end) stops the reading.
 */
final class PcapNgReader extends CaptureReader {
    private static final int MAX_BLOCK = 16 * 1024 * 1024;

    private record Iface(int linkType, int snaplen, String name, boolean binaryRes, int res, long tsOffsetSec) {}

    private boolean le;
    private final List<Iface> ifaces = new ArrayList<>();
    private byte[] block = new byte[4096];
    private final byte[] head = new byte[8];

    PcapNgReader(String name, InputStream in) throws IOException {
        super(name, in, 4);
        // first block: the section header, magic already consumed
        readSectionHeader(0, true);
    }

    @Override
    public String format() {
        return "pcapng";
    }

    /** Reads a section header block whose type was consumed; its length is read next. */
    private void readSectionHeader(long at, boolean unused) throws IOException {
        if (read(head, 4, 4) < 4) {
            throw new CaptureException(name, at, "pcapng section header cut short");
        }
        readSectionHeaderAfterType(at);
    }

    private void checkLength(long at, long total) throws CaptureException {
        if (total < 12 || (total & 3) != 0 || total > MAX_BLOCK) {
            throw new CaptureException(name, at, "pcapng block length " + total
                    + ", expected a multiple of 4 from 12 to " + MAX_BLOCK + "; cannot find the next block");
        }
    }

    private void checkTrailer(long at, long total, byte[] b, int bodyLen) throws CaptureException {
        long trailer = u32(b, bodyLen, le);
        if (trailer != total) {
            throw new CaptureException(name, at, "pcapng block length " + total + " at start but " + trailer + " at end");
        }
    }

    private byte[] body(int n) {
        if (block.length < n) {
            block = new byte[Math.max(n, block.length * 2)];
        }
        return block;
    }

    @Override
    public boolean next(CaptureRecord rec) throws IOException {
        while (true) {
            long at = pos;
            int n = read(head, 0, 8);
            if (n == 0) {
                return false;
            }
            if (n < 8) {
                bad(at, "block header cut short: " + n + " of 8 bytes at end of file");
                return false;
            }
            long type = u32(head, 0, le);
            if (type == 0x0a0d0d0aL) {
                // a new section; its byte order may differ, so re-read the length with it
                readSectionHeaderAfterType(at);
                continue;
            }
            long total = u32(head, 4, le);
            checkLength(at, total);
            int bodyLen = (int) total - 12;
            byte[] b = body(bodyLen + 4);
            int got = read(b, 0, bodyLen + 4);
            if (got < bodyLen + 4) {
                bad(at, "block cut short: " + got + " of " + (bodyLen + 4) + " bytes at end of file");
                return false;
            }
            checkTrailer(at, total, b, bodyLen);
            switch ((int) type) {
                case 1 -> readInterface(b, bodyLen, at);
                case 6 -> {
                    if (epb(rec, b, bodyLen, at)) return true;
                }
                case 3 -> {
                    if (spb(rec, b, bodyLen, at)) return true;
                }
                case 2 -> {
                    if (obsoletePb(rec, b, bodyLen, at)) return true;
                }
                default -> { } // name resolution, statistics, custom, ...: skipped
            }
        }
    }

    /** The section header's type and length are in head[0..8); the byte-order magic follows. */
    private void readSectionHeaderAfterType(long at) throws IOException {
        byte[] bomb = new byte[4];
        if (read(bomb, 0, 4) < 4) {
            throw new CaptureException(name, at, "pcapng section header cut short");
        }
        long bom = u32(bomb, 0, false);
        if (bom == 0x1a2b3c4dL) {
            le = false;
        } else if (bom == 0x4d3c2b1aL) {
            le = true;
        } else {
            throw new CaptureException(name, at + 8, String.format("pcapng byte-order magic 0x%08x, expected 1a2b3c4d", bom));
        }
        long total = u32(head, 4, le);
        checkLength(at, total);
        if (total < 28) {
            throw new CaptureException(name, at, "pcapng section header length " + total + ", expected at least 28");
        }
        int rest = (int) total - 16; // body after the magic, then the trailing length
        byte[] b = body(rest + 4);
        if (read(b, 0, rest + 4) < rest + 4) {
            throw new CaptureException(name, at, "pcapng section header cut short");
        }
        int major = u16(b, 0, le);
        if (major != 1) {
            throw new CaptureException(name, at + 12, "pcapng version " + major + ", expected 1");
        }
        checkTrailer(at, total, b, rest);
        ifaces.clear();
    }

    private void readInterface(byte[] b, int len, long at) {
        if (len < 8) {
            bad(at, "interface description block too short");
            ifaces.add(new Iface(-1, 0, null, false, 6, 0));
            return;
        }
        int link = u16(b, 0, le);
        int snap = (int) Math.min(u32(b, 4, le), Integer.MAX_VALUE);
        String ifName = null;
        boolean binary = false;
        int res = 6;
        long tsOff = 0;
        int p = 8;
        while (p + 4 <= len) {
            int code = u16(b, p, le);
            int olen = u16(b, p + 2, le);
            if (code == 0 || p + 4 + olen > len) break;
            int v = p + 4;
            switch (code) {
                case 2 -> ifName = new String(b, v, olen, StandardCharsets.UTF_8).replace("\0", "");
                case 9 -> {
                    if (olen >= 1) {
                        binary = (b[v] & 0x80) != 0;
                        res = b[v] & 0x7f;
                    }
                }
                case 14 -> {
                    if (olen >= 8) {
                        tsOff = le ? (u32(b, v + 4, true) << 32) | u32(b, v, true) : (u32(b, v, false) << 32) | u32(b, v + 4, false);
                    }
                }
                default -> { }
            }
            p += 4 + ((olen + 3) & ~3);
        }
        ifaces.add(new Iface(link, snap, ifName, binary, res, tsOff));
    }

    private long toNanos(Iface f, long units) {
        long ns;
        if (f.binaryRes) {
            int k = Math.min(f.res, 62);
            long whole = units >>> k;
            long frac = units & ((1L << k) - 1);
            ns = whole * 1_000_000_000L + (k == 0 ? 0 : (long) (frac * (1_000_000_000.0 / (1L << k))));
        } else if (f.res <= 9) {
            long m = 1;
            for (int i = f.res; i < 9; i++) m *= 10;
            ns = units * m;
        } else {
            long d = 1;
            for (int i = 9; i < Math.min(f.res, 27); i++) d *= 10;
            ns = units / d;
        }
        return ns + f.tsOffsetSec * 1_000_000_000L;
    }

    private Iface iface(long id, long at) {
        if (id < 0 || id >= ifaces.size()) {
            bad(at, "packet for interface " + id + " but the section describes " + ifaces.size());
            return null;
        }
        Iface f = ifaces.get((int) id);
        if (f.linkType < 0) {
            bad(at, "packet for interface " + id + " whose description block was bad");
            return null;
        }
        return f;
    }

    private boolean fill(CaptureRecord rec, Iface f, int id, byte[] b, int dataOff, int caplen, long origlen, long ts, long at) {
        if (caplen > MAX_RECORD) {
            bad(at, "captured length " + caplen + " exceeds " + MAX_RECORD);
            return false;
        }
        rec.ensure(caplen);
        System.arraycopy(b, dataOff, rec.data, 0, caplen);
        rec.length = caplen;
        rec.originalLength = (int) Math.min(Math.max(origlen, caplen), Integer.MAX_VALUE);
        rec.timestampNanos = ts;
        rec.linkType = f.linkType;
        rec.interfaceId = id;
        rec.interfaceName = f.name;
        rec.direction = LinkType.direction(f.linkType, rec.data, 0, caplen);
        rec.number = ++records;
        rec.fileOffset = at;
        return true;
    }

    private boolean epb(CaptureRecord rec, byte[] b, int len, long at) {
        if (len < 20) {
            bad(at, "enhanced packet block body " + len + " bytes, expected at least 20");
            return false;
        }
        long id = u32(b, 0, le);
        Iface f = iface(id, at);
        if (f == null) return false;
        long ts = (u32(b, 4, le) << 32) | u32(b, 8, le);
        long caplen = u32(b, 12, le);
        long origlen = u32(b, 16, le);
        if (20 + caplen > len) {
            bad(at, "enhanced packet block captured length " + caplen + " beyond its block of " + len + " bytes");
            return false;
        }
        int c = (int) caplen;
        if (!fill(rec, f, (int) id, b, 20, c, origlen, toNanos(f, ts), at)) return false;
        // options: epb_flags (2) bits 0-1 = direction
        int p = 20 + ((c + 3) & ~3);
        while (p + 4 <= len) {
            int code = u16(b, p, le);
            int olen = u16(b, p + 2, le);
            if (code == 0 || p + 4 + olen > len) break;
            if (code == 2 && olen == 4) {
                int dir = (int) (u32(b, p + 4, le) & 3);
                if (dir == 1) rec.direction = Direction.IN;
                else if (dir == 2) rec.direction = Direction.OUT;
            }
            p += 4 + ((olen + 3) & ~3);
        }
        return true;
    }

    private boolean spb(CaptureRecord rec, byte[] b, int len, long at) {
        if (len < 4) {
            bad(at, "simple packet block body " + len + " bytes, expected at least 4");
            return false;
        }
        Iface f = iface(0, at);
        if (f == null) return false;
        long origlen = u32(b, 0, le);
        long cap = Math.min(origlen, len - 4);
        if (f.snaplen > 0) cap = Math.min(cap, f.snaplen);
        return fill(rec, f, 0, b, 4, (int) cap, origlen, 0, at);
    }

    private boolean obsoletePb(CaptureRecord rec, byte[] b, int len, long at) {
        if (len < 20) {
            bad(at, "packet block body " + len + " bytes, expected at least 20");
            return false;
        }
        int id = u16(b, 0, le);
        Iface f = iface(id, at);
        if (f == null) return false;
        long ts = (u32(b, 4, le) << 32) | u32(b, 8, le);
        long caplen = u32(b, 12, le);
        long origlen = u32(b, 16, le);
        if (20 + caplen > len) {
            bad(at, "packet block captured length " + caplen + " beyond its block of " + len + " bytes");
            return false;
        }
        return fill(rec, f, id, b, 20, (int) caplen, origlen, toNanos(f, ts), at);
    }
}
