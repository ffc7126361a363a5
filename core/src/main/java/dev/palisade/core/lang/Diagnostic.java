package dev.palisade.core.lang;

/** An error in pf's words, at a file and line: prints as {@code FILE:LINE: message}. */
public record Diagnostic(String file, int line, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + message;
    }
}
