package dev.palisade.services.tabled;

import dev.palisade.core.tabled.TabledKeys;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads a pftabled key file, refusing one that group or others may read or
 * write, as ssh refuses a private key with open permissions: a shared
 * secret that every local user can read authenticates nobody.
 */
public final class TabledKeyFile {

    private TabledKeyFile() {}

    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    /** Thrown for a key file that cannot be used; the message names the file and the fix. */
    public static final class KeyFileException extends Exception {
        private static final long serialVersionUID = 1L;

        KeyFileException(String message) {
            super(message);
        }
    }

    /**
     * Loads the keys: the first 20 bytes for version 2, the first 32 (when
     * present) for version 3.
     */
    public static TabledKeys load(Path file) throws KeyFileException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("key file " + file + ": no such file");
        } catch (UnsupportedOperationException e) {
            perms = Set.of(); // no POSIX permissions on this file system: nothing to check
        } catch (IOException e) {
            throw new KeyFileException("key file " + file + ": cannot read its permissions: " + e.getMessage());
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(perms);
        open.retainAll(TOO_OPEN);
        if (!open.isEmpty()) {
            throw new KeyFileException("key file " + file + ": permissions " + PosixFilePermissions.toString(perms)
                    + " are too open: it must not be readable or writable by group or others; run: chmod 600 " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new KeyFileException("key file " + file + ": not a regular file");
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (AccessDeniedException e) {
            throw new KeyFileException("key file " + file + ": permission denied");
        } catch (IOException e) {
            throw new KeyFileException("key file " + file + ": " + e.getMessage());
        }
        try {
            return TabledKeys.fromKeyFile(content, file.toString());
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(e.getMessage());
        } finally {
            java.util.Arrays.fill(content, (byte) 0);
        }
    }
}
