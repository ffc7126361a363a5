package dev.palisade.app;

import dev.palisade.app.cli.BofhDivertCommand;
import dev.palisade.app.cli.DaemonCommand;
import dev.palisade.app.cli.DnsblDivertCommand;
import dev.palisade.app.cli.IblockCommand;
import dev.palisade.app.cli.PfctlCommand;
import dev.palisade.app.cli.PftabledClientCommand;
import dev.palisade.app.cli.PftabledCommand;
import dev.palisade.app.cli.WhyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code palisade} command: one executable, PF's tools as subcommands (docs/palisade.8.md). */
@Command(name = "palisade",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "An OpenBSD-PF-style firewall for Linux: pf.conf, tables, divert, and PF's daemons.",
        subcommands = {PfctlCommand.class, dev.palisade.app.cli.ReplayCommand.class, DaemonCommand.class, WhyCommand.class, PftabledCommand.class, PftabledClientCommand.class, BofhDivertCommand.class, DnsblDivertCommand.class, IblockCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setPosixClusteredShortOptionsAllowed(true);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    public static void main(String[] args) {
        CommandLine cl = commandLine();
        cl.setOut(dev.palisade.app.control.StdoutWriter.open());
        int rc = cl.execute(args);
        cl.getOut().flush();
        System.exit(rc);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"palisade " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
