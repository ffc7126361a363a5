package dev.palisade.core.divert;

import java.util.List;

/**
 * One or more errors in diverter configuration, each in the file's own
 * terms: {@code palisade.conf:12: diverter "redact": pattern: unknown pattern "iban", expected card or ssn}.
 */
public final class DiverterConfigException extends IllegalArgumentException {

    private final List<String> errors;

    public DiverterConfigException(List<String> errors) {
        super(String.join("\n", errors));
        if (errors.isEmpty()) throw new IllegalArgumentException("a config exception needs at least one error");
        this.errors = List.copyOf(errors);
    }

    public DiverterConfigException(String error) {
        this(List.of(error));
    }

    /** Every error, in file order. */
    public List<String> errors() {
        return errors;
    }
}
