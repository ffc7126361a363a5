package dev.palisade.core.state;

/**
 * The TCP state machine values pf tracks per peer (netinet/tcp_fsm.h
 * TCPS_*), the UDP/other pseudo-states (PFUDPS_*, PFOTHERS_*), and their
 * names as pfctl prints them.
 */
public final class TcpStates {
    private TcpStates() {}

    public static final int CLOSED = 0, LISTEN = 1, SYN_SENT = 2, SYN_RECEIVED = 3, ESTABLISHED = 4, CLOSE_WAIT = 5,
            FIN_WAIT_1 = 6, CLOSING = 7, LAST_ACK = 8, FIN_WAIT_2 = 9, TIME_WAIT = 10;

    /** UDP and other protocols: no packet from this peer yet / one direction / both directions. */
    public static final int NO_TRAFFIC = 0, SINGLE = 1, MULTIPLE = 2;

    private static final String[] NAMES = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT",
        "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"};
    private static final String[] PSEUDO = {"NO_TRAFFIC", "SINGLE", "MULTIPLE"};

    public static String name(int s) {
        return s >= 0 && s < NAMES.length ? NAMES[s] : Integer.toString(s);
    }

    public static String pseudoName(int s) {
        return s >= 0 && s < PSEUDO.length ? PSEUDO[s] : Integer.toString(s);
    }
}
