package dev.palisade.core.lang;

import dev.palisade.core.net.IpPrefix;
import java.util.List;
import java.util.Objects;

/** A declaration that pfctl -v echoes while parsing, before the rules. */
public sealed interface Decl {

    /** {@code name = "value"}. */
    record MacroDef(String name, String value) implements Decl {
    }

    /**
     * One {@code set} option as echoed ({@code text} follows "set ", e.g.
     * {@code timeout tcp.first 6}); typed values are in {@link Options}.
     * {@code file} and {@code line} say where it was set (null and 0 when made by code), for
     * diagnostics about the option (e.g. the kernel compiler refusing one).
     */
    record SetOption(String name, String text, String file, int line) implements Decl {
        public SetOption(String name, String text) {
            this(name, text, null, 0);
        }
    }

    /**
     * {@code table <name> [const] [persist] [counters] { ... } file "..."}.
     * {@code nodes} keeps the file's order of inline lists and files;
     * {@code braces} is true when an inline list was written (even empty).
     */
    record TableDef(String name, boolean isConst, boolean persist, boolean counters, List<TableNode> nodes,
                    boolean braces) implements Decl {
        public TableDef {
            Objects.requireNonNull(name, "name");
            nodes = List.copyOf(nodes);
        }

        /** All inline entries, files not read. */
        public List<TableEntry> entries() {
            return nodes.stream().filter(n -> n instanceof TableNode.Entries)
                    .flatMap(n -> ((TableNode.Entries) n).entries().stream()).toList();
        }
    }

    /** A part of a table definition: inline entries or a file to read. */
    sealed interface TableNode {
        record Entries(List<TableEntry> entries) implements TableNode {
            public Entries {
                entries = List.copyOf(entries);
            }
        }

        record File(String path) implements TableNode {
        }
    }

    /** One table entry: a network, maybe negated ({@code !10.1.2.3}). */
    record TableEntry(boolean negated, IpPrefix prefix) {
    }

    /**
     * {@code queue NAME (on IF | parent P) [bandwidth B] [min B] [max B]
     * [flows N] [quantum N] [qlimit N] [default]}; bandwidths in bit/s, 0 absent.
     */
    record QueueDef(String name, String parent, String ifname, long bandwidth, long min, long max,
                    int flows, int quantum, int qlimit, boolean isDefault) implements Decl {
    }

    /**
     * {@code load anchor "name" from "file"}: {@code ruleset} is the file's
     * rules (numbered on their own), or null when the file could not be read.
     */
    record LoadAnchor(String name, String file, Ruleset ruleset) implements Decl {
    }
}
