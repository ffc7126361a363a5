package dev.palisade.core.divert;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code diverter} blocks of palisade.conf:
 *
 * <pre>
 * # comment
 * diverter "redact" port 700 {
 *     pattern card mask; pattern ssn alert
 *     regex "secret-[0-9]+" mask
 * }
 * </pre>
 *
 * <p>A block is {@code diverter "TYPE" port N { statements }}; a statement is
 * words up to a {@code ;}, a newline or the closing brace. A word is either
 * bare (no blanks, quotes, braces, {@code ;} or {@code #}) or a double-quoted
 * string with {@code \"} and {@code \\} escapes. Every error is collected,
 * with its line, before one {@link DiverterConfigException} is thrown: a file
 * with an error yields nothing.
 *
 * <p>palisaded's own palisade.conf reader hands the text of each
 * {@code diverter} block here with {@link #parse(String, String, int)}.
 */
public final class DiverterConfigParser {

    private enum Kind { WORD, STRING, LBRACE, RBRACE, SEMI, NL, EOF }

    private record Token(Kind kind, String text, int line) {
        String show() {
            return switch (kind) {
                case NL -> "end of line";
                case EOF -> "end of input";
                case STRING -> "\"" + text + "\"";
                default -> "\"" + text + "\"";
            };
        }
    }

    private final String source;
    private final List<Token> tokens = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private int pos;

    private DiverterConfigParser(String source) {
        this.source = source;
    }

    /** Every {@code diverter} block in {@code text} (nothing else may appear but comments). */
    public static List<DiverterConfig> parse(String text, String source) {
        return parse(text, source, 1);
    }

    /** Like {@link #parse(String, String)} for text that starts at line {@code firstLine} of {@code source}. */
    public static List<DiverterConfig> parse(String text, String source, int firstLine) {
        DiverterConfigParser p = new DiverterConfigParser(source);
        p.lex(text, firstLine);
        List<DiverterConfig> out = p.blocks();
        if (!p.errors.isEmpty()) {
            // Lexer and parser errors in file order (the sort is stable).
            int skip = source.length() + 1;
            p.errors.sort(java.util.Comparator.comparingInt(e -> lineOf(e, skip)));
            throw new DiverterConfigException(p.errors);
        }
        return out;
    }

    private static int lineOf(String error, int skip) {
        int i = skip;
        int v = 0;
        while (i < error.length() && Character.isDigit(error.charAt(i))) v = v * 10 + (error.charAt(i++) - '0');
        return v;
    }

    /** Exactly one block. */
    public static DiverterConfig parseOne(String text, String source) {
        List<DiverterConfig> all = parse(text, source);
        if (all.size() != 1) throw new DiverterConfigException(source + ": expected one diverter block, found " + all.size());
        return all.getFirst();
    }

    static String quoteIfNeeded(String s) {
        boolean bare = !s.isEmpty();
        for (int i = 0; i < s.length() && bare; i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || c == '"' || c == '{' || c == '}' || c == ';' || c == '#' || c == '\\') bare = false;
        }
        if (bare) return s;
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void lex(String s, int line) {
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\n') {
                tokens.add(new Token(Kind.NL, "\n", line++));
                i++;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else if (c == '#') {
                while (i < n && s.charAt(i) != '\n') i++;
            } else if (c == '{') {
                tokens.add(new Token(Kind.LBRACE, "{", line));
                i++;
            } else if (c == '}') {
                tokens.add(new Token(Kind.RBRACE, "}", line));
                i++;
            } else if (c == ';') {
                tokens.add(new Token(Kind.SEMI, ";", line));
                i++;
            } else if (c == '"') {
                StringBuilder sb = new StringBuilder();
                int start = line;
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = s.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < n && (s.charAt(i + 1) == '"' || s.charAt(i + 1) == '\\')) {
                        sb.append(s.charAt(i + 1));
                        i += 2;
                        continue;
                    }
                    if (d == '\n') line++;
                    sb.append(d);
                    i++;
                }
                if (!closed) errors.add(source + ":" + start + ": unterminated quoted string");
                tokens.add(new Token(Kind.STRING, sb.toString(), start));
            } else {
                int st = i;
                while (i < n) {
                    char d = s.charAt(i);
                    if (Character.isWhitespace(d) || d == '"' || d == '{' || d == '}' || d == ';' || d == '#') break;
                    i++;
                }
                tokens.add(new Token(Kind.WORD, s.substring(st, i), line));
            }
        }
        tokens.add(new Token(Kind.EOF, "", line));
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind != Kind.EOF) pos++;
        return t;
    }

    private void skipBlank() {
        while (peek().kind == Kind.NL || peek().kind == Kind.SEMI) pos++;
    }

    private List<DiverterConfig> blocks() {
        List<DiverterConfig> out = new ArrayList<>();
        while (true) {
            skipBlank();
            Token t = peek();
            if (t.kind == Kind.EOF) return out;
            if (t.kind == Kind.WORD && t.text.equals("diverter")) {
                next();
                DiverterConfig c = block(t.line);
                if (c != null) out.add(c);
            } else {
                errors.add(source + ":" + t.line + ": expected \"diverter\", got " + t.show());
                skipStatement();
            }
        }
    }

    /** After an error: skip to the end of the line, or past a whole braced block. */
    private void skipStatement() {
        int depth = 0;
        while (true) {
            Token t = next();
            switch (t.kind) {
                case EOF -> { return; }
                case LBRACE -> depth++;
                case RBRACE -> { if (--depth <= 0) return; }
                case NL, SEMI -> { if (depth == 0) return; }
                default -> {}
            }
        }
    }

    private DiverterConfig block(int line) {
        Token type = next();
        if (type.kind != Kind.STRING && type.kind != Kind.WORD) {
            errors.add(source + ":" + type.line + ": diverter: expected a type name such as \"redact\", got " + type.show());
            skipStatement();
            return null;
        }
        if (!type.text.matches("[a-z0-9][a-z0-9-]*")) {
            errors.add(source + ":" + type.line + ": diverter: type name must be lower case letters, digits and '-', got \"" + type.text + "\"");
        }
        Token kw = next();
        int port = -1;
        if (kw.kind != Kind.WORD || !kw.text.equals("port")) {
            errors.add(source + ":" + kw.line + ": diverter \"" + type.text + "\": expected \"port\", got " + kw.show());
            pos--;
            skipStatement();
            return null;
        } else {
            Token num = next();
            try {
                port = Integer.parseInt(num.text);
                if (num.kind != Kind.WORD || port < 0 || port > 65535) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                errors.add(source + ":" + num.line + ": diverter \"" + type.text + "\": port: expected a number in 0..65535, got " + num.show());
                port = -1;
            }
        }
        while (peek().kind == Kind.NL) next();
        Token open = next();
        if (open.kind != Kind.LBRACE) {
            errors.add(source + ":" + open.line + ": diverter \"" + type.text + "\": expected \"{\", got " + open.show());
            pos--;
            skipStatement();
            return null;
        }
        List<DiverterConfig.Entry> entries = new ArrayList<>();
        while (true) {
            skipBlank();
            Token t = peek();
            if (t.kind == Kind.RBRACE) {
                next();
                break;
            }
            if (t.kind == Kind.EOF) {
                errors.add(source + ":" + line + ": diverter \"" + type.text + "\": missing \"}\" at end of input");
                return null;
            }
            if (t.kind != Kind.WORD) {
                errors.add(source + ":" + t.line + ": diverter \"" + type.text + "\": expected a setting name, got " + t.show());
                next();
                continue;
            }
            next();
            List<String> args = new ArrayList<>();
            while (peek().kind == Kind.WORD || peek().kind == Kind.STRING) args.add(next().text);
            if (peek().kind == Kind.LBRACE) {
                errors.add(source + ":" + peek().line + ": diverter \"" + type.text + "\": " + t.text + ": unexpected \"{\"");
                skipStatement();
                continue;
            }
            entries.add(new DiverterConfig.Entry(t.text, args, t.line));
        }
        if (port < 0 || !type.text.matches("[a-z0-9][a-z0-9-]*")) return null;
        return new DiverterConfig(type.text, port, source, line, entries);
    }
}
