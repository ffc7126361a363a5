package dev.palisade.core.tabled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import java.util.HexFormat;
import javax.crypto.Mac;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TabledProtocolTest {

    static final HexFormat HEX = HexFormat.of();
    static final byte[] KEY20 = seq(1, 20);
    static final byte[] KEY32 = seq(1, 32);
    static final long T = 1_700_000_000L;
    static final long NOW = T * 1000;
    static final IpAddress PEER = IpAddress.parse("192.0.2.7");

    /** The issue's vector, computed with pftabled's own code. */
    static final String V2_VECTOR = "020100200a010203" + "7370616d6d657200" + "00".repeat(24) + "6553f100"
            + "9b901492c1a87a4833c46482e2533acd49eab984";

    /** docs/tabled-protocol.md, version 3 vectors 1 to 3 (key 0x01..0x20). */
    static final String V3_VECTOR_1 = "03010680" + "20010db8000000000000000000000001" + "7370616d6d657200" + "00".repeat(24)
            + "00000e10" + "000000006553f100" + "000102030405060708090a0b0c0d0e0f"
            + "6d282c92ed2f6bab825aa3ce7d8427d5f90bd595383310fcfe1531d93b992f23";
    static final String V3_VECTOR_2 = "03010418" + "c0000200" + "00".repeat(12) + "6272757465666f726365" + "00".repeat(22)
            + "00000000" + "000000006553f100" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
            + "a83b238eede7ae2b5ce599afd386de91260dec33c3d14a33e1f80f2a1ba7e8a2";
    static final String V3_VECTOR_3 = "03030000" + "00".repeat(16) + "7370616d6d657200" + "00".repeat(24)
            + "00000000" + "000000006553f100" + "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
            + "cfa374b945a1e1a1fc04bdcc093b42dcf2e75bdef4db2f14a85a19f1f0745f0b";

    static byte[] seq(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
        return b;
    }

    static TabledKeys keys() {
        return TabledKeys.fromKeyFile(KEY32, "test.key");
    }

    static TabledProtocol protocol(TabledConfig config) {
        return new TabledProtocol(config, 42);
    }

    static TabledProtocol keyed() {
        return protocol(TabledConfig.defaults(keys()));
    }

    static byte[] v2(String cmdTable, String prefix) {
        return TabledCodec.encodeV2(TableCommand.add(cmdTable, IpPrefix.parse(prefix)), T, KEY20);
    }

    /** Re-signs a (tampered) version 2 datagram with the test key. */
    static byte[] signV2(byte[] d) {
        Mac m = TabledCodec.hmacSha1(KEY20);
        m.update(d, 0, 44);
        TabledCodec.doFinal(m, d, 44);
        return d;
    }

    static byte[] signV3(byte[] d) {
        Mac m = TabledCodec.hmacSha256(KEY32);
        m.update(d, 0, 80);
        TabledCodec.doFinal(m, d, 80);
        return d;
    }

    static byte[] v3(TableCommand cmd, int nonce) {
        byte[] n = new byte[16];
        n[15] = (byte) nonce;
        n[14] = (byte) (nonce >> 8);
        return TabledCodec.encodeV3(cmd, T, n, KEY32);
    }

    static TableCommand accepted(TabledDecision d) {
        return assertInstanceOf(TabledDecision.Accepted.class, d, () -> "expected accepted, got " + d).command();
    }

    static void rejected(RejectReason reason, TabledDecision d) {
        TabledDecision.Rejected r = assertInstanceOf(TabledDecision.Rejected.class, d, () -> "expected " + reason + ", got " + d);
        assertEquals(reason, r.reason(), r.detail());
    }

    // --- vectors -----------------------------------------------------------

    @Test
    void encodesTheIssuesVector() {
        byte[] d = TabledCodec.encodeV2(TableCommand.add("spammer", IpPrefix.parse("10.1.2.3/32")), T, KEY20);
        assertEquals(V2_VECTOR, HEX.formatHex(d));
    }

    @Test
    void acceptsTheIssuesVector() {
        TabledDecision d = protocol(TabledConfig.defaults(TabledKeys.fromKeyFile(KEY20, "k"))).handle(HEX.parseHex(V2_VECTOR), PEER, NOW);
        assertEquals(new TabledDecision.Accepted(2, TableCommand.add("spammer", IpPrefix.parse("10.1.2.3")), T), d);
    }

    @Test
    void encodesAndAcceptsTheVersion3Vectors() {
        TableCommand c1 = TableCommand.add("spammer", IpPrefix.parse("2001:db8::1")).withLifetime(3600);
        TableCommand c2 = TableCommand.add("bruteforce", IpPrefix.parse("192.0.2.0/24"));
        TableCommand c3 = TableCommand.flush("spammer");
        assertEquals(V3_VECTOR_1, HEX.formatHex(TabledCodec.encodeV3(c1, T, seq(0, 16), KEY32)));
        assertEquals(V3_VECTOR_2, HEX.formatHex(TabledCodec.encodeV3(c2, T, seq(0xa0, 16), KEY32)));
        assertEquals(V3_VECTOR_3, HEX.formatHex(TabledCodec.encodeV3(c3, T, seq(0xf0, 16), KEY32)));
        TabledProtocol p = keyed();
        assertEquals(new TabledDecision.Accepted(3, c1, T), p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
        assertEquals(new TabledDecision.Accepted(3, c2, T), p.handle(HEX.parseHex(V3_VECTOR_2), PEER, NOW));
        assertEquals(new TabledDecision.Accepted(3, c3, T), p.handle(HEX.parseHex(V3_VECTOR_3), PEER, NOW));
    }

    @Test
    void handlesADatagramAtAnOffsetInALargerBuffer() {
        byte[] buf = new byte[200];
        System.arraycopy(HEX.parseHex(V2_VECTOR), 0, buf, 17, 64);
        assertEquals(TableCommand.add("spammer", IpPrefix.parse("10.1.2.3")), accepted(keyed().handle(buf, 17, 64, PEER, NOW)));
    }

    // --- size and version ---------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 63, 65, 111, 113, 1500})
    void wrongSize(int size) {
        byte[] d = new byte[size];
        if (size > 0) d[0] = (byte) (size >= 100 ? 3 : 2);
        rejected(RejectReason.WRONG_SIZE, keyed().handle(d, PEER, NOW));
    }

    @Test
    void version3In64BytesIsWrongSize() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[0] = 3;
        rejected(RejectReason.WRONG_SIZE, keyed().handle(d, PEER, NOW));
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 0x80, 0xff})
    void versionAbove3(int version) {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[0] = (byte) version;
        rejected(RejectReason.BAD_VERSION, keyed().handle(d, PEER, NOW));
    }

    @Test
    void version1ForcesMask32() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[0] = 1;
        d[3] = 8; // ignored by version 1
        assertEquals(IpPrefix.parse("10.1.2.3/32"), accepted(keyed().handle(signV2(d), PEER, NOW)).prefix());
    }

    @Test
    void version0IsTreatedAs2() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[0] = 0;
        d[3] = 16;
        TabledDecision.Accepted a = assertInstanceOf(TabledDecision.Accepted.class, keyed().handle(signV2(d), PEER, NOW));
        assertEquals(0, a.version());
        assertEquals(IpPrefix.parse("10.1.0.0/16"), a.command().prefix());
    }

    @Test
    void version2CanBeDisabled() {
        TabledProtocol p = protocol(TabledConfig.defaults(keys()).withAcceptV2(false));
        rejected(RejectReason.VERSION_DISABLED, p.handle(HEX.parseHex(V2_VECTOR), PEER, NOW));
        accepted(p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
    }

    @Test
    void version3WithoutA32ByteKey() {
        rejected(RejectReason.NO_KEY, protocol(TabledConfig.defaults(TabledKeys.fromKeyFile(KEY20, "k")))
                .handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
        rejected(RejectReason.NO_KEY, protocol(TabledConfig.defaults(TabledKeys.NONE)).handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
    }

    // --- MAC ----------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 8, 20, 40, 43, 44, 63})
    void anyFlippedBitFailsTheV2Mac(int index) {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[index] = (byte) (d[index] ^ (index == 0 ? 0x02 : 0x10)); // version 2 -> 0, still a version 2 datagram
        rejected(RejectReason.BAD_MAC, keyed().handle(d, PEER, NOW));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 19, 20, 52, 56, 64, 79, 80, 111})
    void anyFlippedBitFailsTheV3Mac(int index) {
        byte[] d = HEX.parseHex(V3_VECTOR_1);
        d[index] ^= 0x01;
        rejected(RejectReason.BAD_MAC, keyed().handle(d, PEER, NOW));
    }

    @Test
    void aDifferentKeyFailsTheMac() {
        byte[] other = seq(2, 32);
        TabledProtocol p = protocol(TabledConfig.defaults(TabledKeys.fromKeyFile(other, "other")));
        rejected(RejectReason.BAD_MAC, p.handle(HEX.parseHex(V2_VECTOR), PEER, NOW));
        rejected(RejectReason.BAD_MAC, p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
    }

    @Test
    void withoutAKeyTheV2MacIsNotChecked() {
        TabledProtocol p = protocol(TabledConfig.defaults(TabledKeys.NONE));
        byte[] unsigned = TabledCodec.encodeV2(TableCommand.add("spammer", IpPrefix.parse("10.9.9.9")), T, null);
        assertTrue(HEX.formatHex(unsigned).endsWith("00".repeat(20)));
        assertEquals(IpPrefix.parse("10.9.9.9"), accepted(p.handle(unsigned, PEER, NOW)).prefix());
        byte[] garbageMac = HEX.parseHex(V2_VECTOR);
        garbageMac[50] ^= 0x55;
        accepted(p.handle(garbageMac, PEER, NOW));
        // and the replay cache still works without a key, whatever the MAC bytes say
        byte[] again = unsigned.clone();
        again[60] = 7;
        rejected(RejectReason.REPLAYED, p.handle(again, PEER, NOW));
    }

    // --- the window ---------------------------------------------------------

    @Test
    void exactly60SecondsEitherWayIsAccepted() {
        assertEquals(TabledDecision.Accepted.class, keyed().handle(HEX.parseHex(V2_VECTOR), PEER, NOW + 60_000).getClass());
        assertEquals(TabledDecision.Accepted.class, keyed().handle(HEX.parseHex(V2_VECTOR), PEER, NOW + 60_999).getClass());
        assertEquals(TabledDecision.Accepted.class, keyed().handle(HEX.parseHex(V2_VECTOR), PEER, NOW - 60_000).getClass());
        assertEquals(TabledDecision.Accepted.class, keyed().handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW + 60_000).getClass());
        assertEquals(TabledDecision.Accepted.class, keyed().handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW - 60_000).getClass());
    }

    @Test
    void sixtyOneSecondsIsStaleOrFuture() {
        rejected(RejectReason.STALE, keyed().handle(HEX.parseHex(V2_VECTOR), PEER, NOW + 61_000));
        rejected(RejectReason.FUTURE, keyed().handle(HEX.parseHex(V2_VECTOR), PEER, NOW - 60_001));
        rejected(RejectReason.STALE, keyed().handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW + 61_000));
        rejected(RejectReason.FUTURE, keyed().handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW - 61_000));
    }

    @Test
    void theV2TimestampIsUnsigned() {
        long ts = 0xfffffff0L; // year 2106
        byte[] d = TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.parse("10.0.0.1")), ts, KEY20);
        accepted(keyed().handle(d, PEER, ts * 1000));
        rejected(RejectReason.FUTURE, keyed().handle(d, PEER, NOW));
    }

    // --- fields -------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 4, 0x81, 0xff})
    void badCommand(int cmd) {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[1] = (byte) cmd;
        rejected(RejectReason.BAD_COMMAND, keyed().handle(signV2(d), PEER, NOW));
        byte[] e = HEX.parseHex(V3_VECTOR_1);
        e[1] = (byte) cmd;
        rejected(RejectReason.BAD_COMMAND, keyed().handle(signV3(e), PEER, NOW));
    }

    @Test
    void unterminatedName() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        for (int i = 8; i < 40; i++) d[i] = 'a';
        rejected(RejectReason.UNTERMINATED_NAME, keyed().handle(signV2(d), PEER, NOW));
        byte[] e = HEX.parseHex(V3_VECTOR_1);
        for (int i = 20; i < 52; i++) e[i] = 'a';
        rejected(RejectReason.UNTERMINATED_NAME, keyed().handle(signV3(e), PEER, NOW));
    }

    @Test
    void longestNameIs31() {
        String name = "n".repeat(31);
        assertEquals(name, accepted(keyed().handle(v2(name, "10.0.0.1"), PEER, NOW)).table());
        assertThrows(IllegalArgumentException.class, () -> TableCommand.add("n".repeat(32), IpPrefix.parse("10.0.0.1")));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, ' ', 0x7f, 0x80, 0xff, '\n'})
    void badNameBytes(int first) {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[8] = (byte) first;
        rejected(RejectReason.BAD_TABLE_NAME, keyed().handle(signV2(d), PEER, NOW));
    }

    @Test
    void forcedTableIgnoresTheDatagramsName() {
        TabledProtocol p = protocol(TabledConfig.defaults(keys()).withForcedTable("forced"));
        byte[] d = HEX.parseHex(V2_VECTOR);
        for (int i = 8; i < 40; i++) d[i] = (byte) 0xff; // unterminated, not ASCII: pftabled ignores it with -f
        assertEquals("forced", accepted(p.handle(signV2(d), PEER, NOW)).table());
        assertEquals("forced", accepted(p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW)).table());
    }

    @ParameterizedTest
    @ValueSource(ints = {33, 64, 128, 255})
    void maskOver32(int mask) {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[3] = (byte) mask;
        rejected(RejectReason.MASK_TOO_LONG, keyed().handle(signV2(d), PEER, NOW));
        byte[] e = HEX.parseHex(V3_VECTOR_2); // IPv4
        e[3] = (byte) mask;
        rejected(RejectReason.MASK_TOO_LONG, keyed().handle(signV3(e), PEER, NOW));
    }

    @Test
    void ipv6MaskOver128() {
        byte[] e = HEX.parseHex(V3_VECTOR_1);
        e[3] = (byte) 129;
        rejected(RejectReason.MASK_TOO_LONG, keyed().handle(signV3(e), PEER, NOW));
    }

    @Test
    void hostBitsAreCleared() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[3] = 24;
        assertEquals(IpPrefix.parse("10.1.2.0/24"), accepted(keyed().handle(signV2(d), PEER, NOW)).prefix());
        d[3] = 9;
        assertEquals("10.0.0.0/9", accepted(keyed().handle(signV2(d), PEER, NOW)).prefix().toString());
        byte[] e = HEX.parseHex(V3_VECTOR_1);
        e[3] = 32;
        assertEquals("2001:db8::/32", accepted(keyed().handle(signV3(e), PEER, NOW)).prefix().toString());
    }

    @Test
    void hostBitsWithMask0() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[3] = 0;
        rejected(RejectReason.HOST_BITS_WITH_MASK_0, keyed().handle(signV2(d), PEER, NOW));
        byte[] e = HEX.parseHex(V3_VECTOR_1);
        e[3] = 0;
        rejected(RejectReason.HOST_BITS_WITH_MASK_0, keyed().handle(signV3(e), PEER, NOW));
        // 0.0.0.0/0 says what it means
        byte[] z = TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.parse("0.0.0.0/0")), T, KEY20);
        assertEquals("0.0.0.0/0", accepted(keyed().handle(z, PEER, NOW)).prefix().toString());
    }

    @Test
    void v2FlushIgnoresAddressAndMask() {
        byte[] d = HEX.parseHex(V2_VECTOR);
        d[1] = 3;
        d[3] = (byte) 200;
        assertEquals(TableCommand.flush("spammer"), accepted(keyed().handle(signV2(d), PEER, NOW)));
    }

    @Test
    void v3BadFamily() {
        for (int family : new int[] {0, 5, 10, 255}) {
            byte[] e = HEX.parseHex(V3_VECTOR_1);
            e[2] = (byte) family;
            rejected(RejectReason.BAD_FAMILY, keyed().handle(signV3(e), PEER, NOW));
        }
    }

    @Test
    void v3NonCanonical() {
        byte[] ipv4Padding = HEX.parseHex(V3_VECTOR_2);
        ipv4Padding[12] = 1;
        rejected(RejectReason.NOT_CANONICAL, keyed().handle(signV3(ipv4Padding), PEER, NOW));
        byte[] namePadding = HEX.parseHex(V3_VECTOR_1);
        namePadding[40] = 'x';
        rejected(RejectReason.NOT_CANONICAL, keyed().handle(signV3(namePadding), PEER, NOW));
        byte[] flushWithAddress = HEX.parseHex(V3_VECTOR_3);
        flushWithAddress[7] = 1;
        rejected(RejectReason.NOT_CANONICAL, keyed().handle(signV3(flushWithAddress), PEER, NOW));
        byte[] flushWithLifetime = HEX.parseHex(V3_VECTOR_3);
        flushWithLifetime[55] = 1;
        rejected(RejectReason.NOT_CANONICAL, keyed().handle(signV3(flushWithLifetime), PEER, NOW));
        byte[] deleteWithLifetime = HEX.parseHex(V3_VECTOR_1);
        deleteWithLifetime[1] = 2;
        rejected(RejectReason.NOT_CANONICAL, keyed().handle(signV3(deleteWithLifetime), PEER, NOW));
    }

    // --- lifetimes ----------------------------------------------------------

    @Test
    void lifetimes() {
        TabledProtocol p = protocol(TabledConfig.defaults(keys()).withDefaultLifetime(600));
        assertEquals(600, accepted(p.handle(HEX.parseHex(V2_VECTOR), PEER, NOW)).lifetimeSeconds(), "-t for version 2");
        assertEquals(3600, accepted(p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW)).lifetimeSeconds(), "the datagram's own");
        assertEquals(600, accepted(p.handle(HEX.parseHex(V3_VECTOR_2), PEER, NOW)).lifetimeSeconds(), "0 means -t");
        assertEquals(0, accepted(p.handle(HEX.parseHex(V3_VECTOR_3), PEER, NOW)).lifetimeSeconds(), "flush has none");
        assertEquals(0, accepted(keyed().handle(HEX.parseHex(V2_VECTOR), PEER, NOW)).lifetimeSeconds(), "no -t: no expiry");
    }

    // --- replay and rate ----------------------------------------------------

    @Test
    void aReplayWithinTheWindowIsRefused() {
        TabledProtocol p = keyed();
        accepted(p.handle(HEX.parseHex(V2_VECTOR), PEER, NOW));
        rejected(RejectReason.REPLAYED, p.handle(HEX.parseHex(V2_VECTOR), PEER, NOW + 30_000));
        rejected(RejectReason.REPLAYED, p.handle(HEX.parseHex(V2_VECTOR), IpAddress.parse("198.51.100.1"), NOW + 60_000));
        rejected(RejectReason.STALE, p.handle(HEX.parseHex(V2_VECTOR), PEER, NOW + 61_000));
        accepted(p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
        rejected(RejectReason.REPLAYED, p.handle(HEX.parseHex(V3_VECTOR_1), PEER, NOW));
    }

    @Test
    void theNonceMakesEqualV3CommandsDistinct() {
        TabledProtocol p = keyed();
        TableCommand c = TableCommand.add("t", IpPrefix.parse("2001:db8::7"));
        accepted(p.handle(v3(c, 1), PEER, NOW));
        accepted(p.handle(v3(TableCommand.delete("t", IpPrefix.parse("2001:db8::7")), 2), PEER, NOW));
        accepted(p.handle(v3(c, 3), PEER, NOW));
        rejected(RejectReason.REPLAYED, p.handle(v3(c, 3), PEER, NOW));
    }

    @Test
    void theReplayCacheForgetsPassedSecondsAndStaysBounded() {
        TabledProtocol p = protocol(TabledConfig.defaults(keys()).withReplayCapacity(1000));
        for (int s = 0; s < 200; s++) {
            for (int i = 0; i < 10; i++) {
                byte[] d = TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.host(IpAddress.ofV4(s * 100 + i))), T + s, KEY20);
                accepted(p.handle(d, PEER, (T + s) * 1000));
            }
            assertTrue(p.replayCacheSize() <= 61 * 10, "size " + p.replayCacheSize() + " at second " + s);
        }
    }

    @Test
    void aFullReplayCacheRefusesOldStampsNeverAcceptsAReplay() {
        TabledProtocol p = protocol(TabledConfig.defaults(keys()).withReplayCapacity(10).withRate(0, 0));
        byte[][] early = new byte[10][];
        for (int i = 0; i < 10; i++) {
            early[i] = TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.host(IpAddress.ofV4(i + 1))), T - 5, KEY20);
            accepted(p.handle(early[i], PEER, NOW));
        }
        // an eleventh with a later stamp pushes out second T-5 and raises the floor
        accepted(p.handle(TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.parse("10.0.0.99")), T, KEY20), PEER, NOW));
        assertTrue(p.replayCacheSize() <= 10);
        rejected(RejectReason.REPLAY_CACHE_FULL, p.handle(early[0], PEER, NOW));
        rejected(RejectReason.REPLAY_CACHE_FULL,
                p.handle(TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.parse("10.0.0.50")), T - 5, KEY20), PEER, NOW));
    }

    @Test
    void rateLimitPerPeer() {
        TabledProtocol p = protocol(TabledConfig.defaults(keys()).withRate(10, 5));
        IpAddress other = IpAddress.parse("2001:db8:1:2::1");
        IpAddress sameSlash64 = IpAddress.parse("2001:db8:1:2::ffff");
        int n = 0;
        for (int i = 0; i < 5; i++) accepted(p.handle(v2("t", "10.0.0." + (n++)), PEER, NOW));
        rejected(RejectReason.RATE_LIMITED, p.handle(v2("t", "10.0.0." + (n++)), PEER, NOW));
        for (int i = 0; i < 5; i++) accepted(p.handle(v2("t", "10.0.0." + (n++)), other, NOW));
        rejected(RejectReason.RATE_LIMITED, p.handle(v2("t", "10.0.0." + (n++)), sameSlash64, NOW));
        // 10/s: one token every 100 ms
        accepted(p.handle(v2("t", "10.0.0." + (n++)), PEER, NOW + 100));
        rejected(RejectReason.RATE_LIMITED, p.handle(v2("t", "10.0.0." + (n++)), PEER, NOW + 100));
        // a rate-limited datagram is not remembered: it may come again
        byte[] d = v2("t", "10.0.1.1");
        rejected(RejectReason.RATE_LIMITED, p.handle(d, PEER, NOW + 150));
        accepted(p.handle(d, PEER, NOW + 1000));
    }

    @Test
    void encoderRefusesWhatVersion2CannotCarry() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.parse("2001:db8::1")), T, KEY20));
        assertTrue(e.getMessage().contains("2001:db8::1"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TabledCodec.encodeV2(TableCommand.add("t", IpPrefix.parse("10.0.0.1")).withLifetime(5), T, KEY20));
    }

    @Test
    void keyFileTooShort() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TabledKeys.fromKeyFile(new byte[19], "/etc/k"));
        assertTrue(e.getMessage().contains("/etc/k") && e.getMessage().contains("19"), e.getMessage());
        assertArrayEquals(KEY20, TabledKeys.fromKeyFile(KEY32, "k").v2Key());
        assertTrue(!TabledKeys.fromKeyFile(seq(1, 31), "k").hasV3Key());
    }
}
