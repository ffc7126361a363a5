package dev.palisade.core.lang;

import java.util.Objects;

/** One side of a rule ({@code from} or {@code to}): an address, maybe negated with {@code !}, and a port test. */
public record AddrMatch(boolean negated, Address address, PortOp port) {
    public AddrMatch {
        Objects.requireNonNull(address, "address");
    }

    /** {@code any}, no port. */
    public static final AddrMatch ANY = new AddrMatch(false, Address.ANY, null);
}
