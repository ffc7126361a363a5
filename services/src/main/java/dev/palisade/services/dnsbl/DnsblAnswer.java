package dev.palisade.services.dnsbl;

import dev.palisade.core.net.IpAddress;

/** What one DNSBL zone said about one source: listed, not listed, or no usable answer. */
public sealed interface DnsblAnswer {

    String zone();

    /** The zone lists the source with a configured return code. */
    record Listed(String zone, IpAddress answer) implements DnsblAnswer {}

    /** NXDOMAIN, no A record, or a 127/8 code the configuration does not treat as a listing. */
    record NotListed(String zone) implements DnsblAnswer {}

    /**
     * No usable answer: timeout, SERVFAIL and other error rcodes, an unreachable resolver,
     * an error code (127.255.255.0/24) or an answer outside 127.0.0.0/8. Never a ban.
     */
    record LookupFailed(String zone, String reason) implements DnsblAnswer {}
}
