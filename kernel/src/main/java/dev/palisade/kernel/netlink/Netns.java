package dev.palisade.kernel.netlink;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Network namespaces by name ({@code ip netns} names: {@code /var/run/netns/NAME}).
 *
 * <p>Why per thread: setns(2) with {@code CLONE_NEWNET} moves only the calling
 * thread, and a socket belongs for life to the namespace it was created in.
 * So a socket made on a thread that entered namespace X works in X from any
 * thread afterwards; the rest of the JVM stays where it was.
 */
public final class Netns {

    private Netns() {}

    /** Moves the calling thread into namespace {@code name}; null or empty means stay. */
    public static void enter(String name) throws ErrnoException {
        if (name == null || name.isEmpty()) return;
        String path = name.startsWith("/") ? name : "/var/run/netns/" + name;
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        try {
            Libc.setns(fd, Libc.CLONE_NEWNET);
        } finally {
            Libc.close(fd);
        }
    }

    /**
     * Runs {@code task} on a fresh platform thread inside namespace
     * {@code name} (null: the current one) and returns its result; sockets it
     * creates stay in that namespace.
     */
    public static <T> T call(String name, Callable<T> task) throws Exception {
        if (name == null || name.isEmpty()) return task.call();
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).start(() -> {
            try {
                enter(name);
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        } finally {
            t.join();
        }
    }
}
