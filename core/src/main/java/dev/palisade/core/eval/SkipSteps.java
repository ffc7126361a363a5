package dev.palisade.core.eval;

import dev.palisade.core.lang.FilterRule;
import java.util.List;
import java.util.Objects;

/**
 * pf's skip steps (pf_calc_skip_steps in sys/net/pf_ioctl.c).
 *
 * <p>Why: the first packet of a flow walks the rules; most rules fail on
 * the same few criteria as their neighbours (same interface, same protocol,
 * same source). For each criterion and rule, the index of the next rule that
 * differs in that criterion lets a failing test jump over every rule that
 * would fail the same way. One pass per criterion, O(rules) time and space.
 */
public final class SkipSteps {
    private SkipSteps() {
    }

    /** pfctl's names of the criteria, in {@link Evaluator#SKIP_IFP}.. order. */
    public static final List<String> NAMES = List.of("i", "d", "f", "p", "sa", "da", "sp", "dp");

    /** {@code steps[criterion][rule]}: the next rule differing in that criterion, {@code rules.size()} for none. */
    public static int[][] compute(List<FilterRule> rules) {
        int n = rules.size();
        int[][] steps = new int[Evaluator.SKIP_COUNT][n];
        for (int k = 0; k < Evaluator.SKIP_COUNT; k++) {
            int head = 0;
            for (int i = 1; i <= n; i++) {
                if (i == n || differs(k, rules.get(head), rules.get(i))) {
                    for (int j = head; j < i; j++) steps[k][j] = i;
                    head = i;
                }
            }
        }
        return steps;
    }

    static boolean differs(int k, FilterRule a, FilterRule b) {
        return switch (k) {
            case Evaluator.SKIP_IFP -> !Objects.equals(a.ifname(), b.ifname()) || a.ifNegated() != b.ifNegated();
            case Evaluator.SKIP_DIR -> a.direction() != b.direction();
            case Evaluator.SKIP_AF -> a.af() != b.af();
            case Evaluator.SKIP_PROTO -> a.proto() != b.proto();
            case Evaluator.SKIP_SRC_ADDR -> a.src().negated() != b.src().negated() || !a.src().address().equals(b.src().address());
            case Evaluator.SKIP_DST_ADDR -> a.dst().negated() != b.dst().negated() || !a.dst().address().equals(b.dst().address());
            case Evaluator.SKIP_SRC_PORT -> !Objects.equals(a.src().port(), b.src().port());
            case Evaluator.SKIP_DST_PORT -> !Objects.equals(a.dst().port(), b.dst().port());
            default -> throw new IllegalArgumentException("no skip criterion " + k);
        };
    }

    /**
     * The {@code [ Skip steps: ... ]} line {@code pfctl -gvvsr} prints under rule {@code i}:
     * only steps that jump further than the next rule, {@code end} for the end; {@code r=end}
     * (rdomain, never set here) in pf's place.
     */
    public static String format(int[][] steps, int i) {
        int n = steps[0].length;
        StringBuilder sb = new StringBuilder("[ Skip steps:");
        for (int k = 0; k < Evaluator.SKIP_COUNT; k++) {
            if (k == Evaluator.SKIP_AF) sb.append(" r=end");
            int s = steps[k][i];
            if (s == i + 1 && s != n) continue;
            sb.append(' ').append(NAMES.get(k)).append('=').append(s == n ? "end" : Integer.toString(s));
        }
        return sb.append(" ]").toString();
    }
}
