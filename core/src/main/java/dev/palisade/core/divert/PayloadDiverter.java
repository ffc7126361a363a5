package dev.palisade.core.divert;

import java.util.function.Consumer;

/**
 * A synchronous diverter over decoded packets: the base class for payload
 * diverters. It decodes each packet into a {@link PacketView}, asks
 * {@link #inspect}, and fixes the IP/TCP/UDP checksums of a
 * {@link Verdict.Rewrite} before answering.
 *
 * <p>Packets that do not decode as IPv4/IPv6 go to {@link #undecodable}
 * (pass by default). A {@link RuntimeException} from {@code inspect} goes to
 * {@link #failed} (pass by default, the packet's bytes as they are then):
 * a buggy diverter must not stall a queue. Override it to fail closed.
 *
 * <p>A diverter that answers later (after a lookup) implements
 * {@link Diverter} itself and decodes with {@link PacketView#decode}.
 */
public abstract class PayloadDiverter implements Diverter {

    private static final System.Logger LOG = System.getLogger(PayloadDiverter.class.getName());

    private final String name;

    protected PayloadDiverter(String name) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("diverter name must not be blank");
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void divert(DivertedPacket packet, Consumer<Verdict> verdict) {
        verdict.accept(judge(packet.data()));
    }

    /** The verdict for one whole IP packet; what {@link #divert} answers. Tests and benchmarks call it directly. */
    public final Verdict judge(byte[] packet) {
        PacketView view = PacketView.decode(packet);
        if (view == null) return undecodable(packet);
        Verdict v;
        try {
            v = inspect(view);
        } catch (RuntimeException e) {
            return failed(view, e);
        }
        if (v == null) throw new IllegalStateException(name + ": inspect returned null for " + view);
        if (v instanceof Verdict.Rewrite(byte[] bytes)) PacketView.fixChecksums(bytes);
        return v;
    }

    /**
     * Judges one decoded packet: {@link Verdict#PASS}, {@link Verdict#DROP},
     * or {@code packet.rewritten()} after changing {@code packet.data()} in
     * place (or a {@link Verdict.Rewrite} of new bytes, e.g. from
     * {@link PacketView#withPayloadLength}).
     */
    protected abstract Verdict inspect(PacketView packet);

    /** The verdict for bytes that are not a decodable IP packet: pass. */
    protected Verdict undecodable(byte[] packet) {
        return Verdict.PASS;
    }

    /** The verdict when {@link #inspect} threw: logged, then pass. */
    protected Verdict failed(PacketView packet, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, name + ": " + packet + ": " + e, e);
        return Verdict.PASS;
    }
}
