package dev.palisade.kernel.nfqueue;

/**
 * One packet read from an NFQUEUE queue, with the metadata the kernel sent.
 *
 * @param queue      queue number
 * @param id         the kernel's packet id, for the verdict
 * @param hwProtocol link-layer protocol (0x0800 IPv4, 0x86dd IPv6)
 * @param hook       netfilter hook number (0 prerouting .. 4 postrouting)
 * @param family     nfgenmsg family (2 IPv4, 10 IPv6)
 * @param inIndex    input interface index, 0 when none
 * @param outIndex   output interface index, 0 when none
 * @param mark       the packet mark
 * @param timestampNanos epoch nanoseconds, 0 when the kernel sent none
 * @param data       the packet from its IP header (up to the copy range)
 * @param gso        the packet is a GSO super-packet (sent only with the GSO flag)
 */
public record QueuedPacket(int queue, long id, int hwProtocol, int hook, int family, int inIndex, int outIndex, int mark,
                           long timestampNanos, byte[] data, boolean gso) {}
