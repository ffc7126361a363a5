package dev.palisade.services.tabled;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TabledKeyFileTest {

    @TempDir
    Path dir;

    Path key(int bytes, String perms) throws Exception {
        Path p = dir.resolve("k" + bytes + perms);
        Files.write(p, new byte[bytes]);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    @Test
    void ownerOnlyIsAccepted() throws Exception {
        assertTrue(TabledKeyFile.load(key(32, "rw-------")).hasV3Key());
        assertTrue(TabledKeyFile.load(key(20, "r--------")).hasV2Key());
        assertFalse(TabledKeyFile.load(key(20, "r--------")).hasV3Key());
    }

    @Test
    void readableOrWritableByGroupOrOthersIsRefused() throws Exception {
        for (String perms : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw-------".substring(0, 7) + "w-"}) {
            Path p = key(32, perms);
            var e = assertThrows(TabledKeyFile.KeyFileException.class, () -> TabledKeyFile.load(p));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("too open")
                    && e.getMessage().contains("chmod 600"), e.getMessage());
        }
    }

    @Test
    void missingOrShort() throws Exception {
        var missing = assertThrows(TabledKeyFile.KeyFileException.class, () -> TabledKeyFile.load(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        Path shortKey = key(19, "rw-------");
        var tooShort = assertThrows(TabledKeyFile.KeyFileException.class, () -> TabledKeyFile.load(shortKey));
        assertTrue(tooShort.getMessage().contains("19 bytes") && tooShort.getMessage().contains("at least 20"), tooShort.getMessage());
    }
}
