package dev.palisade.services.payload.redact;

import java.util.regex.Pattern;

/**
 * One redact pattern and what to do on a match.
 *
 * @param name   the label in logs and metrics: "card", "ssn", or the regex's name
 * @param regex  the user's regex, or null for the built-in card/ssn scanners
 * @param action alert only, or mask the matched bytes with 'X'
 */
public record RedactRule(String name, Pattern regex, Action action) {

    /** What a match does. */
    public enum Action {
        /** A log line with the flow and a counter; the packet passes unchanged. */
        ALERT,
        /** As alert, and every matched byte of this packet becomes 'X' (same length). */
        MASK
    }

    public RedactRule {
        if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("pattern name must be letters, digits, '_', '.' or '-', got \"" + name + "\"");
        }
        if (regex == null && !name.equals("card") && !name.equals("ssn")) {
            throw new IllegalArgumentException("built-in pattern must be card or ssn, got \"" + name + "\"");
        }
        if (action == null) throw new IllegalArgumentException("pattern " + name + ": action must not be null");
    }

    public boolean builtIn() {
        return regex == null;
    }
}
