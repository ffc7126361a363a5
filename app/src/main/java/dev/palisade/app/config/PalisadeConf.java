package dev.palisade.app.config;

import dev.palisade.core.divert.DiverterConfigException;
import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * palisade.conf (docs/palisade.conf.5.md), the part palisaded's core needs
 * today: {@code state-dir}, {@code socket}, {@code allowlist}, in pf.conf's
 * style (macros {@code name = value}, {@code $name}, lists in braces with
 * optional commas, {@code #} comments, {@code \} line continuation).
 *
 * <p>Parsing collects every error (as {@code file:line: message}) and
 * returns them all; a configuration with any error is not used. The
 * services sections (divert, diverter blocks, trap, pftabled, metrics, log,
 * create-tables) are read by {@link ServicesConfParser} into
 * {@link ServicesConf}; {@code diverter} blocks by the payload diverters'
 * own {@link DiverterConfigParser}.
 */
public final class PalisadeConf {

    /** A parsed configuration; null fields were not set. */
    public record Settings(Path stateDir, Path socket, List<IpPrefix> allowlist, ServicesConf services) {
        public Settings {
            allowlist = List.copyOf(allowlist);
            if (services == null) services = ServicesConf.NONE;
        }

        /** The core settings without services. */
        public Settings(Path stateDir, Path socket, List<IpPrefix> allowlist) {
            this(stateDir, socket, allowlist, ServicesConf.NONE);
        }

        public static final Settings EMPTY = new Settings(null, null, List.of());
    }

    /** The outcome: settings, or every error found. */
    public sealed interface Result {
        record Ok(Settings settings) implements Result {}

        record Failed(List<String> errors) implements Result {}
    }

    private PalisadeConf() {}

    public static Result parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            return new Result.Failed(List.of(file + ": cannot read: " + e.getMessage()));
        }
        return parse(file.toString(), text);
    }

    private record Token(String text, boolean quoted, int line) {}

    public static Result parse(String name, String text) {
        List<String> errors = new ArrayList<>();
        Map<String, String> macros = new HashMap<>();
        Path stateDir = null;
        Path socket = null;
        List<IpPrefix> allow = new ArrayList<>();
        ServicesConfParser services = new ServicesConfParser(name, errors);
        // join continued lines, keeping the number of the first
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            int lineNo = i + 1;
            StringBuilder sb = new StringBuilder(raw[i]);
            while (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\\' && i + 1 < raw.length) {
                sb.setLength(sb.length() - 1);
                sb.append(' ').append(raw[++i]);
            }
            if (raw[i].strip().startsWith("diverter") && (raw[i].strip().length() == 8
                    || Character.isWhitespace(raw[i].strip().charAt(8)) || raw[i].strip().charAt(8) == '"')) {
                // a payload diverter block, up to its closing brace: the payload diverters' parser reads it
                StringBuilder block = new StringBuilder();
                int depth = 0;
                boolean opened = false;
                for (; i < raw.length; i++) {
                    block.append(raw[i]).append('\n');
                    depth += braces(raw[i]);
                    if (raw[i].indexOf('{') >= 0) opened = true;
                    if (opened && depth <= 0) break;
                }
                try {
                    services.payload(DiverterConfigParser.parse(block.toString(), name, lineNo));
                } catch (DiverterConfigException e) {
                    errors.addAll(e.errors());
                }
                continue;
            }
            List<Token> toks;
            try {
                toks = tokenize(sb.toString(), lineNo, macros, 0);
            } catch (IllegalArgumentException e) {
                errors.add(name + ":" + lineNo + ": " + e.getMessage());
                continue;
            }
            if (toks.isEmpty()) continue;
            String kw = toks.get(0).text();
            if (toks.size() >= 2 && toks.get(1).text().equals("=") && !toks.get(1).quoted()) {
                if (!kw.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    errors.add(name + ":" + lineNo + ": bad macro name \"" + kw + "\": expected letters, digits and _");
                    continue;
                }
                StringBuilder v = new StringBuilder();
                for (int k = 2; k < toks.size(); k++) {
                    if (k > 2) v.append(' ');
                    v.append(toks.get(k).text());
                }
                macros.put(kw, v.toString());
                continue;
            }
            List<Token> rest = toks.subList(1, toks.size());
            switch (kw) {
                case "state-dir" -> {
                    String p = single(name, lineNo, kw, rest, errors);
                    if (p != null) stateDir = Path.of(p);
                }
                case "socket" -> {
                    String p = single(name, lineNo, kw, rest, errors);
                    if (p != null) socket = Path.of(p);
                }
                case "allowlist" -> {
                    List<String> items = list(name, lineNo, kw, rest, errors);
                    for (String it : items) {
                        try {
                            allow.add(IpPrefix.parse(it));
                        } catch (IllegalArgumentException e) {
                            errors.add(name + ":" + lineNo + ": allowlist: " + e.getMessage() + ": expected an address or network");
                        }
                    }
                }
                default -> {
                    if (ServicesConfParser.KEYWORDS.contains(kw)) {
                        services.statement(lineNo, kw, rest.stream().map(Token::text).toList());
                    } else {
                        errors.add(name + ":" + lineNo + ": unknown keyword \"" + kw + "\": expected state-dir, socket, allowlist, "
                                + "create-tables, divert, diverter, trap, pftabled, metrics, log or a macro definition (name = value)");
                    }
                }
            }
        }
        if (!errors.isEmpty()) return new Result.Failed(errors);
        ServicesConf sc = services.build();
        if (!errors.isEmpty()) return new Result.Failed(errors);
        return new Result.Ok(new Settings(stateDir, socket, allow, sc));
    }

    /** Opening minus closing braces outside quotes and comments. */
    private static int braces(String line) {
        int d = 0;
        boolean q = false;
        for (int k = 0; k < line.length(); k++) {
            char c = line.charAt(k);
            if (c == '\\' && q) k++;
            else if (c == '"') q = !q;
            else if (!q && c == '#') break;
            else if (!q && c == '{') d++;
            else if (!q && c == '}') d--;
        }
        return d;
    }

    private static String single(String name, int line, String kw, List<Token> rest, List<String> errors) {
        if (rest.size() != 1 || rest.get(0).text().equals("{")) {
            errors.add(name + ":" + line + ": " + kw + " takes one value (a path in quotes), got " + rest.size());
            return null;
        }
        return rest.get(0).text();
    }

    private static List<String> list(String name, int line, String kw, List<Token> rest, List<String> errors) {
        List<String> out = new ArrayList<>();
        if (rest.isEmpty()) {
            errors.add(name + ":" + line + ": " + kw + " needs a value or a list in { }");
            return out;
        }
        if (!rest.get(0).text().equals("{") || rest.get(0).quoted()) {
            if (rest.size() != 1) {
                errors.add(name + ":" + line + ": " + kw + ": several values must be in { }");
                return out;
            }
            out.add(rest.get(0).text());
            return out;
        }
        if (!rest.get(rest.size() - 1).text().equals("}")) {
            errors.add(name + ":" + line + ": " + kw + ": missing } at the end of the list");
            return out;
        }
        for (Token t : rest.subList(1, rest.size() - 1)) {
            if (!t.quoted() && (t.text().equals(",") || t.text().equals("{") || t.text().equals("}"))) {
                if (!t.text().equals(",")) errors.add(name + ":" + line + ": " + kw + ": nested lists are not allowed");
                continue;
            }
            out.add(t.text());
        }
        return out;
    }

    private static List<Token> tokenize(String s, int line, Map<String, String> macros, int depth) {
        if (depth > 16) throw new IllegalArgumentException("macros nested too deeply (a macro that uses itself?)");
        List<Token> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) { i++; continue; }
            if (c == '#') break;
            if (c == '{' || c == '}' || c == ',' || c == '=') {
                out.add(new Token(String.valueOf(c), false, line));
                i++;
                continue;
            }
            if (c == '"') {
                int j = s.indexOf('"', i + 1);
                if (j < 0) throw new IllegalArgumentException("unterminated quoted string");
                String q = s.substring(i + 1, j);
                // a quoted macro value that holds a list is re-read as tokens
                if (q.indexOf('{') >= 0 || q.indexOf('$') >= 0) out.addAll(tokenize(q, line, macros, depth + 1));
                else out.add(new Token(q, true, line));
                i = j + 1;
                continue;
            }
            int j = i;
            while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && "{},=#\"".indexOf(s.charAt(j)) < 0) j++;
            String w = s.substring(i, j);
            if (w.startsWith("$")) {
                String m = macros.get(w.substring(1));
                if (m == null) throw new IllegalArgumentException("macro \"" + w.substring(1) + "\" is not defined");
                out.addAll(tokenize(m, line, macros, depth + 1));
            } else {
                out.add(new Token(w, false, line));
            }
            i = j;
        }
        return out;
    }
}
