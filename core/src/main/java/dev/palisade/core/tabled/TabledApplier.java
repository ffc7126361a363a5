package dev.palisade.core.tabled;

import dev.palisade.core.table.Origin;
import dev.palisade.core.table.Tables;
import java.time.Instant;

/**
 * Applies an accepted {@link TableCommand} through {@link Tables}: the
 * lifetime becomes an expiry instant from the server's clock (durable in
 * palisaded, unlike pftabled's in-memory timeouts), a re-add refreshes it,
 * and an unknown table is refused unless the server creates tables.
 */
public final class TabledApplier {

    /** What applying did. */
    public sealed interface Result {}

    /** The change was made; {@code count} is the entries a flush removed (else 1 or 0). */
    public record Done(Effect effect, int count) implements Result {}

    /** The tables refused it. */
    public record Refused(RejectReason reason, String detail) implements Result {}

    /** The kinds of change. */
    public enum Effect {
        ADDED, REFRESHED, DELETED, NOT_PRESENT, FLUSHED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Tables tables;
    private final boolean createTables;

    /**
     * @param createTables create a missing table on add ({@code --create-tables}); delete and flush never create
     */
    public TabledApplier(Tables tables, boolean createTables) {
        this.tables = tables;
        this.createTables = createTables;
    }

    /** Applies {@code cmd} at {@code now}; never throws for what the tables say (an exception becomes APPLY_FAILED). */
    public Result apply(TableCommand cmd, Origin origin, Instant now) {
        try {
            return switch (cmd.op()) {
                case ADD -> add(cmd, origin, now);
                case DELETE -> {
                    if (!tables.exists(cmd.table())) yield unknown(cmd);
                    yield new Done(tables.delete(cmd.table(), cmd.prefix()) ? Effect.DELETED : Effect.NOT_PRESENT, 1);
                }
                case FLUSH -> {
                    if (!tables.exists(cmd.table())) yield unknown(cmd);
                    yield new Done(Effect.FLUSHED, tables.flush(cmd.table()));
                }
            };
        } catch (RuntimeException e) {
            return new Refused(RejectReason.APPLY_FAILED, cmd + ": " + e);
        }
    }

    private Result add(TableCommand cmd, Origin origin, Instant now) {
        Instant expires = cmd.lifetimeSeconds() == 0 ? null : now.plusSeconds(cmd.lifetimeSeconds());
        Tables.AddOutcome out = tables.add(cmd.table(), cmd.prefix(), expires, origin);
        if (out == Tables.AddOutcome.NO_SUCH_TABLE && createTables) {
            tables.create(cmd.table());
            out = tables.add(cmd.table(), cmd.prefix(), expires, origin);
        }
        return switch (out) {
            case ADDED -> new Done(Effect.ADDED, 1);
            case REFRESHED -> new Done(Effect.REFRESHED, 1);
            case REFUSED_ALLOWLIST -> new Refused(RejectReason.ALLOWLISTED, cmd.prefix() + " is on the allowlist");
            case NO_SUCH_TABLE -> unknown(cmd);
            case REFUSED_CONST -> new Refused(RejectReason.CONST_TABLE, "table <" + cmd.table() + "> is const");
        };
    }

    private Refused unknown(TableCommand cmd) {
        return new Refused(RejectReason.UNKNOWN_TABLE, "no table <" + cmd.table() + ">"
                + (createTables ? "" : " (the server does not create tables: --create-tables)"));
    }
}
