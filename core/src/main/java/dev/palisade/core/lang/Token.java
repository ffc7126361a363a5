package dev.palisade.core.lang;

/**
 * A lexical token. WORD is an unquoted string (keywords are words), STRING a
 * quoted one (never a keyword), PUNCT one of {@code { } ( ) , / < > ! = <= >= != <> ><}.
 */
record Token(Kind kind, String text, int line) {
    enum Kind { WORD, STRING, PUNCT, NEWLINE, EOF, ERROR }

    boolean is(String punctOrKeyword) {
        return (kind == Kind.PUNCT || kind == Kind.WORD) && text.equals(punctOrKeyword);
    }

    boolean isWord() {
        return kind == Kind.WORD;
    }

    /** A word or a quoted string: pf's STRING. */
    boolean isString() {
        return kind == Kind.WORD || kind == Kind.STRING;
    }

    boolean atEnd() {
        return kind == Kind.NEWLINE || kind == Kind.EOF;
    }

    @Override
    public String toString() {
        return kind == Kind.NEWLINE ? "end of line" : kind == Kind.EOF ? "end of file" : "\"" + text + "\"";
    }
}
