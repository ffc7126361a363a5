package dev.palisade.services.dnsbl;

import dev.palisade.core.net.IpAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.io.IoClientFactory;
import org.xbill.DNS.io.TcpIoClient;
import org.xbill.DNS.io.UdpIoClient;

/**
 * Asks one resolver about a source in one zone, asynchronously (dnsjava's
 * SimpleResolver over {@link SharedUdpClient}: a few long-lived sockets for
 * every query in flight), and turns
 * whatever happens into a {@link DnsblAnswer}: never an exception.
 *
 * <p>The query is a plain recursive A query for the RFC 5782 name; the
 * resolver (a local unbound, say) does the recursion and the caching.
 * NXDOMAIN and NODATA are "not listed"; other rcodes, a timeout and an
 * unreachable resolver are failed lookups; A answers are classified by
 * {@link ReturnCodes}.
 */
public final class DnsblResolver implements AutoCloseable {

    private final SimpleResolver resolver;
    private final Duration timeout;
    private final ReturnCodes codes;
    private final Executor executor;
    private final InetSocketAddress address;
    private final SharedUdpClient udp;

    /**
     * @param address  the resolver's address and port
     * @param timeout  how long to wait for an answer
     * @param executor where completions run (must not be a single busy thread)
     */
    public DnsblResolver(InetSocketAddress address, Duration timeout, ReturnCodes codes, Executor executor) {
        this.address = Objects.requireNonNull(address, "address");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("dnsbl: timeout must be positive, got " + timeout);
        this.timeout = timeout;
        this.codes = Objects.requireNonNull(codes, "codes");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.resolver = new SimpleResolver(address);
        resolver.setTimeout(timeout);
        IoClientFactory dnsjava = resolver.getIoClientFactory();
        this.udp = new SharedUdpClient(4, address.getAddress() instanceof java.net.Inet6Address);
        resolver.setIoClientFactory(new IoClientFactory() {
            @Override
            public TcpIoClient createOrGetTcpClient() {
                return dnsjava.createOrGetTcpClient(); // truncated answers: dnsjava's TCP client
            }

            @Override
            public UdpIoClient createOrGetUdpClient() {
                return udp;
            }
        });
    }

    /** Closes the query sockets; lookups in flight fail. */
    @Override
    public void close() {
        udp.close();
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Looks {@code src} up in {@code zone}; the future always completes normally. */
    public CompletableFuture<DnsblAnswer> lookup(IpAddress src, String zone) {
        Message query;
        try {
            query = Message.newQuery(Record.newRecord(Name.fromString(DnsblName.of(src, zone) + "."), Type.A, DClass.IN));
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(new DnsblAnswer.LookupFailed(zone, "bad query name: " + e.getMessage()));
        }
        CompletableFuture<Message> f;
        try {
            f = resolver.sendAsync(query, executor).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new DnsblAnswer.LookupFailed(zone, e.toString()));
        }
        // Our own deadline: dnsjava checks its timeouts only when its selector wakes
        // (about once a second), so the timeout is enforced here to the millisecond.
        return f.orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .handleAsync((m, e) -> e != null ? failed(zone, e) : classify(zone, m), executor);
    }

    DnsblAnswer classify(String zone, Message m) {
        int rc = m.getRcode();
        if (rc == Rcode.NXDOMAIN) return new DnsblAnswer.NotListed(zone);
        if (rc != Rcode.NOERROR) return new DnsblAnswer.LookupFailed(zone, Rcode.string(rc));
        List<IpAddress> as = new ArrayList<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a) as.add(IpAddress.ofBytes(a.getAddress().getAddress()));
        }
        return codes.classify(zone, as);
    }

    private static DnsblAnswer failed(String zone, Throwable e) {
        Throwable c = e;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        String reason;
        if (c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException) reason = "timeout";
        else if (c instanceof PortUnreachableException) reason = "resolver unreachable";
        else if (c instanceof java.nio.channels.ClosedChannelException) reason = "gate closed";
        else reason = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
        return new DnsblAnswer.LookupFailed(zone, reason);
    }
}
