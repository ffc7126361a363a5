package dev.palisade.kernel.nft;

/**
 * An nftables set as the kernel describes it ({@code NFT_MSG_GETSET}).
 *
 * @param family  NFPROTO_* family of its table (1 inet, 2 ip, 10 ip6)
 * @param table   table name
 * @param name    set name
 * @param flags   NFT_SET_* flags
 * @param keyLen  key length in bytes: 4 for IPv4 addresses, 16 for IPv6
 */
public record NftSet(int family, String table, String name, int flags, int keyLen) {

    public static final int NFPROTO_INET = 1, NFPROTO_IPV4 = 2, NFPROTO_IPV6 = 10;
    public static final int NFT_SET_ANONYMOUS = 0x1, NFT_SET_CONSTANT = 0x2, NFT_SET_INTERVAL = 0x4, NFT_SET_MAP = 0x8,
            NFT_SET_TIMEOUT = 0x10;

    public NftSet {
        if (table == null || table.isEmpty()) throw new IllegalArgumentException("set table name is empty");
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("set name is empty in table " + table);
        if (keyLen != 4 && keyLen != 16) {
            throw new IllegalArgumentException("set " + table + " " + name + ": key length " + keyLen
                    + " bytes, expected an address set (4 for ipv4_addr, 16 for ipv6_addr)");
        }
    }

    public boolean interval() {
        return (flags & NFT_SET_INTERVAL) != 0;
    }

    public boolean timeout() {
        return (flags & NFT_SET_TIMEOUT) != 0;
    }

    public boolean v6() {
        return keyLen == 16;
    }

    /** {@code inet palisade bastards}, for messages. */
    @Override
    public String toString() {
        String fam = switch (family) {
            case NFPROTO_INET -> "inet";
            case NFPROTO_IPV4 -> "ip";
            case NFPROTO_IPV6 -> "ip6";
            default -> "family" + family;
        };
        return fam + " " + table + " " + name;
    }
}
