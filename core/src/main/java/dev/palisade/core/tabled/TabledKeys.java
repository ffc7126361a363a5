package dev.palisade.core.tabled;

import java.util.Arrays;

/**
 * The shared secrets of the pftabled protocol, cut from a key file's bytes:
 * version 2 uses the first 20 bytes (HMAC-SHA1, as pftabled reads them),
 * version 3 the first 32 (HMAC-SHA256), present only when the file has at
 * least 32 bytes. {@link #NONE} means no key file: version 2 MACs are not
 * checked (pftabled's behaviour) and version 3 is refused.
 */
public final class TabledKeys {

    /** pftabled's key length: SHA1_DIGEST_LENGTH. */
    public static final int V2_KEY_BYTES = 20;
    /** Version 3's key length. */
    public static final int V3_KEY_BYTES = 32;

    /** No key: version 2 unauthenticated, version 3 refused. */
    public static final TabledKeys NONE = new TabledKeys(null, null);

    private final byte[] v2;
    private final byte[] v3;

    private TabledKeys(byte[] v2, byte[] v3) {
        this.v2 = v2;
        this.v3 = v3;
    }

    /**
     * The keys in a key file's content.
     *
     * @param source names the file in the message when it is too short
     * @throws IllegalArgumentException when there are fewer than 20 bytes
     */
    public static TabledKeys fromKeyFile(byte[] content, String source) {
        if (content.length < V2_KEY_BYTES) {
            throw new IllegalArgumentException("key file " + source + " has " + content.length
                    + " bytes: expected at least " + V2_KEY_BYTES + " (32 for version 3); make one with: "
                    + "head -c 32 /dev/urandom > " + source + " && chmod 600 " + source);
        }
        return new TabledKeys(Arrays.copyOf(content, V2_KEY_BYTES),
                content.length >= V3_KEY_BYTES ? Arrays.copyOf(content, V3_KEY_BYTES) : null);
    }

    /** The version 2 key (20 bytes, a copy), or null without a key file. */
    public byte[] v2Key() {
        return v2 == null ? null : v2.clone();
    }

    /** The version 3 key (32 bytes, a copy), or null when the key file was shorter than 32 bytes or absent. */
    public byte[] v3Key() {
        return v3 == null ? null : v3.clone();
    }

    public boolean hasV2Key() {
        return v2 != null;
    }

    public boolean hasV3Key() {
        return v3 != null;
    }

    @Override
    public String toString() {
        return v2 == null ? "no key" : v3 == null ? "20-byte key (version 2 only)" : "32-byte key (versions 2 and 3)";
    }
}
