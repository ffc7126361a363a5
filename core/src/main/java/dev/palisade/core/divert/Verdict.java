package dev.palisade.core.divert;

/** What a diverter decides for one packet: it goes on, it is dropped, or it goes on changed. */
public sealed interface Verdict {

    Verdict PASS = new Pass();
    Verdict DROP = new Drop();

    record Pass() implements Verdict {}

    record Drop() implements Verdict {}

    /**
     * Pass the packet with new bytes (a whole IP packet). Palisade fixes the
     * IP, TCP and UDP checksums before it is put back.
     */
    record Rewrite(byte[] packet) implements Verdict {}
}
