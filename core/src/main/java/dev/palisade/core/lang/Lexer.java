package dev.palisade.core.lang;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * pf.conf's lexer, pulled token by token by the parser because macros
 * defined by one statement change how the next one lexes.
 *
 * <p>As in pfctl: {@code #} comments run to the end of the line and a
 * backslash before the newline continues them; backslash-newline elsewhere
 * is a blank; {@code $name} outside quotes pushes the macro's text back into
 * the input (so a macro may hold any part of a rule, and macros nest);
 * words are runs of letters, digits and punctuation other than
 * {@code ( ) { } < > ! = / # , " '}.
 *
 * <p>Limits (why: the input is untrusted and pfctl's are as strict): a word
 * or quoted string of at most {@value #MAX_STRING} characters; at most
 * {@value #MAX_EXPANSIONS_PER_TOKEN} macro expansions before a token is
 * produced (a macro loop such as {@code a = "$b"}, {@code b = "$a"} stops
 * there); at most {@value #MAX_EXPANDED_CHARS} characters of macro text per
 * parse; includes nest at most {@value #MAX_INCLUDE_DEPTH} deep.
 */
final class Lexer {
    static final int MAX_STRING = 16384;
    static final int MAX_EXPANSIONS_PER_TOKEN = 64;
    static final long MAX_EXPANDED_CHARS = 4L << 20;
    static final int MAX_INCLUDE_DEPTH = 16;

    /** One input: a file (counts lines) or a macro's text (inherits the line). */
    private static final class Source {
        final String name;
        final CharSequence text;
        final boolean file;
        int pos;
        int line = 1;

        Source(String name, CharSequence text, boolean file) {
            this.name = name;
            this.text = text;
            this.file = file;
        }
    }

    private final Deque<Source> stack = new ArrayDeque<>();
    private final Map<String, String> macros = new HashMap<>();
    private final java.util.Set<String> fixedMacros = new java.util.HashSet<>();
    private final Consumer<Diagnostic> errors;
    private long expandedChars;
    private int fileDepth;

    Lexer(String name, CharSequence text, Map<String, String> defines, Consumer<Diagnostic> errors) {
        this.errors = errors;
        stack.push(new Source(name, text, true));
        fileDepth = 1;
        macros.putAll(defines);
        fixedMacros.addAll(defines.keySet());
    }

    /** Defines a macro unless it was given on the command line ({@code -D} wins). */
    void define(String name, String value) {
        if (!fixedMacros.contains(name)) macros.put(name, value);
    }

    /** Pushes an included file; false when includes nest too deep. */
    boolean include(String name, CharSequence text) {
        if (fileDepth >= MAX_INCLUDE_DEPTH) return false;
        stack.push(new Source(name, text, true));
        fileDepth++;
        return true;
    }

    /** The current file's name (for messages). */
    String fileName() {
        return currentFile().name;
    }

    int line() {
        return currentFile().line;
    }

    private Source currentFile() {
        for (Source s : stack) {
            if (s.file) return s;
        }
        return stack.getLast();
    }

    private void error(String msg) {
        errors.accept(new Diagnostic(fileName(), line(), msg));
    }

    /** Next char or -1 at the end of the current file; pops finished macro texts. */
    private int getc() {
        while (true) {
            Source s = stack.peek();
            if (s.pos < s.text.length()) {
                char c = s.text.charAt(s.pos++);
                if (c == '\n' && s.file) s.line++;
                return c;
            }
            if (!s.file) {
                stack.pop();
                continue;
            }
            return -1;
        }
    }

    private int peekc() {
        for (Source s : stack) {
            if (s.pos < s.text.length()) return s.text.charAt(s.pos);
            if (s.file) return -1;
        }
        return -1;
    }

    /** Steps back over the char just read (same source: only called right after getc). */
    private void ungetc(int c) {
        if (c == -1) return;
        Source s = stack.peek();
        if (s.pos == 0) {
            // the char came from a source that has been popped: push it back as text
            stack.push(new Source("", String.valueOf((char) c), false));
            return;
        }
        s.pos--;
        if (c == '\n' && s.file) s.line--;
    }

    /** At the end of an included file, returns to the includer; false at the end of the top file. */
    private boolean popFile() {
        if (fileDepth <= 1) return false;
        while (!stack.peek().file) stack.pop();
        stack.pop();
        fileDepth--;
        return true;
    }

    static boolean allowedInWord(int c) {
        if (c < 0) return false;
        if (Character.isLetterOrDigit(c)) return c < 128;
        if (c <= ' ' || c >= 127) return false;
        return "(){}<>!=/#,\"'\\$".indexOf(c) < 0;
    }

    Token next() {
        int expansions = 0;
        while (true) {
            int c = getc();
            // blanks and line continuations
            while (c == ' ' || c == '\t' || c == '\r' || (c == '\\' && peekc() == '\n')) {
                if (c == '\\') getc();
                c = getc();
            }
            if (c == '#') {
                while (true) {
                    c = getc();
                    if (c == -1 || c == '\n') break;
                    if (c == '\\' && peekc() == '\n') getc();
                }
            }
            int line = line();
            if (c == -1) {
                if (popFile()) return new Token(Token.Kind.NEWLINE, "\n", line);
                return new Token(Token.Kind.EOF, "", line);
            }
            if (c == '\n') return new Token(Token.Kind.NEWLINE, "\n", line - 1);
            if (c == '$') {
                StringBuilder name = new StringBuilder();
                while (true) {
                    int d = getc();
                    if (d >= 0 && d < 128 && (Character.isLetterOrDigit(d) || d == '_')) {
                        if (name.length() >= MAX_STRING) {
                            error("macro name too long");
                            return new Token(Token.Kind.ERROR, "$", line);
                        }
                        name.append((char) d);
                    } else {
                        ungetc(d);
                        break;
                    }
                }
                String value = macros.get(name.toString());
                if (value == null) {
                    error("macro '" + name + "' not defined");
                    return new Token(Token.Kind.ERROR, "$" + name, line);
                }
                if (++expansions > MAX_EXPANSIONS_PER_TOKEN) {
                    error("macro '" + name + "' expands too deeply (a macro loop?)");
                    skipToEol();
                    return new Token(Token.Kind.ERROR, "$" + name, line);
                }
                expandedChars += value.length();
                if (expandedChars > MAX_EXPANDED_CHARS) {
                    error("macro expansion exceeds " + MAX_EXPANDED_CHARS + " characters");
                    skipToEol();
                    return new Token(Token.Kind.ERROR, "$" + name, line);
                }
                stack.push(new Source(name.toString(), value, false));
                continue;
            }
            if (c == '"' || c == '\'') {
                int quote = c;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    int d = getc();
                    if (d == -1 || (d == '\n' && quote != 0)) {
                        error("unterminated quoted string");
                        return new Token(Token.Kind.ERROR, sb.toString(), line);
                    }
                    if (d == quote) break;
                    if (d == '\\') {
                        int e = getc();
                        if (e == '\n') continue;
                        if (e != quote && e != '\\') sb.append('\\');
                        if (e == -1) continue;
                        d = e;
                    }
                    if (sb.length() >= MAX_STRING) {
                        error("string too long");
                        skipToEol();
                        return new Token(Token.Kind.ERROR, "", line);
                    }
                    sb.append((char) d);
                }
                return new Token(Token.Kind.STRING, sb.toString(), line);
            }
            switch (c) {
                case '<' -> {
                    int d = getc();
                    if (d == '=') return punct("<=", line);
                    if (d == '>') return punct("<>", line);
                    ungetc(d);
                    return punct("<", line);
                }
                case '>' -> {
                    int d = getc();
                    if (d == '=') return punct(">=", line);
                    if (d == '<') return punct("><", line);
                    ungetc(d);
                    return punct(">", line);
                }
                case '!' -> {
                    int d = getc();
                    if (d == '=') return punct("!=", line);
                    ungetc(d);
                    return punct("!", line);
                }
                case '{', '}', '(', ')', ',', '/', '=' -> {
                    return punct(String.valueOf((char) c), line);
                }
                default -> {
                }
            }
            if (allowedInWord(c)) {
                StringBuilder sb = new StringBuilder();
                sb.append((char) c);
                while (true) {
                    int d = getc();
                    if (!allowedInWord(d)) {
                        ungetc(d);
                        break;
                    }
                    if (sb.length() >= MAX_STRING) {
                        error("string too long");
                        skipToEol();
                        return new Token(Token.Kind.ERROR, "", line);
                    }
                    sb.append((char) d);
                }
                return new Token(Token.Kind.WORD, sb.toString(), line);
            }
            return new Token(Token.Kind.ERROR, String.valueOf((char) c), line);
        }
    }

    private static Token punct(String s, int line) {
        return new Token(Token.Kind.PUNCT, s, line);
    }

    /** Drops pending macro text and the rest of the current line, leaving the newline to be read. */
    void discardLine() {
        while (!stack.peek().file) stack.pop();
        skipToEol();
    }

    /** Skips the rest of the line (macro texts included), leaving the newline to be read. */
    private void skipToEol() {
        while (true) {
            int c = getc();
            if (c == -1) return;
            if (c == '\n') {
                ungetc(c);
                return;
            }
        }
    }

    static List<String> keywordsNeverMacroNames() {
        return List.of();
    }
}
