package dev.palisade.services.store;

import dev.palisade.core.table.AddressTable;
import dev.palisade.core.table.Mutation;
import dev.palisade.core.table.TableSet;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The durable store of palisaded's tables: a snapshot file and an
 * append-only journal of {@link Mutation}s in the state directory.
 *
 * <p><b>Why a journal, not H2 MVStore.</b> Both were measured (BENCHMARKS.md,
 * "Tables"; docs/tables.md): a table change is a few dozen bytes and the
 * tables live in memory anyway (the tries answer lookups), so the store only
 * has to make a sequence of small changes durable and replay them fast. An
 * fsync'd append with group commit does exactly that with one write and one
 * fsync per batch of concurrent callers; MVStore adds a B-tree page copy and
 * its own chunk bookkeeping per commit, and its commit is not an fsync.
 *
 * <p><b>Format.</b> Both files are sequences of frames {@code [int length]
 * [int CRC32C][payload]}, payload as {@link MutationCodec}. The snapshot starts
 * with a magic number and ends with an end frame (it is written to a
 * temporary file, fsync'd and renamed, so it is whole or absent). The journal
 * may end in a torn frame after a crash: loading stops at the first frame
 * whose length or checksum is wrong and truncates the journal there; nothing
 * acknowledged can be in it, because a change is acknowledged only after the
 * fsync that covers its frame.
 *
 * <p><b>Preallocation.</b> While open, the journal runs ahead of its last
 * frame with zeros (written, up to {@link #PREALLOCATE} bytes past the end,
 * then overwritten by frames): an fdatasync of a write that does not change
 * the file's size or extents has no metadata to write, which measured about a
 * third cheaper per commit ({@code dd oflag=dsync} 1.65 ms appending against
 * 1.09 ms overwriting, ext4). A zero length ends the journal when loading, so
 * the zeros read as its end; only non-zero bytes after the last good frame
 * count as a torn tail. A clean close trims the zeros.
 *
 * <p><b>Group commit.</b> {@link #append} only encodes into a buffer (called
 * under the table lock, so the journal order is the order of the changes);
 * {@link #awaitDurable} makes one waiting caller the leader, which writes and
 * fsyncs everything buffered so far while later callers buffer into a fresh
 * buffer and wait for the next round: concurrent callers share one fsync,
 * no lock is held during the write and the fsync, a caller waits only for the
 * fsync that covers its change, and a finished round wakes only its own
 * callers plus the next round's leader.
 */
public final class TableStore implements AutoCloseable {

    public static final String SNAPSHOT = "tables.snap";
    public static final String JOURNAL = "tables.journal";
    private static final long MAGIC = 0x50414c5441423031L; // "PALTAB01"
    private static final byte END = 0x7f;
    private static final int MAX_FRAME = 1 << 20;
    /** The journal is grown this much ahead of the appends, with zeros (see the class note). */
    static final int PREALLOCATE = 1 << 20;
    private static final byte[] ZEROS = new byte[64 << 10];

    /** What a load found. */
    public record LoadStats(long snapshotRecords, long journalRecords, long truncatedBytes, long millis) {}

    private final Path dir;
    private final FileChannel journal;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition flushed = lock.newCondition();
    private Buf pending = new Buf();
    private Buf spare = new Buf();
    private final Buf frame = new Buf();
    private final DataOutputStream frameOut = new DataOutputStream(frame);
    private final CRC32C crc = new CRC32C();
    private long appended;
    private long durable;
    private boolean flushing;
    private Round next = new Round(lock.newCondition());
    private Round inflight = new Round(lock.newCondition());
    private long journalBytes;
    private long allocated; // the journal file's size: journalBytes, then zeros (written by the leader only)
    private long snapshotBytes;
    private IOException failure;
    private final LoadStats loadStats;

    private TableStore(Path dir, TableSet into, long now) throws IOException {
        this.dir = dir;
        long t0 = System.nanoTime();
        Files.createDirectories(dir);
        Path snap = dir.resolve(SNAPSHOT);
        long snapRecords = 0;
        if (Files.exists(snap)) {
            snapRecords = loadSnapshot(snap, into, now);
            snapshotBytes = Files.size(snap);
        }
        Path jpath = dir.resolve(JOURNAL);
        boolean created = !Files.exists(jpath);
        journal = FileChannel.open(jpath, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long[] jr = loadJournal(jpath, into, now);
        long good = jr[1];
        long truncated = tornTail(good);
        if (journal.size() > good) {
            journal.truncate(good);
            journal.force(true);
        }
        journal.position(good);
        journalBytes = good;
        allocated = good;
        if (created) syncDir(dir);
        into.finishReplay();
        loadStats = new LoadStats(snapRecords, jr[0], truncated, (System.nanoTime() - t0) / 1_000_000);
    }

    /** Opens (creating if needed) the store in {@code dir} and loads it into {@code into}. */
    public static TableStore open(Path dir, TableSet into, long now) throws IOException {
        return new TableStore(dir, into, now);
    }

    public LoadStats loadStats() {
        return loadStats;
    }

    public Path dir() {
        return dir;
    }

    /** Journal size in bytes (for compaction decisions). */
    public long journalBytes() {
        lock.lock();
        try {
            return journalBytes + pending.size();
        } finally {
            lock.unlock();
        }
    }

    public long snapshotBytes() {
        return snapshotBytes;
    }

    // ---- loading ---------------------------------------------------------------------------

    private static final class ArrayInput extends InputStream {
        byte[] buf;
        int pos;
        int limit;

        @Override
        public int read() {
            return pos < limit ? buf[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= limit) return -1;
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    private long loadSnapshot(Path snap, TableSet into, long now) throws IOException {
        MutationCodec codec = new MutationCodec();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(snap), 1 << 20))) {
            if (in.readLong() != MAGIC) throw new IOException(snap + ": not a palisade table snapshot (bad magic number)");
            ArrayInput ai = new ArrayInput();
            DataInputStream rec = new DataInputStream(ai);
            byte[] buf = new byte[256];
            long n = 0;
            long off = 8;
            while (true) {
                int len;
                try {
                    len = in.readInt();
                } catch (EOFException e) {
                    throw new IOException(snap + ": snapshot ends without its end record at byte " + off + "; remove it to start from the journal alone");
                }
                int sum = in.readInt();
                if (len <= 0 || len > MAX_FRAME) throw new IOException(snap + ": bad record length " + len + " at byte " + off);
                if (buf.length < len) buf = new byte[Math.max(len, buf.length * 2)];
                in.readFully(buf, 0, len);
                if (checksum(buf, len) != sum) throw new IOException(snap + ": checksum mismatch at byte " + off);
                off += 8 + len;
                if (len == 1 && buf[0] == END) return n;
                ai.buf = buf;
                ai.pos = 0;
                ai.limit = len;
                into.apply(codec.read(rec), now);
                n++;
            }
        }
    }

    /** Returns {records, offset after the last good frame}. */
    private long[] loadJournal(Path jpath, TableSet into, long now) throws IOException {
        MutationCodec codec = new MutationCodec();
        long n = 0;
        long good = 0;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(jpath), 1 << 20))) {
            ArrayInput ai = new ArrayInput();
            DataInputStream rec = new DataInputStream(ai);
            byte[] buf = new byte[256];
            while (true) {
                int len;
                int sum;
                try {
                    len = in.readInt();
                    sum = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                if (len <= 0 || len > MAX_FRAME) break;
                if (buf.length < len) buf = new byte[Math.max(len, buf.length * 2)];
                try {
                    in.readFully(buf, 0, len);
                } catch (EOFException e) {
                    break;
                }
                if (checksum(buf, len) != sum) break;
                ai.buf = buf;
                ai.pos = 0;
                ai.limit = len;
                Mutation m;
                try {
                    m = codec.read(rec);
                } catch (IOException e) {
                    break;
                }
                into.apply(m, now);
                good += 8 + len;
                n++;
            }
        }
        return new long[] {n, good};
    }

    /**
     * The bytes after the last good frame up to the last non-zero byte: a torn
     * frame. The zeros after it are the preallocated journal, not damage.
     */
    private long tornTail(long good) throws IOException {
        long size = journal.size();
        long last = good;
        ByteBuffer b = ByteBuffer.allocate(64 << 10);
        for (long pos = good; pos < size; ) {
            b.clear();
            int r = journal.read(b, pos);
            if (r <= 0) break;
            for (int i = 0; i < r; i++) if (b.get(i) != 0) last = pos + i + 1;
            pos += r;
        }
        return last - good;
    }

    private int checksum(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    // ---- appending -------------------------------------------------------------------------

    /** Encodes {@code m} as the journal would, into nothing: loads and links the codec before the first real change. */
    public static void warmUp(Mutation m) {
        try {
            MutationCodec.write(new java.io.DataOutputStream(java.io.OutputStream.nullOutputStream()), m);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A growable byte buffer. */
    private static final class Buf extends OutputStream {
        byte[] b = new byte[1 << 16];
        int n;

        @Override
        public void write(int x) {
            if (n == b.length) b = Arrays.copyOf(b, b.length * 2);
            b[n++] = (byte) x;
        }

        @Override
        public void write(byte[] src, int off, int len) {
            if (n + len > b.length) b = Arrays.copyOf(b, Math.max(b.length * 2, n + len));
            System.arraycopy(src, off, b, n, len);
            n += len;
        }

        void writeInt(int v) {
            write(v >>> 24);
            write(v >>> 16);
            write(v >>> 8);
            write(v);
        }

        int size() {
            return n;
        }
    }

    /**
     * Buffers one change and returns its sequence number, for
     * {@link #awaitDurable}. Call it in the order the changes were made.
     */
    public long append(Mutation m) {
        lock.lock();
        try {
            frame.n = 0;
            MutationCodec.write(frameOut, m);
            crc.reset();
            crc.update(frame.b, 0, frame.n);
            pending.writeInt(frame.n);
            pending.writeInt((int) crc.getValue());
            pending.write(frame.b, 0, frame.n);
            return ++appended;
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + m, e);
        } finally {
            lock.unlock();
        }
    }

    /** The sequence number of the last buffered change. */
    public long lastSequence() {
        lock.lock();
        try {
            return appended;
        } finally {
            lock.unlock();
        }
    }

    /** Callers waiting for one fsync: those of the round in flight, or of the next round. */
    private static final class Round {
        final Condition done;
        long upto;

        Round(Condition done) {
            this.done = done;
        }
    }

    /**
     * Returns once every change up to {@code seq} is on disk (fsync'd).
     *
     * <p>A caller whose change is covered by the fsync in flight waits on that
     * round alone; one whose change came later waits on the next round, whose
     * first waiter (or the first caller after the fsync) becomes the leader:
     * it takes everything buffered by then and writes and fsyncs it without
     * holding the lock. A finished fsync wakes only the callers it covers and
     * one caller of the next round, not every waiter (with hundreds of
     * concurrent callers on two cores, waking all of them each round cost
     * more than the fsync).
     */
    public void awaitDurable(long seq) throws IOException {
        lock.lock();
        try {
            while (durable < seq) {
                if (failure != null) throw new IOException("journal write failed earlier; changes after it are not durable", failure);
                if (flushing) {
                    Round r = seq <= inflight.upto ? inflight : next;
                    r.done.awaitUninterruptibly();
                    continue;
                }
                flushing = true;
                Round round = next;
                round.upto = appended;
                inflight = round;
                next = new Round(lock.newCondition());
                Buf out = pending;
                pending = spare;
                spare = out;
                long at = journalBytes;
                lock.unlock();
                IOException err = null;
                try {
                    if (at + out.n > allocated) preallocate(at + out.n);
                    ByteBuffer bb = ByteBuffer.wrap(out.b, 0, out.n);
                    long pos = at;
                    while (bb.hasRemaining()) pos += journal.write(bb, pos);
                    journal.force(false);
                } catch (IOException e) {
                    err = e;
                } finally {
                    lock.lock();
                }
                journalBytes += out.n;
                out.n = 0;
                flushing = false;
                if (err != null) {
                    failure = err;
                    next.done.signalAll();
                } else {
                    if (round.upto > durable) durable = round.upto;
                    next.done.signal(); // one caller of the next round leads it
                }
                round.done.signalAll();
                flushed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Grows the journal with zeros to {@code PREALLOCATE} bytes past {@code need}
     * (written, not fallocated: an unwritten extent would make the next
     * fdatasync write metadata again). Made durable by the caller's next force.
     */
    private void preallocate(long need) throws IOException {
        long to = (need + PREALLOCATE) & ~(long) (PREALLOCATE - 1);
        for (long pos = allocated; pos < to; ) {
            ByteBuffer z = ByteBuffer.wrap(ZEROS, 0, (int) Math.min(ZEROS.length, to - pos));
            while (z.hasRemaining()) pos += journal.write(z, pos);
        }
        allocated = to;
    }

    // ---- compaction ------------------------------------------------------------------------

    /**
     * Writes a snapshot of {@code set} and empties the journal. The caller
     * must hold the table lock (no change may happen meanwhile); changes
     * buffered but not yet fsync'd become durable through the snapshot.
     */
    public void snapshot(TableSet set) throws IOException {
        lock.lock();
        try {
            while (flushing) flushed.awaitUninterruptibly();
            Path tmp = dir.resolve(SNAPSHOT + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20))) {
                out.writeLong(MAGIC);
                Buf rec = new Buf();
                DataOutputStream recOut = new DataOutputStream(rec);
                IOException[] err = {null};
                for (AddressTable t : set.tables()) {
                    writeFrame(out, rec, recOut, new Mutation.Create(t.name(), t.flags(), t.cleared()));
                    t.forEachEntry(e -> {
                        if (err[0] != null) return;
                        try {
                            writeFrame(out, rec, recOut, new Mutation.Add(t.name(), e.prefix(), e.negated(), e.cleared(), e.expires(), e.origin()));
                        } catch (IOException x) {
                            err[0] = x;
                        }
                    });
                    if (err[0] != null) throw err[0];
                }
                rec.n = 0;
                rec.write(END);
                out.writeInt(1);
                out.writeInt(checksum(rec.b, 1));
                out.write(rec.b, 0, 1);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + tmp + " atomically", e);
            }
            syncDir(dir);
            snapshotBytes = Files.size(dir.resolve(SNAPSHOT));
            journal.truncate(0);
            journal.position(0);
            journal.force(true);
            journalBytes = 0;
            allocated = 0;
            pending.n = 0;
            durable = appended;
            flushed.signalAll();
            next.done.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void writeFrame(DataOutputStream out, Buf rec, DataOutputStream recOut, Mutation m) throws IOException {
        rec.n = 0;
        MutationCodec.write(recOut, m);
        out.writeInt(rec.n);
        out.writeInt(checksum(rec.b, rec.n));
        out.write(rec.b, 0, rec.n);
    }

    private static void syncDir(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems refuse fsync on a directory; the rename is still atomic
        }
    }

    /** Makes everything buffered durable and closes the journal. */
    @Override
    public void close() throws IOException {
        awaitDurable(lastSequence());
        lock.lock();
        try {
            while (flushing) flushed.awaitUninterruptibly();
            journal.truncate(journalBytes); // the preallocated zeros are not needed by a closed journal
            journal.force(true);
        } finally {
            lock.unlock();
        }
        journal.close();
    }
}
