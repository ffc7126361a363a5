package dev.palisade.bench;

import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.PacketView;
import dev.palisade.core.divert.Verdict;
import dev.palisade.services.payload.redact.RedactDiverter;
import dev.palisade.services.payload.redact.RedactProvider;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The redact diverter on one thread with the built-in patterns (card and
 * ssn, mask) and the default carry-over (64 bytes per flow direction):
 * IPv4 TCP packets of 1,400-byte payloads in 64 flows, each segment
 * continuing its flow (so every packet is joined to its flow's carry), the
 * packet copied per operation as the queue reader hands over a fresh copy.
 * One operation = one packet. Target (issue 7): >= 200k packets/s.
 *
 * <p>Payloads: {@code text} is HTTP/JSON-like text with numbers (dates,
 * ids, prices) and a card number in one packet of 16; {@code digits} is a
 * CSV of numbers (the scanner's worst realistic case); {@code binary} is
 * random bytes (compressed or encrypted data).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar RedactBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class RedactBench {

    static final int PAYLOAD = 1400;
    static final int FLOWS = 64;
    static final int PACKETS = 256;

    @Param({"text", "digits", "binary"})
    public String payload;

    private RedactDiverter redact;
    private byte[][] packets;
    private int[] seq;
    private byte[] work;
    private int next;

    @Setup
    public void setup() {
        // The findings' log lines (INFO and WARN, one per finding) are not what this measures: this workload puts a
        // card in 1 packet of 16, far above any real rate. Since the bench jar carries the app (and Logback, whose
        // default is DEBUG to the console), the line per finding cost a quarter of the throughput.
        if (org.slf4j.LoggerFactory.getLogger(RedactDiverter.class) instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        redact = (RedactDiverter) new RedactProvider().create(
                DiverterConfigParser.parseOne("diverter \"redact\" port 700 { pattern card mask; pattern ssn mask }", "bench"),
                DiverterContext.none());
        Random r = new Random(42);
        packets = new byte[PACKETS][];
        for (int i = 0; i < PACKETS; i++) {
            byte[] body = switch (payload) {
                case "text" -> text(r, i % 16 == 0);
                case "digits" -> digits(r);
                default -> binary(r);
            };
            packets[i] = tcp(i % FLOWS, body);
        }
        seq = new int[FLOWS];
        work = new byte[packets[0].length];
    }

    static byte[] text(Random r, boolean withCard) {
        StringBuilder sb = new StringBuilder();
        String[] words = {"GET", "/api/v2/orders", "HTTP/1.1", "{\"id\":", "\"name\":", "\"price\":", "Content-Length:", "the",
            "customer", "shipping", "2024-11-05", "status", "\"ok\"", "Accept-Encoding:", "gzip", "lorem", "ipsum", "42", "17.99"};
        while (sb.length() < PAYLOAD) {
            sb.append(words[r.nextInt(words.length)]).append(r.nextInt(4) == 0 ? "\r\n" : " ");
            if (r.nextInt(10) == 0) sb.append(r.nextInt(1_000_000)).append(' ');
        }
        if (withCard) sb.replace(700, 719, "4111 1111 1111 1111");
        return sb.substring(0, PAYLOAD).getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] digits(Random r) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < PAYLOAD) sb.append(r.nextInt(100_000)).append(r.nextBoolean() ? ',' : '\n');
        return sb.substring(0, PAYLOAD).getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] binary(Random r) {
        byte[] b = new byte[PAYLOAD];
        r.nextBytes(b);
        return b;
    }

    static byte[] tcp(int flow, byte[] payload) {
        byte[] b = new byte[40 + payload.length];
        b[0] = 0x45;
        b[2] = (byte) (b.length >>> 8);
        b[3] = (byte) b.length;
        b[8] = 64;
        b[9] = 6;
        b[12] = 10; b[15] = 1;
        b[16] = 10; b[19] = 2;
        b[20] = (byte) 0x9c; b[21] = (byte) flow;
        b[23] = 80;
        b[32] = 0x50;
        b[33] = 0x18;
        System.arraycopy(payload, 0, b, 40, payload.length);
        PacketView.fixChecksums(b);
        return b;
    }

    @Benchmark
    public Verdict redactPacket() {
        byte[] p = packets[next];
        next = (next + 1) & (PACKETS - 1);
        System.arraycopy(p, 0, work, 0, p.length);
        int flow = p[21] & 0xff;
        int s = seq[flow];
        seq[flow] = s + PAYLOAD;
        work[24] = (byte) (s >>> 24);
        work[25] = (byte) (s >>> 16);
        work[26] = (byte) (s >>> 8);
        work[27] = (byte) s;
        return redact.judge(work);
    }
}
