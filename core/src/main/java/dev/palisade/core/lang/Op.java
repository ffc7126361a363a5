package dev.palisade.core.lang;

/** pf's comparison operators for ports, users and groups. */
public enum Op {
    /** {@code =} */ EQ("="),
    /** {@code !=} */ NE("!="),
    /** {@code <} */ LT("<"),
    /** {@code <=} */ LE("<="),
    /** {@code >} */ GT(">"),
    /** {@code >=} */ GE(">="),
    /** {@code a >< b}: strictly between. */ IRG("><"),
    /** {@code a <> b}: outside. */ XRG("<>"),
    /** {@code a:b}: inclusive range. */ RRG(":");

    public final String symbol;

    Op(String symbol) {
        this.symbol = symbol;
    }

    /** True for the binary (two-operand) forms. */
    public boolean binary() {
        return this == IRG || this == XRG || this == RRG;
    }

    /** Whether v passes {@code v OP lo [hi]}. */
    public boolean test(long v, long lo, long hi) {
        return switch (this) {
            case EQ -> v == lo;
            case NE -> v != lo;
            case LT -> v < lo;
            case LE -> v <= lo;
            case GT -> v > lo;
            case GE -> v >= lo;
            case IRG -> v > lo && v < hi;
            case XRG -> v < lo || v > hi;
            case RRG -> v >= lo && v <= hi;
        };
    }
}
