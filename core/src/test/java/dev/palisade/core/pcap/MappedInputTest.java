package dev.palisade.core.pcap;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading through mapped windows gives the file's bytes, across window ends, with skips. */
class MappedInputTest {
    @Test
    void readsAndSkipsAcrossWindowsExactlyAsTheFileHoldsThem(@TempDir Path dir) throws Exception {
        byte[] data = new byte[5 * 65536 + 12345];
        new SplittableRandom(7).nextBytes(data);
        Path f = dir.resolve("f");
        Files.write(f, data);
        SplittableRandom r = new SplittableRandom(8);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        int pos = 0;
        try (MappedInput in = new MappedInput(f, 65536)) {
            byte[] b = new byte[70000];
            while (true) {
                int op = r.nextInt(10);
                if (op == 0) {
                    long s = in.skip(r.nextInt(3000));
                    pos += (int) s;
                    continue;
                }
                if (op == 1) {
                    int c = in.read();
                    if (c < 0) break;
                    assertEquals(data[pos] & 0xff, c, "byte at " + pos);
                    pos++;
                    continue;
                }
                int off = r.nextInt(100), len = r.nextInt(b.length - off);
                int n = in.read(b, off, len);
                if (n < 0) break;
                assertTrue(n <= len && (n > 0 || len == 0), "read " + n + " of " + len);
                got.write(b, off, n);
                want.write(data, pos, n);
                pos += n;
            }
            assertEquals(data.length, pos, "read to the end");
            assertEquals(-1, in.read());
            assertEquals(0, in.skip(10));
        }
        assertArrayEquals(want.toByteArray(), got.toByteArray());
        assertThrows(IllegalArgumentException.class, () -> new MappedInput(f, 1000));
    }
}
