package dev.palisade.app.control;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The command line's standard output: a UTF-8 {@link PrintWriter} (flushed
 * at each line, as picocli's own) that also hands out its byte stream, so
 * that {@link ControlClient} can copy the daemon's lines to file descriptor 1
 * as they come, without decoding and encoding each one (a {@code -T show}
 * of a million entries).
 */
public final class StdoutWriter extends PrintWriter {

    private final OutputStream bytes;

    private StdoutWriter(OutputStream bytes) {
        super(new OutputStreamWriter(bytes, StandardCharsets.UTF_8), true);
        this.bytes = bytes;
    }

    /** A writer over file descriptor 1, with a 64 KiB buffer. */
    public static StdoutWriter open() {
        return new StdoutWriter(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
    }

    /** The byte stream under this writer, after flushing what the writer holds. */
    public OutputStream bytes() {
        flush();
        return bytes;
    }
}
