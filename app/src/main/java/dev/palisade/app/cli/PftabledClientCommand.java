package dev.palisade.app.cli;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.tabled.TabledKeys;
import dev.palisade.core.tabled.TabledOp;
import dev.palisade.services.tabled.TabledClient;
import dev.palisade.services.tabled.TabledKeyFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade pftabled-client}: pftabled-client 1.09's arguments and
 * behaviour (one datagram, no answer, exit 1 with a message on any error),
 * version 2 datagrams unless {@code -3}.
 */
@Command(name = "pftabled-client", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Send one table command to a pftabled server: HOST PORT TABLE add|del|flush [IP[/MASK]].")
public final class PftabledClientCommand implements Callable<Integer> {

    @Option(names = "-k", paramLabel = "KEYFILE", description = "Sign with this key (version 2: first 20 bytes; -3: first 32).")
    public Path keyFile;

    @Option(names = "-3", description = "Send a version 3 datagram (IPv6, lifetime, nonce, HMAC-SHA256); needs -k with 32 bytes.")
    public boolean v3;

    @Option(names = "-l", paramLabel = "SECONDS", description = "With -3 and add: the entry's lifetime (default: the server's -t).")
    public long lifetime;

    @Parameters(paramLabel = "ARG", description = "HOST PORT TABLE add|del|flush [IP[/MASK]]")
    public List<String> args = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** An error message for the user; exit status 1. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    /** The destination and the datagram the arguments describe. */
    record Request(InetSocketAddress to, byte[] datagram, TableCommand command) {}

    Request request(long nowSeconds) throws Failure {
        if (args.size() < 4) {
            throw new Failure("expected HOST PORT TABLE add|del|flush [IP[/MASK]], got " + args.size() + " argument(s)\n"
                    + spec.commandLine().getUsageMessage());
        }
        String host = args.get(0);
        InetAddress addr;
        try {
            IpAddress literal = IpAddress.tryParse(host);
            addr = literal != null ? InetAddress.getByAddress(literal.toBytes()) : InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new Failure("Unable to resolve '" + host + "'");
        }
        int port;
        try {
            port = Integer.parseInt(args.get(1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) throw new Failure("Invalid port '" + args.get(1) + "': expected 1 to 65535");
        String table = args.get(2);
        String problem = TableCommand.tableNameProblem(table);
        if (problem != null) throw new Failure("Table name '" + table + "' " + problem);
        TabledOp op;
        try {
            op = TabledOp.ofWord(args.get(3));
        } catch (IllegalArgumentException e) {
            throw new Failure("Unknown command '" + args.get(3) + "': expected add, del or flush");
        }
        if (lifetime != 0 && (!v3 || op != TabledOp.ADD)) throw new Failure("-l needs -3 and add");
        if (lifetime < 0 || lifetime > 0xffffffffL) throw new Failure("Invalid lifetime -l " + lifetime + ": expected 0 to 4294967295 seconds");
        TableCommand cmd;
        if (op == TabledOp.FLUSH) {
            cmd = TableCommand.flush(table);
        } else {
            if (args.size() < 5) throw new Failure(op.word() + " needs IP[/MASK]");
            cmd = new TableCommand(op, table, prefix(args.get(4)), op == TabledOp.ADD ? lifetime : 0);
        }
        if (args.size() > 5) throw new Failure("unexpected argument '" + args.get(5) + "'");
        TabledKeys keys = TabledKeys.NONE;
        if (keyFile != null) {
            try {
                keys = TabledKeyFile.load(keyFile);
            } catch (TabledKeyFile.KeyFileException e) {
                throw new Failure(e.getMessage());
            }
        } else if (v3) {
            throw new Failure("-3 needs a key file (-k) of at least 32 bytes");
        }
        try {
            return new Request(new InetSocketAddress(addr, port), TabledClient.datagram(cmd, v3 ? 3 : 2, keys, nowSeconds), cmd);
        } catch (IllegalArgumentException e) {
            throw new Failure(e.getMessage());
        }
    }

    /** IP or IP/MASK: IPv4 with MASK 1 to 32 (as pftabled-client), or with -3 also IPv6 with MASK 1 to 128. */
    private IpPrefix prefix(String text) throws Failure {
        int slash = text.indexOf('/');
        IpAddress a = IpAddress.tryParse(slash < 0 ? text : text.substring(0, slash));
        if (a == null) throw new Failure("Unable to parse '" + (slash < 0 ? text : text.substring(0, slash)) + "'");
        if (a.v6() && !v3) throw new Failure("'" + text + "' is IPv6: version 2 carries IPv4 only, use -3");
        int mask = a.bits();
        if (slash >= 0) {
            String m = text.substring(slash + 1);
            try {
                mask = m.length() > 3 ? -1 : Integer.parseInt(m);
            } catch (NumberFormatException e) {
                mask = -1;
            }
            if (mask < 1 || mask > a.bits()) throw new Failure("Invalid network mask '/" + m + "': expected 1 to " + a.bits());
        }
        return new IpPrefix(a, mask);
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            Request r = request(System.currentTimeMillis() / 1000);
            TabledClient.send(r.to(), r.datagram());
            return 0;
        } catch (Failure e) {
            err.println("pftabled-client: " + e.getMessage());
        } catch (IOException e) {
            err.println("pftabled-client: Unable to send message: " + e.getMessage());
        }
        err.flush();
        return 1;
    }
}
