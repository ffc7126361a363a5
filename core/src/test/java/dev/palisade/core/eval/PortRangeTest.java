package dev.palisade.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.core.lang.Op;
import dev.palisade.core.lang.PortOp;
import org.junit.jupiter.api.Test;

/** The walk's port ranges agree with {@link PortOp#test} for every operator, bound and port. */
class PortRangeTest {
    @Test
    void everyOperatorAsARangeAgreesWithPortOpOnEveryPort() {
        int[] bounds = {0, 1, 2, 22, 1023, 1024, 65534, 65535};
        int checked = 0;
        for (Op op : Op.values()) {
            for (int lo : bounds) {
                for (int hi : op.binary() ? bounds : new int[] {0}) {
                    PortOp po = new PortOp(op, lo, hi);
                    long range = Evaluator.portRange(po);
                    boolean neg = op == Op.NE || op == Op.XRG;
                    for (int port = 0; port <= 65535; port++) {
                        if (Evaluator.portIn(port, range, neg) != po.test(port)) {
                            assertEquals(po.test(port), Evaluator.portIn(port, range, neg), "port " + port + " " + po);
                        }
                        checked++;
                    }
                }
            }
        }
        assertEquals((6 * 8 + 3 * 64) * 65536, checked);
    }
}
