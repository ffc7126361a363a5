package dev.palisade.services.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Mutation;
import dev.palisade.core.table.Origin;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The journal decoder on arbitrary bytes: an {@link IOException} (the loader
 * then stops and truncates) or a record, never another exception; and a
 * structured round trip: any Add encodes and decodes to itself.
 */
class MutationCodecFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void decodeArbitraryBytes(byte[] data) {
        try {
            new MutationCodec().read(new DataInputStream(new ByteArrayInputStream(data)));
        } catch (IOException expected) {
            // rejected, as the loader needs
        }
    }

    @FuzzTest(maxDuration = "10s")
    void addRoundTrips(boolean v6, long hi, long lo, int len, boolean neg, int cleared, int expires, String who) throws IOException {
        IpAddress a = v6 ? IpAddress.ofV6(hi, lo) : IpAddress.ofV4((int) lo);
        IpPrefix p = new IpPrefix(a, Math.floorMod(len, a.bits() + 1));
        Mutation m = new Mutation.Add("t", p, neg, Integer.toUnsignedLong(cleared), Integer.toUnsignedLong(expires), new Origin.Manual(who == null ? "" : who));
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        MutationCodec.write(new DataOutputStream(bo), m);
        assertEquals(m, new MutationCodec().read(new DataInputStream(new ByteArrayInputStream(bo.toByteArray()))));
    }
}
