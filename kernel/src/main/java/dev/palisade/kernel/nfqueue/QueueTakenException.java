package dev.palisade.kernel.nfqueue;

import dev.palisade.kernel.netlink.NetlinkException;

/** Binding an NFQUEUE queue failed because another socket (another process) holds it. */
public final class QueueTakenException extends NetlinkException {

    private final int queue;

    public QueueTakenException(int queue, int errno) {
        super("NFQNL_MSG_CONFIG(queue " + queue + " BIND)", errno,
                "queue " + queue + " is taken by another process; stop it or choose another divert port");
        this.queue = queue;
    }

    public int queue() {
        return queue;
    }
}
