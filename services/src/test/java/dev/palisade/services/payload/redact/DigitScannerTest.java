package dev.palisade.services.payload.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DigitScannerTest {

    /** "kind:matched text" for each match. */
    static List<String> scan(String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        Matches m = new Matches();
        new DigitScanner(0, 1).scan(b, 0, b.length, m);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < m.size; i++) {
            out.add((m.pattern[i] == 0 ? "card:" : "ssn:") + text.substring(m.start[i], m.end[i]));
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "card 4111 1111 1111 1111 end|card:4111 1111 1111 1111",
        "4111111111111111|card:4111111111111111",
        "x4111-1111-1111-1111y|card:4111-1111-1111-1111",
        "amex 3782 822463 10005.|card:3782 822463 10005",
        "mc 5555555555554444, visa13 4222222222222|card:5555555555554444;card:4222222222222",
        "diners 30569309025904 ok|card:30569309025904",
        "unionpay 6200000000000005 (16)|card:6200000000000005",
        "19 digits 6011000990139424000 nope|",
        "ssn 123-45-6789 and 987 65 4320|ssn:123-45-6789",
        "ssn 876 54 3210.|ssn:876 54 3210",
    })
    void finds(String text, String expected) {
        List<String> want = expected == null ? List.of() : List.of(expected.split(";"));
        assertEquals(want, scan(text));
    }

    @Test
    void luhnFailureIsNotACard() {
        assertEquals(List.of(), scan("4111 1111 1111 1112"));
        assertEquals(List.of(), scan("4111111111111112"));
    }

    @Test
    void timestampsAndLongNumbersAreNotCards() {
        // 13-digit millisecond timestamps start with 1; a 20-digit group holds no card.
        assertEquals(List.of(), scan("{\"ts\":1700000000006}"));
        assertEquals(List.of(), scan("id=41111111111111110000"));
        assertEquals(List.of(), scan("1 2 3 4 5 6 7 8 9 0 1 2 3"));
    }

    @Test
    void cardFollowedByMoreDigitGroupsIsStillFound() {
        assertEquals(List.of("card:4111 1111 1111 1111"), scan("4111 1111 1111 1111 42"));
        assertEquals(List.of("card:4111 1111 1111 1111"), scan("pin 12 4111 1111 1111 1111"));
    }

    @Test
    void ssnInvalidRangesAreExcluded() {
        for (String s : new String[] {"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000"}) {
            assertEquals(List.of(), scan("ssn " + s + " x"), s);
        }
        assertTrue(DigitScanner.validSsn(665, 1, 1));
        assertTrue(DigitScanner.validSsn(899, 99, 9999));
        assertFalse(DigitScanner.validSsn(666, 1, 1));
    }

    @Test
    void ssnNeedsSameSeparatorAndClearEdges() {
        assertEquals(List.of(), scan("123-45 6789"));
        assertEquals(List.of(), scan("123456789"));
        assertEquals(List.of(), scan("phone 555-123-45-6789"));
        assertEquals(List.of("ssn:123-45-6789"), scan("(123-45-6789)"));
        assertEquals(List.of("ssn:123-45-6789"), scan("123-45-6789 12"));
    }

    @Test
    void doubleSeparatorsEndARun() {
        assertEquals(List.of(), scan("4111  1111  1111  1111"));
        assertEquals(List.of(), scan("4111--1111--1111--1111"));
    }

    @Test
    void runAtEndOfBufferAndEmptyInput() {
        assertEquals(List.of(), scan(""));
        assertEquals(List.of(), scan("4"));
        assertEquals(List.of("card:4111 1111 1111 1111"), scan("4111 1111 1111 1111"));
        assertEquals(List.of("card:4111 1111 1111 1111"), scan("4111 1111 1111 1111 -"));
    }

    @Test
    void swarDigitTestAgreesWithBytewiseForEveryByte() {
        for (int x = 0; x < 256; x++) {
            for (int pos = 0; pos < 8; pos++) {
                long w = ((long) (x & 0xff)) << (8 * pos) | (pos == 0 ? 0 : 0x4141414141414141L & ~(0xffL << (8 * pos)));
                long bits = DigitScanner.digitBits(w);
                boolean digit = x >= '0' && x <= '9';
                assertEquals(digit, (bits & (0x80L << (8 * pos))) != 0, "byte " + x + " at " + pos);
                assertEquals(0, bits & ~(0x80L << (8 * pos)), "only that byte, for " + x + " at " + pos);
            }
        }
    }

    @Test
    void findsMatchesAtEveryAlignment() {
        for (int pad = 0; pad < 17; pad++) {
            String text = "\u00ff".repeat(pad) + "4111111111111111" + "\u0080".repeat(pad);
            assertEquals(List.of("card:4111111111111111"), scan(text), "pad " + pad);
        }
    }

    /** The windowed scan finds exactly what a plain byte-by-byte pass over every run finds. */
    @Test
    void windowedScanAgreesWithEveryRunJudged() {
        java.util.Random r = new java.util.Random(99);
        String alphabet = "0123456789 -    abcXYZ\n.,";
        for (int t = 0; t < 3000; t++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(200);
            while (sb.length() < len) {
                int pick = r.nextInt(10);
                if (pick == 0) sb.append("4111 1111 1111 1111");
                else if (pick == 1) sb.append("123-45-6789");
                else if (pick == 2) sb.append("5555555555554444");
                else sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            String text = sb.toString();
            byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
            int from = b.length == 0 ? 0 : r.nextInt(Math.min(9, b.length));
            Matches fast = new Matches();
            new DigitScanner(0, 1).scan(b, from, b.length, fast);
            Matches slow = new Matches();
            new DigitScanner(0, 1).scanEveryRun(b, from, b.length, slow);
            assertEquals(show(text, slow), show(text, fast), text);
        }
    }

    static List<String> show(String text, Matches m) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < m.size; i++) out.add(m.pattern[i] + ":" + m.start[i] + ":" + text.substring(m.start[i], m.end[i]));
        return out;
    }

    /** Any bytes, any sub-range: no exception, matches inside the range, windowed == plain. */
    @Test
    void randomBytesAnyRange() {
        java.util.Random r = new java.util.Random(5);
        DigitScanner fastScanner = new DigitScanner(0, 1);
        DigitScanner slowScanner = new DigitScanner(0, 1);
        for (int t = 0; t < 20_000; t++) {
            byte[] b = new byte[r.nextInt(300)];
            for (int i = 0; i < b.length; i++) {
                int k = r.nextInt(4);
                b[i] = (byte) (k == 0 ? r.nextInt(256) : k == 1 ? ' ' : '0' + r.nextInt(10));
            }
            int from = b.length == 0 ? 0 : r.nextInt(b.length);
            int to = from + (b.length == from ? 0 : r.nextInt(b.length - from + 1));
            Matches fast = new Matches();
            fastScanner.scan(b, from, to, fast);
            Matches slow = new Matches();
            slowScanner.scanEveryRun(b, from, to, slow);
            assertEquals(fast.size, slow.size);
            for (int i = 0; i < fast.size; i++) {
                assertTrue(fast.start[i] >= from && fast.end[i] <= to && fast.start[i] < fast.end[i]);
                assertEquals(slow.start[i], fast.start[i]);
                assertEquals(slow.end[i], fast.end[i]);
            }
        }
    }

    /**
     * The scanner against an oracle written from the class comment's model
     * with a regex tokenizer (no SWAR, no windows, no shared code): on
     * random text dense in digits, separators and the word boundaries that
     * the 8-byte steps cut, both find the same matches.
     */
    @Test
    void agreesWithARegexOracleOfTheModel() {
        java.util.Random r = new java.util.Random(2026);
        String[] pieces = {"4111 1111 1111 1111", "4111-1111-1111-1111", "123-45-6789", "123 45 6789", "5555555555554444",
            "378282246310005", "0", "12", "345", "6789", "12345678", "123456789", " ", " ", "-", "--", "  ", "a", ".", "\n"};
        for (int t = 0; t < 20_000; t++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(300);
            while (sb.length() < len) sb.append(pieces[r.nextInt(pieces.length)]);
            byte[] b = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
            int from = b.length == 0 ? 0 : r.nextInt(Math.min(9, b.length));
            int to = b.length - (b.length - from > 0 ? r.nextInt(Math.min(3, b.length - from + 1)) : 0);
            Matches m = new Matches();
            new DigitScanner(0, 1).scan(b, from, to, m);
            List<String> got = new ArrayList<>();
            for (int k = 0; k < m.size; k++) got.add(m.pattern[k] + ":" + m.start[k] + "-" + m.end[k]);
            assertEquals(oracle(new String(b, from, to - from, StandardCharsets.ISO_8859_1), from), got, sb + " [" + from + "," + to + ")");
        }
    }

    private static final java.util.regex.Pattern RUN = java.util.regex.Pattern.compile("[0-9]+(?:[ -][0-9]+)*");
    private static final java.util.regex.Pattern GROUP = java.util.regex.Pattern.compile("[0-9]+");

    static List<String> oracle(String text, int base) {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher run = RUN.matcher(text);
        while (run.find()) {
            List<int[]> groups = new ArrayList<>(); // start, end (absolute)
            java.util.regex.Matcher g = GROUP.matcher(text).region(run.start(), run.end());
            while (g.find()) groups.add(new int[] {g.start(), g.end()});
            // the scanner ends a run after MAX_GROUPS groups; the rest starts a new run
            for (int from = 0; from < groups.size(); from += DigitScanner.MAX_GROUPS) {
                judge(text, base, groups.subList(from, Math.min(groups.size(), from + DigitScanner.MAX_GROUPS)), out);
            }
        }
        return out;
    }

    private static void judge(String text, int base, List<int[]> gr, List<String> out) {
        int digits = 0;
        for (int[] x : gr) digits += x[1] - x[0];
        if (digits < 9) return;
        int g = 0;
        while (g < gr.size()) {
            int next = -1;
            char first = text.charAt(gr.get(g)[0]);
            if (first >= '2' && first <= '6') {
                StringBuilder num = new StringBuilder();
                for (int e = g; e < gr.size() && next < 0; e++) {
                    num.append(text, gr.get(e)[0], gr.get(e)[1]);
                    if (num.length() > 19) break;
                    if (num.length() >= 13 && luhnOk(num)) {
                        out.add("0:" + (base + gr.get(g)[0]) + "-" + (base + gr.get(e)[1]));
                        next = e + 1;
                    }
                }
            }
            if (next < 0 && g + 2 < gr.size()) {
                String a = text.substring(gr.get(g)[0], gr.get(g)[1]);
                String b = text.substring(gr.get(g + 1)[0], gr.get(g + 1)[1]);
                String c = text.substring(gr.get(g + 2)[0], gr.get(g + 2)[1]);
                char s1 = text.charAt(gr.get(g)[1]);
                char s2 = text.charAt(gr.get(g + 1)[1]);
                boolean before = g > 0 && text.charAt(gr.get(g - 1)[1]) == s1;
                boolean after = g + 3 < gr.size() && text.charAt(gr.get(g + 2)[1]) == s1;
                if (a.length() == 3 && b.length() == 2 && c.length() == 4 && s1 == s2 && !before && !after
                        && DigitScanner.validSsn(Integer.parseInt(a), Integer.parseInt(b), Integer.parseInt(c))) {
                    out.add("1:" + (base + gr.get(g)[0]) + "-" + (base + gr.get(g + 2)[1]));
                    next = g + 3;
                }
            }
            g = next < 0 ? g + 1 : next;
        }
    }

    private static boolean luhnOk(CharSequence num) {
        int sum = 0;
        for (int k = 0; k < num.length(); k++) {
            int d = num.charAt(num.length() - 1 - k) - '0';
            if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        return sum % 10 == 0;
    }
}
