package dev.palisade.core.pcap;

/**
 * One packet read from a capture. Reused by its reader: valid until the
 * next {@link CaptureReader#next(CaptureRecord)}; copy what must outlive it.
 */
public final class CaptureRecord {
    byte[] data = new byte[2048];
    int length;
    int originalLength;
    long timestampNanos;
    int linkType;
    int interfaceId;
    String interfaceName;
    Direction direction = Direction.UNKNOWN;
    long number;
    long fileOffset;

    /** The frame bytes, {@code data()[0 .. length())}; the array may be longer. */
    public byte[] data() { return data; }
    /** Bytes captured. */
    public int length() { return length; }
    /** Length of the packet on the wire (larger than {@link #length()} when the snap length cut it). */
    public int originalLength() { return originalLength; }
    /** Epoch nanoseconds, 0 when the capture has none (pcapng simple packet block). */
    public long timestampNanos() { return timestampNanos; }
    /** Link-layer type, see {@link LinkType}. */
    public int linkType() { return linkType; }
    /** pcapng interface id (0 for pcap). */
    public int interfaceId() { return interfaceId; }
    /** Interface name from pcapng if_name, or null. */
    public String interfaceName() { return interfaceName; }
    /** Direction from pcapng epb_flags or the Linux cooked header, else UNKNOWN. */
    public Direction direction() { return direction; }
    /** 1-based packet number in the capture, as Wireshark numbers frames. */
    public long number() { return number; }
    /** Offset of the record (pcap record header / pcapng block) in the file. */
    public long fileOffset() { return fileOffset; }

    /** Offset of the IP header in {@link #data()}, or {@link LinkType#NOT_IP} / {@link LinkType#TRUNCATED}. */
    public int ipOffset() {
        return LinkType.ipOffset(linkType, data, 0, length);
    }

    void ensure(int n) {
        if (data.length < n) {
            data = new byte[Math.max(n, data.length * 2)];
        }
    }
}
