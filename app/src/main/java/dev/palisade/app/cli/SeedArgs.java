package dev.palisade.app.cli;

import dev.palisade.core.net.IpAddress;
import dev.palisade.services.TableNames;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;

/** Argument rules shared by the compatible commands, with the originals' limits. */
final class SeedArgs {

    /** palisaded's default control socket. */
    static final Path DEFAULT_SOCKET = dev.palisade.app.daemon.Defaults.socket();

    private SeedArgs() {}

    /** A port 1 to 65535, as the originals check it; the message names the option and the value. */
    static int port(CommandLine.Model.CommandSpec spec, String option, String value) {
        int p;
        try {
            p = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    spec.name() + ": invalid port for " + option + ": \"" + value + "\" (expected a number from 1 to 65535)");
        }
        if (p < 1 || p > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    spec.name() + ": port for " + option + " out of range: " + p + " (expected 1 to 65535)");
        }
        return p;
    }

    /** A table name of 1 to 31 characters (PF_TABLE_NAME_SIZE). */
    static String table(CommandLine.Model.CommandSpec spec, String option, String value) {
        try {
            return TableNames.check(spec.name() + " " + option, value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** A literal IPv4 or IPv6 address (never a name: no lookup before the gate runs). */
    static IpAddress address(CommandLine.Model.CommandSpec spec, String what, String value) {
        IpAddress a = IpAddress.tryParse(value);
        if (a == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    spec.name() + ": invalid " + what + ": \"" + value + "\" (expected an IPv4 or IPv6 address)");
        }
        return a;
    }

    /** Runs until SIGTERM or SIGINT, then closes {@code service}. */
    static int runUntilStopped(AutoCloseable... services) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            for (AutoCloseable s : services) {
                try {
                    s.close();
                } catch (Exception e) {
                    System.err.println("palisade: closing " + s + ": " + e);
                }
            }
            stopped.countDown();
        }));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The one-line failure for a missing piece: {@code palisade CMD: MESSAGE}, exit status 1. */
    static int unavailable(CommandLine.Model.CommandSpec spec, SeedWiring.Unavailable e) {
        spec.commandLine().getErr().println("palisade " + spec.name() + ": " + e.getMessage());
        return 1;
    }
}
