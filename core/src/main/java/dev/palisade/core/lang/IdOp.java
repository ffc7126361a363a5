package dev.palisade.core.lang;

/** A user or group test ({@code user = 0}, {@code group >= 1000}); ids are numbers after lookup. */
public record IdOp(Op op, long lo, long hi) {
    public IdOp {
        if (lo < 0 || hi < 0 || lo > 0xffffffffL || hi > 0xffffffffL) {
            throw new IllegalArgumentException("id out of range 0..4294967295: " + lo + " " + hi);
        }
    }
}
