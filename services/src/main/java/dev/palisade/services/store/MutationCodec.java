package dev.palisade.services.store;

import dev.palisade.core.net.IpAddress;
import dev.palisade.core.net.IpPrefix;
import dev.palisade.core.table.Mutation;
import dev.palisade.core.table.Origin;
import dev.palisade.core.table.OriginCodec;
import dev.palisade.core.table.TableFlags;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Binary form of a {@link Mutation} for the journal and the snapshot: a type
 * byte, the table name, then the fields. A prefix is a family byte (4 or
 * 6), a length byte and 4 or 16 address bytes.
 * Decoding interns table names and origins, so 1M entries banned by the same
 * tripwire share one {@link Origin} object.
 */
final class MutationCodec {

    static final byte CREATE = 1, KILL = 2, ADD = 3, DELETE = 4, FLUSH = 5, ZERO = 6;

    private final Map<String, String> names = new HashMap<>();
    private final Map<String, Origin> origins = new HashMap<>();

    static void write(DataOutput out, Mutation m) throws IOException {
        switch (m) {
            case Mutation.Create c -> {
                out.writeByte(CREATE);
                out.writeUTF(c.table());
                out.writeByte(c.flags().bits());
                out.writeLong(c.time());
            }
            case Mutation.Kill k -> {
                out.writeByte(KILL);
                out.writeUTF(k.table());
            }
            case Mutation.Add a -> {
                out.writeByte(ADD);
                out.writeUTF(a.table());
                writePrefix(out, a.prefix());
                out.writeBoolean(a.negated());
                out.writeInt((int) a.cleared());
                out.writeInt((int) a.expires());
                out.writeUTF(OriginCodec.encode(a.origin()));
            }
            case Mutation.Delete d -> {
                out.writeByte(DELETE);
                out.writeUTF(d.table());
                writePrefix(out, d.prefix());
            }
            case Mutation.Flush f -> {
                out.writeByte(FLUSH);
                out.writeUTF(f.table());
            }
            case Mutation.Zero z -> {
                out.writeByte(ZERO);
                out.writeUTF(z.table());
                out.writeLong(z.time());
            }
        }
    }

    private static void writePrefix(DataOutput out, IpPrefix p) throws IOException {
        IpAddress a = p.address();
        out.writeByte(a.v6() ? 6 : 4);
        out.writeByte(p.length());
        if (a.v6()) {
            out.writeLong(a.hi());
            out.writeLong(a.lo());
        } else {
            out.writeInt(a.v4());
        }
    }

    private static IpPrefix readPrefix(DataInput in) throws IOException {
        int family = in.readByte();
        int len = in.readByte() & 0xff;
        IpAddress a = switch (family) {
            case 4 -> IpAddress.ofV4(in.readInt());
            case 6 -> IpAddress.ofV6(in.readLong(), in.readLong());
            default -> throw new IOException("bad address family byte " + family);
        };
        try {
            return new IpPrefix(a, len);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad prefix: " + e.getMessage(), e);
        }
    }

    Mutation read(DataInput in) throws IOException {
        byte type = in.readByte();
        String table = names.computeIfAbsent(in.readUTF(), k -> k);
        try {
            return switch (type) {
                case CREATE -> new Mutation.Create(table, TableFlags.ofBits(in.readByte()), in.readLong());
                case KILL -> new Mutation.Kill(table);
                case ADD -> {
                    IpPrefix p = readPrefix(in);
                    boolean neg = in.readBoolean();
                    long cleared = Integer.toUnsignedLong(in.readInt());
                    long expires = Integer.toUnsignedLong(in.readInt());
                    String o = in.readUTF();
                    Origin origin = origins.get(o);
                    if (origin == null) {
                        origin = OriginCodec.decode(o);
                        origins.put(o, origin);
                    }
                    yield new Mutation.Add(table, p, neg, cleared, expires, origin);
                }
                case DELETE -> new Mutation.Delete(table, readPrefix(in));
                case FLUSH -> new Mutation.Flush(table);
                case ZERO -> new Mutation.Zero(table, in.readLong());
                default -> throw new IOException("unknown record type " + type);
            };
        } catch (IllegalArgumentException e) {
            throw new IOException("bad record for table " + table + ": " + e.getMessage(), e);
        }
    }
}
