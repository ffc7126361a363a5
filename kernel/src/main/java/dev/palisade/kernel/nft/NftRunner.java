package dev.palisade.kernel.nft;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code nft -f -} with a generated program: nft applies a whole file
 * as one transaction, so the program loads entirely or not at all.
 *
 * <p>Why a guard: Palisade owns one table and nothing else on the host.
 * Before anything runs, every top-level statement of the program is checked
 * to name {@code inet TABLE}; {@code flush ruleset}, another table or a
 * statement without an explicit family is refused with the line it is on.
 * The check reads statements the way nft's grammar starts them (command,
 * object, family, table); bodies inside {@code table inet TABLE { ... }} are
 * not checked further since they cannot name another table.
 */
public final class NftRunner {

    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9_.\\-$@\"]+|[{};]");
    private static final List<String> COMMANDS = List.of("add", "create", "insert", "replace", "delete", "destroy",
            "flush", "list", "reset", "get");
    private static final List<String> OBJECTS = List.of("table", "chain", "rule", "set", "map", "element", "flowtable",
            "counter", "quota", "limit", "secmark", "synproxy", "ct");
    private static final List<String> LIST_ALL = List.of("chains", "sets", "maps", "tables", "counters", "quotas",
            "limits", "flowtables", "ruleset");

    private final String table;
    private final String netns;
    private final long timeoutMillis;

    /**
     * @param table  the only table (family inet) a program may touch
     * @param netns  run inside this network namespace ({@code ip netns exec}), or null
     */
    public NftRunner(String table, String netns, long timeoutMillis) {
        if (table == null || !table.matches("[A-Za-z_][A-Za-z0-9_\\-]{0,63}")) {
            throw new IllegalArgumentException("table name \"" + table + "\": expected letters, digits, _ or -");
        }
        this.table = table;
        this.netns = netns;
        this.timeoutMillis = timeoutMillis;
    }

    public NftRunner(String table) {
        this(table, null, 120_000);
    }

    /** Loads {@code program} in one transaction; throws with nft's own messages when it refuses. */
    public void load(String program) throws NftException, IOException, InterruptedException {
        check(program);
        run(program, "-f", "-");
    }

    /** Checks {@code program} with the kernel ({@code nft -c -f -}) without changing anything. */
    public void checkOnly(String program) throws NftException, IOException, InterruptedException {
        check(program);
        run(program, "-c", "-f", "-");
    }

    /** Runs {@code nft -j list table inet TABLE} and returns its JSON text. */
    public String listJson() throws NftException, IOException, InterruptedException {
        return run("", "-j", "list", "table", "inet", table);
    }

    private String run(String stdin, String... args) throws NftException, IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (netns != null) cmd.addAll(List.of("ip", "netns", "exec", netns));
        cmd.add("nft");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        try (OutputStream os = p.getOutputStream()) {
            os.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new NftException("nft " + String.join(" ", args) + ": no answer in " + timeoutMillis + " ms", null);
        }
        String errText = new String(err.join(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new NftException("nft " + String.join(" ", args) + " failed (exit " + p.exitValue()
                    + "); nothing was changed", errText);
        }
        return new String(out.join(), StandardCharsets.UTF_8);
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                return b.toByteArray();
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }

    /**
     * Refuses a program that could touch anything but {@code inet TABLE}.
     * Throws {@link NftException} naming the line.
     */
    public void check(String program) throws NftException {
        String[] lines = program.split("\n", -1);
        int depth = 0;
        boolean atStart = true;
        List<String> stmt = new ArrayList<>();
        int stmtLine = 0;
        for (int ln = 0; ln < lines.length; ln++) {
            String line = stripComment(lines[ln]);
            Matcher m = WORD.matcher(line);
            while (m.find()) {
                String w = m.group();
                if (w.equals("{")) {
                    if (depth == 0) checkStatement(stmt, stmtLine, lines);
                    depth++;
                    continue;
                }
                if (w.equals("}")) {
                    depth--;
                    if (depth < 0) throw bad(ln + 1, lines, "unbalanced '}'");
                    if (depth == 0) {
                        stmt.clear();
                        atStart = true;
                    }
                    continue;
                }
                if (depth > 0) continue;
                if (w.equals(";")) {
                    checkStatement(stmt, stmtLine, lines);
                    stmt.clear();
                    atStart = true;
                    continue;
                }
                if (atStart) {
                    stmtLine = ln + 1;
                    atStart = false;
                }
                stmt.add(w);
            }
            if (depth == 0 && !stmt.isEmpty()) {
                checkStatement(stmt, stmtLine, lines); // a newline ends a statement at top level
                stmt.clear();
                atStart = true;
            }
        }
        if (depth != 0) throw bad(lines.length, lines, "unbalanced '{': " + depth + " block(s) not closed");
    }

    private static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') quoted = !quoted;
            else if (c == '#' && !quoted) return line.substring(0, i);
        }
        return line;
    }

    private void checkStatement(List<String> w, int line, String[] lines) throws NftException {
        if (w.isEmpty()) return;
        int i = 0;
        String first = w.get(0);
        if (first.equals("define") || first.equals("include")) {
            if (first.equals("include")) throw bad(line, lines, "include is not allowed in a generated program");
            return;
        }
        if (COMMANDS.contains(first)) i++;
        if (i >= w.size()) throw bad(line, lines, "statement without an object");
        String obj = w.get(i);
        if (LIST_ALL.contains(obj)) {
            throw bad(line, lines, "'" + String.join(" ", w.subList(0, i + 1)) + "' reaches beyond table inet " + table);
        }
        if (!OBJECTS.contains(obj)) throw bad(line, lines, "unknown statement '" + obj + "'");
        if (obj.equals("ct")) i++; // ct helper|timeout|expectation FAMILY TABLE NAME
        if (i + 2 >= w.size()) throw bad(line, lines, "'" + obj + "' without family 'inet' and table '" + table
                + "' (a missing family means ip)");
        String fam = w.get(i + 1);
        String tab = w.get(i + 2);
        if (!fam.equals("inet")) {
            throw bad(line, lines, "expected family 'inet' for table " + table + ", got '" + fam + "'"
                    + " (a missing family means ip)");
        }
        if (!tab.equals(table)) {
            throw bad(line, lines, "table '" + tab + "' is not Palisade's table '" + table + "'");
        }
    }

    private static NftException bad(int line, String[] lines, String what) {
        String text = line >= 1 && line <= lines.length ? lines[line - 1].strip() : "";
        return new NftException("program line " + line + ": " + what + ": \"" + text + "\"", null);
    }
}
