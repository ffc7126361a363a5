package dev.palisade.core.divert;

import java.util.Map;
import java.util.Optional;

/**
 * What palisaded offers a diverter it creates: a way to send packets of its
 * own (TCP resets) and shared services looked up by type (e.g. the
 * Prometheus registry for built-in diverters' metrics, the {@code Tables}).
 */
public interface DiverterContext {

    /**
     * Sends a whole IP packet (IPv4 or IPv6, checksums set) as if it had
     * been routed by this host; used for {@code return-rst} style answers.
     * May be a no-op where palisaded has no raw socket; never blocks.
     */
    void inject(byte[] packet);

    /** The shared service of {@code type}, if palisaded has one. */
    <T> Optional<T> service(Class<T> type);

    /** A context with the given injector and services (for tests and embedding). */
    static DiverterContext of(PacketInjector injector, Map<Class<?>, ?> services) {
        Map<Class<?>, Object> copy = Map.copyOf(services);
        return new DiverterContext() {
            @Override
            public void inject(byte[] packet) {
                injector.inject(packet);
            }

            @Override
            public <T> Optional<T> service(Class<T> type) {
                return Optional.ofNullable(copy.get(type)).map(type::cast);
            }
        };
    }

    /** A context that injects nothing and offers no services. */
    static DiverterContext none() {
        return of(packet -> {}, Map.of());
    }

    /** Where injected packets go. */
    @FunctionalInterface
    interface PacketInjector {
        void inject(byte[] packet);
    }
}
