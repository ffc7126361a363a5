package dev.palisade.core.pcap;

/** Direction of a captured packet as the capture recorded it (pcapng epb_flags, Linux cooked packet type). */
public enum Direction {
    IN, OUT, UNKNOWN
}
