package dev.palisade.kernel.compile;

import dev.palisade.core.lang.Address;
import dev.palisade.kernel.divert.XtDivert;
import java.util.List;
import java.util.Map;

/**
 * A compiled ruleset: the nftables program text (one transaction that
 * replaces table {@code inet TABLE} entirely) and what the daemon needs to
 * keep it working.
 *
 * @param text          the program for {@code nft -f}
 * @param tableSets     pf table name to its sets (IPv4, IPv6, and the overload twins when the packet path adds to it)
 * @param dynamicSets   {@code (if[:mod])} spec as written to its sets, which the daemon keeps filled
 * @param labelCounters pf label to the named counter that counts its rules
 * @param xtDiverts     for the xt NFQUEUE divert path: mark to queue rules for {@link XtDivert} (empty otherwise)
 * @param overloadFlushGroup NFLOG group on which overload-with-flush events arrive (prefix
 *                      {@code "palisade-flush <table> "}), or -1 when no rule uses {@code flush}
 */
public record NftProgram(String text, Map<String, TableSets> tableSets, Map<String, DynamicSet> dynamicSets,
                         Map<String, String> labelCounters, List<XtDivert.Rule> xtDiverts, int overloadFlushGroup) {
    public NftProgram {
        tableSets = Map.copyOf(tableSets);
        dynamicSets = Map.copyOf(dynamicSets);
        labelCounters = Map.copyOf(labelCounters);
        xtDiverts = List.copyOf(xtDiverts);
    }

    /** The IPv4 and IPv6 sets that hold what {@code address} stands for on the host now. */
    public record DynamicSet(Address.Dynamic address, String v4, String v6) {
    }

    /** The kernel sets of one pf table; the overload names are null unless a rule overloads into it. */
    public record TableSets(String v4, String v6, String overloadV4, String overloadV6) {
    }
}
