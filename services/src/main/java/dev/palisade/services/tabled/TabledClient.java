package dev.palisade.services.tabled;

import dev.palisade.core.tabled.TableCommand;
import dev.palisade.core.tabled.TabledCodec;
import dev.palisade.core.tabled.TabledKeys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;

/**
 * pftabled-client's sending side: builds one datagram (version 2 as
 * pftabled-client 1.09 does, or version 3) and sends it, once, without
 * waiting for an answer (the protocol has none).
 */
public final class TabledClient {

    private TabledClient() {}

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * The datagram for {@code cmd}.
     *
     * @param version       2 or 3
     * @param keys          version 2 signs with the 20-byte key when there is one (else MAC bytes are zero);
     *                      version 3 needs the 32-byte key
     * @param nowSeconds    the timestamp
     * @throws IllegalArgumentException when the command or keys do not fit the version (the message says why)
     */
    public static byte[] datagram(TableCommand cmd, int version, TabledKeys keys, long nowSeconds) {
        return switch (version) {
            case 2 -> TabledCodec.encodeV2(cmd, nowSeconds, keys.v2Key());
            case 3 -> {
                if (!keys.hasV3Key()) {
                    throw new IllegalArgumentException("version 3 needs a key file of at least 32 bytes (-k), have: " + keys);
                }
                byte[] nonce = new byte[TabledCodec.V3_NONCE_BYTES];
                RANDOM.nextBytes(nonce);
                yield TabledCodec.encodeV3(cmd, nowSeconds, nonce, keys.v3Key());
            }
            default -> throw new IllegalArgumentException("protocol version " + version + ": expected 2 or 3");
        };
    }

    /** Sends one datagram to {@code to} from an ephemeral port. */
    public static void send(InetSocketAddress to, byte[] datagram) throws IOException {
        try (DatagramChannel ch = DatagramChannel.open()) {
            int n = ch.send(ByteBuffer.wrap(datagram), to);
            if (n != datagram.length) throw new IOException("sent " + n + " of " + datagram.length + " bytes to " + to);
        }
    }
}
