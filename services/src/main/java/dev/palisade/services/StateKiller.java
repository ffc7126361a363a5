package dev.palisade.services;

import dev.palisade.core.net.IpAddress;

/**
 * Kills every state (conntrack entry) whose source is an address, as
 * {@code pfctl -k} does after a ban. palisaded binds it to the kernel
 * backend's conntrack delete; without a kernel it is {@link #NONE}.
 */
@FunctionalInterface
public interface StateKiller {

    /** Does nothing: for running without a kernel, and for tests. */
    StateKiller NONE = src -> {};

    /**
     * Deletes the states of {@code src}. May block briefly (one netlink round
     * trip); called from a ban worker thread, never from a queue reader.
     */
    void killStates(IpAddress src);
}
