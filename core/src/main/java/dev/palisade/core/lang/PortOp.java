package dev.palisade.core.lang;

/** A port test ({@code port = 22}, {@code port 1024:65535}); {@code hi} is used by binary operators only. */
public record PortOp(Op op, int lo, int hi) {
    public PortOp {
        if (lo < 0 || lo > 65535 || hi < 0 || hi > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535: " + lo + " " + hi);
        }
    }

    public boolean test(int port) {
        return op.test(port, lo, hi);
    }
}
