package dev.palisade.core.table;

/**
 * Why an entry is in a table: every entry remembers it, and {@code palisade why}
 * prints it. {@link #describe()} is the text shown to users.
 */
public sealed interface Origin {

    String describe();

    /** {@code pfctl -T add} or the control socket. */
    record Manual(String who) implements Origin {
        public String describe() { return who == null || who.isEmpty() ? "manual" : "manual (" + who + ")"; }
    }

    /** {@code table <t> file "path"} or {@code -T add -f path}. */
    record File(String path) implements Origin {
        public String describe() { return "file " + path; }
    }

    /** A table definition's inline list in pf.conf. */
    record Ruleset(String source, int line) implements Origin {
        public String describe() { return "pf.conf " + source + ":" + line; }
    }

    /** The tripwire diverter (bofh-divert): a packet to a trap port. */
    record Tripwire(int port) implements Origin {
        public String describe() { return "tripwire port " + port; }
    }

    /** The trap listener (iblock): a connection to a listening trap port. */
    record Trap(String listener) implements Origin {
        public String describe() { return "trap listener " + listener; }
    }

    /** The DNSBL gate: the zone that listed the source and its answer. */
    record Dnsbl(String zone, String answer) implements Origin {
        public String describe() { return "dnsbl " + zone + " answered " + answer; }
    }

    /** The DNSBL gate's cache of clean sources. */
    record DnsblClean(String zones) implements Origin {
        public String describe() { return "dnsbl clean in " + zones; }
    }

    /** A pftabled datagram from a peer. */
    record Pftabled(String peer) implements Origin {
        public String describe() { return "pftabled from " + peer; }
    }

    /** A rule's {@code overload <table>}. */
    record Overload(String rule) implements Origin {
        public String describe() { return "overload by rule " + rule; }
    }
}
