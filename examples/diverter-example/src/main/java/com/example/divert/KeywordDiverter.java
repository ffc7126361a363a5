package com.example.divert;

import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.PayloadDiverter;
import dev.palisade.core.divert.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drops TCP and UDP packets whose payload contains one of the configured
 * words, and replaces the word "colour" by "color" in the others (same
 * length, so TCP sequence numbers stay right; Palisade fixes checksums).
 */
public final class KeywordDiverter extends PayloadDiverter {

    private static final System.Logger LOG = System.getLogger(KeywordDiverter.class.getName());

    private final List<byte[]> words;
    private final AtomicLong dropped = new AtomicLong();

    public KeywordDiverter(List<String> words) {
        super("keyword");
        this.words = words.stream().map(w -> w.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Override
    protected Verdict inspect(PacketView p) {
        if (!p.isTcp() && !p.isUdp()) return Verdict.PASS;
        byte[] b = p.data();
        int from = p.payloadOffset();
        int to = from + p.payloadLength();
        for (byte[] w : words) {
            if (indexOf(b, from, to, w) >= 0) {
                LOG.log(System.Logger.Level.INFO, "keyword: dropped " + p.flow() + " (" + dropped.incrementAndGet() + " so far)");
                return Verdict.DROP;
            }
        }
        byte[] colour = "colour".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, from, to, colour);
        if (at < 0) return Verdict.PASS;
        while (at >= 0) {
            // "colour" -> "color " keeps the length: the payload changes in place.
            System.arraycopy("color ".getBytes(StandardCharsets.US_ASCII), 0, b, at, 6);
            at = indexOf(b, at + 6, to, colour);
        }
        return p.rewritten();
    }

    static int indexOf(byte[] b, int from, int to, byte[] w) {
        outer:
        for (int i = from; i + w.length <= to; i++) {
            for (int j = 0; j < w.length; j++) {
                if (b[i + j] != w[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
