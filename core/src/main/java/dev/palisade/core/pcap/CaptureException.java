package dev.palisade.core.pcap;

import java.io.IOException;

/**
 * A capture file that cannot be read on: bad magic, a header or block that
 * makes the rest unreadable. The message names the file and the byte offset.
 */
public final class CaptureException extends IOException {
    private final String file;
    private final long offset;

    public CaptureException(String file, long offset, String what) {
        super(file + ": offset " + offset + ": " + what);
        this.file = file;
        this.offset = offset;
    }

    public CaptureException(String file, long offset, String what, Throwable cause) {
        super(file + ": offset " + offset + ": " + what, cause);
        this.file = file;
        this.offset = offset;
    }

    /** The capture's name as given to the reader. */
    public String file() {
        return file;
    }

    /** Byte offset in the file where the fault was found. */
    public long offset() {
        return offset;
    }
}
