package dev.palisade.core.pcap;

import java.io.IOException;
import java.io.InputStream;

/**
 * Classic libpcap files: either byte order, microsecond or nanosecond
 * timestamps (magic a1b2c3d4 / a1b23c4d). Format: a 24-byte file header
 * (magic, version, zone, sigfigs, snaplen, link type) then records of a
 * 16-byte header (seconds, sub-seconds, captured length, original length)
 * and the frame.
 */
final class PcapReader extends CaptureReader {
    private final boolean le;
    private final boolean nanos;
    private final int linkType;
    private final int snaplen;
    private final byte[] hdr = new byte[20];

    PcapReader(String name, InputStream in, int magicBe) throws IOException {
        super(name, in, 4);
        le = magicBe == 0xd4c3b2a1 || magicBe == 0x4d3cb2a1;
        nanos = magicBe == 0xa1b23c4d || magicBe == 0x4d3cb2a1;
        if (read(hdr, 0, 20) < 20) {
            throw new CaptureException(name, pos, "pcap file header cut short: expected 24 bytes");
        }
        int major = u16(hdr, 0, le);
        if (major != 2) {
            throw new CaptureException(name, 4, "pcap version " + major + "." + u16(hdr, 2, le) + ", expected 2.4");
        }
        snaplen = (int) u32(hdr, 12, le);
        // the upper bits may carry an FCS length (LINKTYPE_FCS flags); the type is the low 16
        linkType = (int) (u32(hdr, 16, le) & 0xffff);
    }

    @Override
    public String format() {
        return nanos ? "pcap (nanosecond)" : "pcap";
    }

    /** The file's link type. */
    public int linkType() {
        return linkType;
    }

    @Override
    public boolean next(CaptureRecord rec) throws IOException {
        long at = pos;
        int n = read(hdr, 0, 16);
        if (n == 0) {
            return false;
        }
        if (n < 16) {
            bad(at, "record header cut short: " + n + " of 16 bytes at end of file");
            return false;
        }
        long sec = u32(hdr, 0, le);
        long sub = u32(hdr, 4, le);
        long caplen = u32(hdr, 8, le);
        long origlen = u32(hdr, 12, le);
        if (caplen > MAX_RECORD) {
            throw new CaptureException(name, at, "record captured length " + caplen + " exceeds " + MAX_RECORD
                    + " (corrupt file or not pcap); cannot find the next record");
        }
        int len = (int) caplen;
        rec.ensure(len);
        int got = read(rec.data, 0, len);
        if (got < len) {
            bad(at, "record cut short: " + got + " of " + len + " bytes at end of file");
            return false;
        }
        rec.length = len;
        rec.originalLength = (int) Math.min(Math.max(origlen, caplen), Integer.MAX_VALUE);
        rec.timestampNanos = sec * 1_000_000_000L + (nanos ? sub : sub * 1000L);
        rec.linkType = linkType;
        rec.interfaceId = 0;
        rec.interfaceName = null;
        rec.direction = LinkType.direction(linkType, rec.data, 0, len);
        rec.number = ++records;
        rec.fileOffset = at;
        return true;
    }
}
