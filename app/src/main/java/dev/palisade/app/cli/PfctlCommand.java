package dev.palisade.app.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade pfctl}: flag-compatible with pfctl(8). Flags cluster as in
 * pfctl ({@code -nvf}, {@code -nqvv}). What needs no daemon ({@code -n})
 * works alone; the rest talks to palisaded over its control socket.
 */
@Command(name = "pfctl", sortOptions = false,
        description = "Control the packet filter: check and load pf.conf, tables, states, counters.")
public final class PfctlCommand implements Callable<Integer> {

    @Option(names = "-n", description = "Parse and check the rules; load nothing (no daemon needed).")
    public boolean noAction;

    @Option(names = "-v", description = "Verbose: print rules as parsed (-vv: more).")
    public boolean[] verbose = new boolean[0];

    @Option(names = "-q", description = "Print only errors and warnings.")
    public boolean quiet;

    @Option(names = "-f", paramLabel = "FILE", description = "Load (or with -n check) the rules in FILE; - is standard input.")
    public String file;

    @Option(names = "-o", paramLabel = "LEVEL", description = "Optimizer level: none, basic or profile (default basic).")
    public String optimizer;

    @Option(names = "-D", paramLabel = "MACRO=VALUE", description = "Define a macro, overriding the file's definition (repeatable).")
    public Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--host-profile", paramLabel = "FILE",
            description = "Host facts for expansion (interfaces, groups, users, resolver) instead of the real host's.")
    public Path hostProfile;

    @Option(names = "--nft", description = "With -n -f: print the generated nftables program; with -s rules: "
            + "the loaded program in nft's syntax with its counters.")
    public boolean nft;

    @Option(names = "-t", paramLabel = "TABLE", description = "The table for -T.")
    public String table;

    @Option(names = "-T", paramLabel = "COMMAND",
            description = "Table command: add, delete, replace, show, test, flush, expire, zero, kill.")
    public String tableCommand;

    @Option(names = "-s", paramLabel = "MODIFIER", description = "Show: rules, states, labels, info, Tables, timeouts.")
    public String show;

    @Option(names = "-k", paramLabel = "HOST", description = "Kill the states of HOST (repeatable).")
    public List<String> kill = new ArrayList<>();

    @Option(names = "-F", paramLabel = "MODIFIER", description = "Flush: rules, states, Tables, all.")
    public String flush;

    @Option(names = "-e", description = "Enable the packet filter (install the kernel hooks).")
    public boolean enable;

    @Option(names = "-d", description = "Disable the packet filter (remove the kernel hooks).")
    public boolean disable;

    @Option(names = "--socket", paramLabel = "PATH", description = "palisaded's control socket.")
    public Path socket;

    @Parameters(paramLabel = "ADDRESS", description = "Addresses for -T.")
    public List<String> addresses = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public int verbosity() {
        return verbose.length;
    }

    /**
     * Dispatch on the flags given: each mode lives in its own class
     * ({@link PfctlRules} for {@code -n -f}); a combination not implemented
     * yet is an error that says so, exit status 1.
     */
    @Override
    public Integer call() {
        // Table commands first: with -t/-T, -f names a file of addresses, not a ruleset.
        if (PfctlTables.handles(this)) {
            return new PfctlTables(this).run(spec.commandLine().getOut(), spec.commandLine().getErr());
        }
        if (file != null && noAction) {
            return new PfctlRules(file, verbosity(), quiet, optimizer, defines, hostProfile, nft)
                    .run(System.in, System.out, System.err);
        }
        if (PfctlKernel.handles(this)) {
            return new PfctlKernel(this).run(spec.commandLine().getOut(), spec.commandLine().getErr());
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "nothing to do: give -n -f FILE");
    }
}
