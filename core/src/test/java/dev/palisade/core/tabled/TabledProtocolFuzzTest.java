package dev.palisade.core.tabled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;

/**
 * Fuzz targets for the decoder and handler. In a normal build they run over
 * their seed inputs; {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=TabledProtocolFuzzTest}
 * fuzzes for real.
 */
class TabledProtocolFuzzTest {

    static final TabledKeys KEYS = TabledKeys.fromKeyFile(TabledProtocolTest.KEY32, "fuzz.key");

    /** Any bytes, with and without a key: never throws, and what it accepts is well-formed. */
    @FuzzTest(maxDuration = "20s")
    void arbitraryDatagrams(FuzzedDataProvider data) {
        long now = data.consumeLong(0, 1L << 42);
        boolean keyed = data.consumeBoolean();
        byte[] datagram = data.consumeRemainingAsBytes();
        TabledProtocol p = new TabledProtocol(TabledConfig.defaults(keyed ? KEYS : TabledKeys.NONE), 1);
        TabledDecision d = p.handle(datagram, IpAddress.parse("192.0.2.1"), now);
        assertNotNull(d);
        if (d instanceof TabledDecision.Accepted a) {
            assertTrue(datagram.length == TabledCodec.V2_SIZE || datagram.length == TabledCodec.V3_SIZE);
            if (a.command().prefix() != null) {
                IpPrefix pr = a.command().prefix();
                assertEquals(pr.address(), pr.address().mask(pr.length()), "host bits cleared");
            }
            assertTrue(p.handle(datagram, IpAddress.parse("192.0.2.1"), now) instanceof TabledDecision.Rejected r
                    && r.reason() == RejectReason.REPLAYED, "a second copy is a replay");
        }
    }

    /** Any valid command, encoded and handled, comes back unchanged (both versions). */
    @FuzzTest(maxDuration = "20s")
    void roundTrip(FuzzedDataProvider data) {
        TabledOp op = data.pickValue(TabledOp.values());
        boolean v3 = data.consumeBoolean();
        boolean v6 = v3 && data.consumeBoolean();
        String table = "t" + data.consumeAsciiString(30).replaceAll("[^!-~]", "x");
        IpAddress addr = v6 ? IpAddress.ofV6(data.consumeLong(), data.consumeLong()) : IpAddress.ofV4(data.consumeInt());
        int len = data.consumeInt(1, addr.bits());
        long lifetime = v3 && op == TabledOp.ADD ? data.consumeLong(0, 0xffffffffL) : 0;
        long ts = data.consumeLong(0, 0xffffffffL);
        TableCommand cmd = new TableCommand(op, table, op == TabledOp.FLUSH ? null : new IpPrefix(addr, len), lifetime);
        byte[] d = v3 ? TabledCodec.encodeV3(cmd, ts, java.util.Arrays.copyOf(data.consumeBytes(16), 16), KEYS.v3Key())
                : TabledCodec.encodeV2(cmd, ts, KEYS.v2Key());
        TabledDecision got = new TabledProtocol(TabledConfig.defaults(KEYS), 1).handle(d, IpAddress.parse("2001:db8::1"), ts * 1000);
        assertEquals(new TabledDecision.Accepted(v3 ? 3 : 2, cmd, ts), got);
    }
}
