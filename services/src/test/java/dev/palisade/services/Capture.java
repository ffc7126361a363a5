package dev.palisade.services;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Captures the first packet matching a filter on an interface with the real
 * tcpdump, and returns it from its IP header on: real kernel-made bytes for
 * diverter tests. Needs root and tcpdump; {@link #available()} says whether.
 */
public final class Capture {

    private Capture() {}

    public static boolean available() {
        return "root".equals(System.getProperty("user.name")) && new File("/usr/bin/tcpdump").canExecute()
                || "root".equals(System.getProperty("user.name")) && new File("/usr/sbin/tcpdump").canExecute();
    }

    /** Runs tcpdump for one packet, calls {@code trigger} once it listens, and returns the IP packet. */
    public static byte[] first(String iface, String filter, Runnable trigger) throws IOException, InterruptedException {
        Path file = Files.createTempFile("palisade-capture", ".pcap");
        String tcpdump = new File("/usr/bin/tcpdump").canExecute() ? "/usr/bin/tcpdump" : "/usr/sbin/tcpdump";
        Process p = new ProcessBuilder(tcpdump, "-i", iface, "-n", "-U", "-c", "1", "-s", "0", "-w", file.toString(), filter)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<Boolean> listening = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream()))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.contains("listening on")) return true;
                    }
                } catch (IOException e) {
                    return false;
                }
                return false;
            });
            boolean ready;
            try {
                ready = listening.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                ready = false;
            }
            if (!ready) throw new IOException("tcpdump did not start listening on " + iface + " within 10 s");
            trigger.run();
            if (!p.waitFor(10, TimeUnit.SECONDS)) throw new IOException("tcpdump captured nothing within 10 s (filter " + filter + ")");
            return ipPacket(Files.readAllBytes(file));
        } finally {
            p.destroyForcibly();
            p.waitFor();
            Files.deleteIfExists(file);
        }
    }

    /** The first record of a classic pcap file, without its link-layer header. */
    static byte[] ipPacket(byte[] pcap) throws IOException {
        if (pcap.length < 40) throw new IOException("pcap file too short: " + pcap.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(pcap);
        int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) b.order(ByteOrder.BIG_ENDIAN);
        int linktype = b.getInt(20);
        int caplen = b.getInt(24 + 8);
        int start = 24 + 16;
        int skip = switch (linktype) {
            case 1 -> 14;    // Ethernet (lo on Linux)
            case 113 -> 16;  // Linux cooked v1
            case 276 -> 20;  // Linux cooked v2
            case 101, 12 -> 0; // raw IP
            default -> throw new IOException("unexpected pcap link type " + linktype);
        };
        return Arrays.copyOfRange(pcap, start + skip, start + caplen);
    }
}
