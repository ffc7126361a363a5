package dev.palisade.core.pcap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the capture tools of the test machine (text2pcap, editcap, mergecap, tshark, tcpdump). */
final class Tools {
    private Tools() {}

    static boolean have(String cmd) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, cmd))) return true;
        }
        return Files.isExecutable(Path.of("/usr/sbin", cmd)) || Files.isExecutable(Path.of("/usr/bin", cmd));
    }

    static void need(String cmd) {
        assumeTrue(have(cmd), cmd + " not installed (Debian: wireshark-common / tshark / tcpdump); skipping");
    }

    static boolean root() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && s.equals("0");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs a command to completion (60 s deadline) and returns stdout; fails with its stderr on a non-zero exit. */
    static String run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("tool", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(cmd + " exited " + p.exitValue() + ": " + Files.readString(err));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** A text2pcap hexdump of frames, each optionally preceded by a prefix line (time / direction). */
    static String hexdump(List<byte[]> frames, List<String> prefixes) {
        StringBuilder sb = new StringBuilder();
        for (int f = 0; f < frames.size(); f++) {
            if (prefixes != null) sb.append(prefixes.get(f)).append('\n');
            byte[] b = frames.get(f);
            for (int i = 0; i < b.length; i += 16) {
                sb.append(String.format("%06x", i));
                for (int j = i; j < Math.min(b.length, i + 16); j++) sb.append(String.format(" %02x", b[j] & 0xff));
                sb.append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
