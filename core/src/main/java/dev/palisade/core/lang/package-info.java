/**
 * The pf.conf language: lexer, parser, model, canonical printer.
 *
 * <h2>Model (for the evaluator and the nftables compiler)</h2>
 *
 * <p>{@link dev.palisade.core.lang.Parser#parse} turns text into a
 * {@link dev.palisade.core.lang.ParseResult}: the
 * {@link dev.palisade.core.lang.Ruleset} and every
 * {@link dev.palisade.core.lang.Diagnostic}. A result with any diagnostic
 * must load nothing ({@code ParseResult.orThrow()} throws the one
 * {@link dev.palisade.core.lang.ParseException}).
 *
 * <p>A {@code Ruleset} is three things:
 * <ul>
 * <li>{@code declarations()}: macros, {@code set} options, tables
 *     ({@link dev.palisade.core.lang.Decl.TableDef}: flags, inline entries
 *     as prefixes with negation, files to read), queues, {@code load anchor}
 *     — in file order, as pfctl -v echoes them. Lists given to
 *     {@code nat-to}/{@code rdr-to}/{@code route-to} appear here as
 *     {@code __automatic_N} const tables.</li>
 * <li>{@code options()}: the effective {@code set} values
 *     ({@link dev.palisade.core.lang.Options}).</li>
 * <li>{@code rules()}: {@link dev.palisade.core.lang.FilterRule}s, fully
 *     expanded and flat, numbered from 0 in evaluation order. No lists remain
 *     (interfaces, protocols, hosts, ports, users, groups and ICMP types
 *     were expanded in pfctl's order); every name is a number or an address
 *     (services, protocols, users, interfaces, host names resolved against
 *     the {@link dev.palisade.core.lang.HostProfile}); pf's parse-time
 *     defaults are applied (pass rules keep state, stateful TCP gets
 *     {@code flags S/SA}, {@code block} carries the block-policy in force,
 *     implied {@code source-track}, {@code src.track},
 *     {@code adaptive.start/end}, label macros expanded).</li>
 * </ul>
 *
 * <p>Each rule carries: action; block mode (drop, return, return-rst with
 * TTL, return-icmp codes per family); direction; quick; log bits and pflog
 * interface; interface with negation; address family; protocol number;
 * source and destination as {@link dev.palisade.core.lang.AddrMatch}
 * (negation, an {@link dev.palisade.core.lang.Address} — any, prefix,
 * range, table, dynamic {@code (if)} with {@code :network :broadcast
 * :peer :0} and mask, no-route, urpf-failed, route label — and a
 * {@link dev.palisade.core.lang.PortOp}); user and group
 * {@link dev.palisade.core.lang.IdOp}; TCP flags and mask; ICMP type and
 * code; tos; prio; scrub; set prio/tos/queue; state type and
 * {@link dev.palisade.core.lang.StateOptions}; probability (out of 2^32);
 * fragment; allow-opts; label; once; tag, tagged (negatable); rtable;
 * divert (to, reply, packet port); nat/rdr pools and af-to; route-to,
 * reply-to, dup-to pool; anchor call (inline rulesets numbered on their
 * own); and the source file and line. Absent numbers are -1, absent
 * objects null, as documented on each component.
 *
 * <h2>Printing</h2>
 *
 * <p>{@link dev.palisade.core.lang.Printer} prints pfctl's canonical form
 * and is the parser's oracle: parsing printed text gives the same rules.
 * {@link dev.palisade.core.lang.PfctlText} composes what {@code pfctl -n}
 * writes to standard output and standard error.
 *
 * <h2>Names</h2>
 *
 * <p>Protocols, services, ICMP types/codes and timeouts are OpenBSD's
 * ({@link dev.palisade.core.lang.Names}, resources next to it), so output
 * never depends on the machine's /etc files. Host facts (interfaces,
 * groups, users, resolver) come only through {@code HostProfile}: the core
 * makes no OS calls.
 */
package dev.palisade.core.lang;
