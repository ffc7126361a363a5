package dev.palisade.app.cli;

import dev.palisade.app.host.LinuxHostProfile;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.ParseOptions;
import dev.palisade.core.lang.ParseResult;
import dev.palisade.core.lang.Parser;
import dev.palisade.core.lang.PfctlText;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code pfctl -n -f FILE}: parse and check a ruleset, load nothing. With
 * -v it prints what pfctl prints (declarations as parsed, then the expanded
 * rules); errors go to standard error as {@code FILE:LINE: message}, all of
 * them, and the exit status is 1. Like pfctl writing to a pipe, all errors
 * come before the standard output.
 */
public final class PfctlRules {
    private final String file;
    private final int verbose;
    private final boolean quiet;
    private final String optimizer;
    private final Map<String, String> defines;
    private final Path hostProfile;

    public PfctlRules(String file, int verbose, boolean quiet, String optimizer, Map<String, String> defines,
                      Path hostProfile) {
        this.file = file;
        this.verbose = verbose;
        this.quiet = quiet;
        this.optimizer = optimizer;
        this.defines = defines;
        this.hostProfile = hostProfile;
    }

    public int run(InputStream stdin, PrintStream out, PrintStream err) {
        if (optimizer != null && !optimizer.equals("none") && !optimizer.equals("basic") && !optimizer.equals("profile")) {
            err.println("pfctl: unknown optimization level \"" + optimizer + "\": expected none, basic or profile");
            return 1;
        }
        HostProfile host;
        try {
            host = hostProfile == null ? LinuxHostProfile.load()
                    : HostProfile.parse(Files.readString(hostProfile), hostProfile.toString());
        } catch (IOException e) {
            err.println("pfctl: cannot read host profile " + hostProfile + ": " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("pfctl: " + e.getMessage());
            return 1;
        }
        String name;
        String text;
        try {
            if (file.equals("-")) {
                name = "stdin";
                text = new String(stdin.readAllBytes(), StandardCharsets.ISO_8859_1);
            } else {
                name = file;
                text = Files.readString(Path.of(file), StandardCharsets.ISO_8859_1);
            }
        } catch (IOException e) {
            err.println("pfctl: " + file + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "No such file or directory" : e.getMessage()));
            return 1;
        }
        ParseOptions po = new ParseOptions(host, defines,
                p -> Files.readString(Path.of(p), StandardCharsets.ISO_8859_1));
        ParseResult r = Parser.parse(name, text, po);
        err.print(PfctlText.stderr(r));
        err.flush();
        if (!quiet || !r.ok()) out.print(PfctlText.stdout(r, verbose));
        out.flush();
        if (!r.ok()) {
            return 1;
        }
        return 0;
    }
}
