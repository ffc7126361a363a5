package dev.palisade.core.lang;

import java.util.Map;

/**
 * What a parse depends on besides the text: the host facts, {@code -D}
 * macros (they win over the file's), and how to read {@code include}d files
 * (core does no I/O; null refuses includes).
 */
public record ParseOptions(HostProfile host, Map<String, String> defines, IncludeReader includes) {
    public ParseOptions {
        java.util.Objects.requireNonNull(host, "host");
        defines = Map.copyOf(defines);
    }

    public static ParseOptions of(HostProfile host) {
        return new ParseOptions(host, Map.of(), null);
    }

    /** Reads an included file by name; throws with a message naming the file on failure. */
    @FunctionalInterface
    public interface IncludeReader {
        String read(String path) throws java.io.IOException;
    }
}
