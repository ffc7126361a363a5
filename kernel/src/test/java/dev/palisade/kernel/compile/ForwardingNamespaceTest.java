package dev.palisade.kernel.compile;

import dev.palisade.core.lang.HostProfile;
import dev.palisade.kernel.NetnsPair;
import dev.palisade.kernel.netlink.Netns;
import dev.palisade.kernel.nft.NftRunner;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A router namespace r between a client a and a server c: pf filters a
 * forwarded packet on its way in (on r's a-side interface) and again on its
 * way out (on r's c-side interface), and both must pass; the states of both
 * passes carry the replies back.
 */
class ForwardingNamespaceTest {

    @Test
    void forwardedPacketsMustPassInAndOutAndStatesCarryTheReplies() throws Exception {
        NetnsPair.assumeRoot();
        String tag = Long.toString(ProcessHandle.current().pid() % 100000, 36);
        String a = "palfa" + tag, r = "palfr" + tag, c = "palfc" + tag;
        String ra = "fra" + tag, rc = "frc" + tag;
        int k = (int) (ProcessHandle.current().pid() % 200) + 20;
        String aAddr = "10." + k + ".1.2", cAddr = "10." + k + ".2.2";
        List<ServerSocket> servers = new ArrayList<>();
        try {
            for (String ns : List.of(a, r, c)) {
                NetnsPair.sh("ip", "netns", "add", ns);
                NetnsPair.sh("ip", "-n", ns, "link", "set", "lo", "up");
            }
            NetnsPair.sh("ip", "link", "add", "fa" + tag, "netns", a, "type", "veth", "peer", "name", ra, "netns", r);
            NetnsPair.sh("ip", "link", "add", "fc" + tag, "netns", c, "type", "veth", "peer", "name", rc, "netns", r);
            NetnsPair.sh("ip", "-n", a, "addr", "add", aAddr + "/24", "dev", "fa" + tag);
            NetnsPair.sh("ip", "-n", c, "addr", "add", cAddr + "/24", "dev", "fc" + tag);
            NetnsPair.sh("ip", "-n", r, "addr", "add", "10." + k + ".1.1/24", "dev", ra);
            NetnsPair.sh("ip", "-n", r, "addr", "add", "10." + k + ".2.1/24", "dev", rc);
            for (String[] l : new String[][]{{a, "fa" + tag}, {c, "fc" + tag}, {r, ra}, {r, rc}}) {
                NetnsPair.sh("ip", "-n", l[0], "link", "set", l[1], "up");
            }
            NetnsPair.sh("ip", "-n", a, "route", "add", "default", "via", "10." + k + ".1.1");
            NetnsPair.sh("ip", "-n", c, "route", "add", "default", "via", "10." + k + ".2.1");
            NetnsPair.sh("ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");

            String conf = """
                    block all
                    pass in on %1$s proto tcp to port { 7100, 7101 }
                    pass out on %2$s proto tcp to port 7100
                    """.formatted(ra, rc);
            HostProfile host = HostProfile.parse("interface " + ra + " 10." + k + ".1.1/24\ninterface " + rc
                    + " 10." + k + ".2.1/24\n", "router");
            var rs = CompilerFixtures.parse("router.conf", conf, host);
            var prog = ((CompileResult.Compiled) NftCompiler.compile(rs, host, NftCompiler.Options.defaults())).program();
            new NftRunner("palisade", r, 30_000).load(prog.text());

            for (int port : new int[]{7100, 7101}) servers.add(listen(c, port));
            servers.add(listen(a, 7100));
            assertEquals("connected", connect(a, cAddr, 7100), "passed in on the a side and out on the c side");
            assertEquals("timeout", connect(a, cAddr, 7101), "passed in, but no rule passes it out: blocked");
            assertEquals("timeout", connect(c, aAddr, 7100), "the reverse new connection is blocked");
        } finally {
            for (ServerSocket s : servers) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing
                }
            }
            for (String ns : List.of(a, r, c)) {
                try {
                    NetnsPair.sh("ip", "netns", "del", ns);
                } catch (IOException e) {
                    // not created
                }
            }
        }
    }

    static ServerSocket listen(String ns, int port) throws Exception {
        ServerSocket s = Netns.call(ns, () -> {
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress("0.0.0.0", port));
            return ss;
        });
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try (Socket x = s.accept()) {
                    x.getOutputStream().write('x');
                } catch (IOException e) {
                    // closed
                }
            }
        });
        return s;
    }

    static String connect(String ns, String to, int port) throws Exception {
        return Netns.call(ns, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(to, port), 600);
                s.setSoTimeout(2000);
                return s.getInputStream().read() == 'x' ? "connected" : "no data";
            } catch (SocketTimeoutException e) {
                return "timeout";
            } catch (ConnectException e) {
                return e.getMessage() != null && e.getMessage().contains("timed out") ? "timeout" : "refused";
            }
        });
    }
}
