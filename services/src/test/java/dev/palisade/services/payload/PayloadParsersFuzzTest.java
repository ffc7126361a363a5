package dev.palisade.services.payload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.palisade.core.divert.PacketView;
import dev.palisade.services.payload.dns.DnsResponseRewriter;
import dev.palisade.services.payload.url.ClientHelloSni;
import dev.palisade.services.payload.url.HostName;
import dev.palisade.services.payload.url.HttpHost;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The payload parsers never throw on any bytes, and leave bytes they do not
 * rewrite untouched. Under {@code JAZZER_FUZZ=1} the {@link FuzzTest}s fuzz;
 * in a normal test run they replay their inputs, and {@link #randomBytes()}
 * throws a fixed-seed million-byte sample at each parser.
 */
class PayloadParsersFuzzTest {

    static final DnsResponseRewriter SINK = new DnsResponseRewriter(DomainList.of("example.com", "*.a", "=b.c"),
            new byte[4], new byte[16], DnsResponseRewriter.Mode.SINKHOLE, 60);
    static final DnsResponseRewriter NX = new DnsResponseRewriter(DomainList.of("example.com", "a"),
            new byte[4], new byte[16], DnsResponseRewriter.Mode.NXDOMAIN, -1);

    @FuzzTest(maxDuration = "30s")
    void sni(FuzzedDataProvider data) {
        boolean tls = data.consumeBoolean();
        byte[] b = data.consumeRemainingAsBytes();
        if (tls && b.length >= 6) {
            b[0] = 22;
            b[1] = 3;
            b[5] = 1;
        }
        checkSni(b);
    }

    @FuzzTest(maxDuration = "30s")
    void httpHost(byte[] b) {
        checkHttp(b);
    }

    @FuzzTest(maxDuration = "30s")
    void dns(FuzzedDataProvider data) {
        boolean response = data.consumeBoolean();
        boolean shrink = data.consumeBoolean();
        byte[] b = data.consumeRemainingAsBytes();
        if (response && b.length >= 6) {
            b[2] = (byte) 0x81;
            b[5] = (byte) Math.max(1, b[5] & 3);
        }
        checkDns(b, shrink);
    }

    @FuzzTest(maxDuration = "30s")
    void packetView(byte[] b) {
        checkPacket(b);
    }

    @Test
    void randomBytes() {
        Random r = new Random(1234);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[r.nextInt(120)];
            r.nextBytes(b);
            if (r.nextBoolean() && b.length > 12) {
                b[0] = (byte) (i % 3 == 0 ? 22 : b[0]);
                b[1] = 3;
                b[2] = (byte) 0x81;
                b[5] = 1;
            }
            checkSni(b);
            checkHttp(b);
            checkDns(b, r.nextBoolean());
            if (b.length > 0) b[0] = (byte) (r.nextBoolean() ? 0x45 : 0x60);
            checkPacket(b);
        }
    }

    static void checkSni(byte[] b) {
        assertNotNull(ClientHelloSni.parse(b, 0, b.length));
    }

    static void checkHttp(byte[] b) {
        HostName h = HttpHost.parse(b, 0, b.length);
        if (h instanceof HostName.Found f) assertTrue(!f.name().isEmpty());
    }

    static void checkDns(byte[] b, boolean shrink) {
        for (DnsResponseRewriter rw : new DnsResponseRewriter[] {SINK, NX}) {
            byte[] copy = b.clone();
            DnsResponseRewriter.Result res = rw.rewrite(copy, 0, copy.length, shrink);
            if (res != DnsResponseRewriter.Result.SINKHOLED && res != DnsResponseRewriter.Result.NXDOMAIN) {
                assertArrayEquals(b, copy, "bytes changed although the result is " + res);
            }
            assertTrue(rw.newLength() >= 0 && rw.newLength() <= b.length);
        }
    }

    static void checkPacket(byte[] b) {
        PacketView v = PacketView.decode(b);
        if (v != null) {
            assertTrue(v.payloadOffset() >= 0 && v.payloadOffset() + v.payloadLength() <= b.length, "payload inside the packet");
            v.flow();
        }
    }
}
