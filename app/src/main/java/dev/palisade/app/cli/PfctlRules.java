package dev.palisade.app.cli;

import dev.palisade.app.host.LinuxHostProfile;
import dev.palisade.core.lang.Diagnostic;
import dev.palisade.core.lang.HostProfile;
import dev.palisade.core.lang.Ruleset;
import dev.palisade.kernel.compile.CompileResult;
import dev.palisade.kernel.compile.NftCompiler;
import dev.palisade.kernel.divert.QueueFeatures;
import dev.palisade.kernel.divert.XtDivert;
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
    private final boolean nft;

    public PfctlRules(String file, int verbose, boolean quiet, String optimizer, Map<String, String> defines,
                      Path hostProfile) {
        this(file, verbose, quiet, optimizer, defines, hostProfile, false);
    }

    /**
     * @param nft print the nftables program the ruleset compiles to (docs/kernel.md) instead of the
     *            pf rules; rules nft cannot express are errors ({@code FILE:LINE: message}, exit 1)
     */
    public PfctlRules(String file, int verbose, boolean quiet, String optimizer, Map<String, String> defines,
                      Path hostProfile, boolean nft) {
        this.nft = nft;
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
        HostProfile host = loadHost(hostProfile, "pfctl", err);
        if (host == null) return 1;
        ParseResult r = parse(file, host, defines, stdin, "pfctl", err);
        if (r == null) return 1;
        err.print(PfctlText.stderr(r));
        err.flush();
        if (nft && r.ok()) return printNft(r.ruleset(), host, out, err);
        if (!quiet || !r.ok()) out.print(PfctlText.stdout(r, verbose));
        out.flush();
        if (!r.ok()) {
            return 1;
        }
        return 0;
    }

    /**
     * The host profile from FILE, or the real host's when null; null after printing
     * {@code PROG: message} to err. Shared with {@code palisade replay}.
     */
    public static HostProfile loadHost(Path hostProfile, String prog, PrintStream err) {
        try {
            return hostProfile == null ? LinuxHostProfile.load()
                    : HostProfile.parse(Files.readString(hostProfile), hostProfile.toString());
        } catch (IOException e) {
            err.println(prog + ": cannot read host profile " + hostProfile + ": " + e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println(prog + ": " + e.getMessage());
        }
        return null;
    }

    /** Reads and parses a pf.conf ({@code -} for stdin) as pfctl does; null after printing the read error. */
    public static ParseResult parse(String file, HostProfile host, Map<String, String> defines, InputStream stdin,
                                    String prog, PrintStream err) {
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
            err.println(prog + ": " + file + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "No such file or directory" : e.getMessage()));
            return null;
        }
        ParseOptions po = new ParseOptions(host, defines,
                p -> Files.readString(Path.of(p), StandardCharsets.ISO_8859_1));
        return Parser.parse(name, text, po);
    }

    /** {@code --nft}: compile and print; the divert path is probed when root can, else nft's queue is assumed. */
    private static int printNft(Ruleset rs, HostProfile host, PrintStream out, PrintStream err) {
        NftCompiler.Options o = NftCompiler.Options.defaults();
        boolean diverts = rs.rules().stream().anyMatch(x -> x.divert() != null);
        if (diverts && "root".equals(System.getProperty("user.name"))) {
            try {
                o = o.withDivertPath(QueueFeatures.probe(null));
            } catch (IOException e) {
                err.println("pfctl: cannot probe the divert path: " + e.getMessage() + "; assuming nft's queue");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        switch (NftCompiler.compile(rs, host, o)) {
            case CompileResult.Compiled c -> {
                out.print(c.program().text());
                if (!c.program().xtDiverts().isEmpty()) {
                    out.println("# divert over the xt NFQUEUE target: palisaded installs in iptables/ip6tables chain "
                            + XtDivert.CHAIN + ":");
                    for (XtDivert.Rule x : c.program().xtDiverts()) {
                        out.println("#   -m mark --mark " + NftCompiler.hex(x.mark()) + "/" + NftCompiler.hex(NftCompiler.DIVERT_MASK)
                                + " -j NFQUEUE --queue-num " + x.queue() + (x.bypass() ? " --queue-bypass" : ""));
                    }
                }
                out.flush();
                return 0;
            }
            case CompileResult.Refused f -> {
                for (Diagnostic d : f.errors()) err.println(d);
                err.flush();
                return 1;
            }
        }
    }
}
