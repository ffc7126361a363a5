package dev.palisade.kernel.netlink;

import java.io.IOException;

/** A libc call failed: carries the call and the errno, printed by name ({@code bind: EADDRINUSE}). */
public class ErrnoException extends IOException {

    private final String call;
    private final int errno;

    public ErrnoException(String call, int errno) {
        this(call, errno, null);
    }

    public ErrnoException(String call, int errno, String detail) {
        super(call + ": " + Errno.name(errno) + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.call = call;
        this.errno = errno;
    }

    /** The call, or the netlink message with its object, that failed. */
    public String call() {
        return call;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }
}
