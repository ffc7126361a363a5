package dev.palisade.kernel.netlink;

/**
 * The kernel refused a netlink message. The message reads like pfctl's
 * {@code err(1, "DIOCADDRULE")}: the message type, the object it was about,
 * the errno name, and the kernel's extended-ack text when it gave one, e.g.
 * {@code NFT_MSG_NEWSETELEM(inet palisade bastards): EEXIST}.
 */
public class NetlinkException extends ErrnoException {

    private final String kernelMessage;

    public NetlinkException(String what, int errno, String kernelMessage) {
        super(what, errno, kernelMessage);
        this.kernelMessage = kernelMessage;
    }

    /** The kernel's extended-ack message, or null. */
    public String kernelMessage() {
        return kernelMessage;
    }
}
