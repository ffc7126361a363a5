package dev.palisade.core.divert;

/**
 * One packet handed to user space by a {@code divert-packet port N} rule
 * (NFQUEUE queue N on Linux).
 *
 * @param queue       the divert port / queue number
 * @param id          the kernel's packet id (for the verdict)
 * @param data        the whole IP packet, starting at the IP header; owned by the diverter until it answers
 * @param inInterface the input interface name, or null
 * @param outInterface the output interface name, or null
 * @param timestampNanos when the packet was received (epoch nanoseconds), or 0 when unknown
 */
public record DivertedPacket(int queue, long id, byte[] data, String inInterface, String outInterface, long timestampNanos) {}
