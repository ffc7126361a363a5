package dev.palisade.app.cli;

import dev.palisade.app.control.ControlClient;
import dev.palisade.app.control.ControlRequest;
import dev.palisade.app.daemon.Defaults;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code palisade why ADDR}: which tables hold the address, since when, until when, and why. */
@Command(name = "why", description = "Say which tables hold an address, since when, until when and why.")
public final class WhyCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ADDRESS", description = "An IPv4 or IPv6 address.")
    String address;

    @Option(names = "--socket", paramLabel = "PATH", description = "palisaded's control socket.")
    Path socket;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Path s = socket != null ? socket : Defaults.socket();
        return ControlClient.call(s, new ControlRequest("why", null, null, false, false, 0, List.of(address)),
                spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
