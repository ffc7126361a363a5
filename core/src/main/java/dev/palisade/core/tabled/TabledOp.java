package dev.palisade.core.tabled;

/** A table command of the pftabled protocol, with its wire code (the same in every version). */
public enum TabledOp {
    /** Add the prefix to the table (or refresh its lifetime). */
    ADD(1, "add"),
    /** Delete the exact prefix from the table. */
    DELETE(2, "del"),
    /** Delete every entry of the table. */
    FLUSH(3, "flush");

    private final int code;
    private final String word;

    TabledOp(int code, String word) {
        this.code = code;
        this.word = word;
    }

    /** The command byte on the wire. */
    public int code() {
        return code;
    }

    /** The client's word for it: {@code add}, {@code del} or {@code flush}. */
    public String word() {
        return word;
    }

    /** The op for a wire code, or null when the code is not 1, 2 or 3. */
    public static TabledOp ofCode(int code) {
        return switch (code) {
            case 1 -> ADD;
            case 2 -> DELETE;
            case 3 -> FLUSH;
            default -> null;
        };
    }

    /** The op for the client's word ({@code add}, {@code del}, {@code flush}); throws naming the word otherwise. */
    public static TabledOp ofWord(String word) {
        for (TabledOp op : values()) {
            if (op.word.equals(word)) return op;
        }
        throw new IllegalArgumentException("unknown command \"" + word + "\": expected add, del or flush");
    }
}
