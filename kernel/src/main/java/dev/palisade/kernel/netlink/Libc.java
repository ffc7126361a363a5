package dev.palisade.kernel.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few libc calls Palisade needs, bound with the FFM API (no JNI). Each
 * method returns the call's result, or throws {@link ErrnoException} naming the
 * call and the errno (captured right after the call with
 * {@code Linker.Option.captureCallState("errno")}, so nothing the JVM does in
 * between can overwrite it).
 */
@SuppressWarnings("restricted")
public final class Libc {

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_NO_ENOBUFS = 5;
    public static final int NETLINK_CAP_ACK = 10;
    public static final int NETLINK_EXT_ACK = 11;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final long SIOCGIFNAME = 0x8910;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = bind("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDTO = bind("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = bind("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = bind("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETNS = bind("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LIBC.find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));

    private Libc() {}

    private static MethodHandle bind(String name, FunctionDescriptor fd) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(sym, fd, Linker.Option.captureCallState("errno"));
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    public static int socket(int domain, int type, int protocol) throws ErrnoException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) SOCKET.invokeExact(st, domain, type, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("socket", errno(st));
        return r;
    }

    public static void bind(int fd, MemorySegment addr, int len) throws ErrnoException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) BIND.invokeExact(st, fd, addr, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("bind", errno(st));
    }

    public static void getsockname(int fd, MemorySegment addr, MemorySegment lenp) throws ErrnoException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) GETSOCKNAME.invokeExact(st, fd, addr, lenp);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("getsockname", errno(st));
    }

    /** sendto(2) to a netlink address; returns bytes sent. */
    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) throws ErrnoException {
        MemorySegment st = STATE.get();
        long r;
        try {
            r = (long) SENDTO.invokeExact(st, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("sendto", errno(st));
        return r;
    }

    /** recvfrom(2) without a source address; returns the byte count, or -errno (EAGAIN, EINTR, ENOBUFS are ordinary). */
    public static long recv(int fd, MemorySegment buf, long len, int flags) {
        MemorySegment st = STATE.get();
        long r;
        try {
            r = (long) RECVFROM.invokeExact(st, fd, buf, len, flags, MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return r < 0 ? -errno(st) : r;
    }

    public static void setsockopt(int fd, int level, int name, int value) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            setsockopt(fd, level, name, v);
        }
    }

    public static void setsockopt(int fd, int level, int name, MemorySegment value) throws ErrnoException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(st, fd, level, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("setsockopt(" + level + "," + name + ")", errno(st));
    }

    public static void close(int fd) {
        MemorySegment st = STATE.get();
        try {
            int r = (int) CLOSE.invokeExact(st, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int open(String path, int flags) throws ErrnoException {
        MemorySegment st = STATE.get();
        int r;
        try (Arena a = Arena.ofConfined()) {
            r = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("open(" + path + ")", errno(st));
        return r;
    }

    public static void setns(int fd, int nstype) throws ErrnoException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) SETNS.invokeExact(st, fd, nstype);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) throw new ErrnoException("setns", errno(st));
    }

    /**
     * The name of interface {@code index} in the network namespace of socket
     * {@code fd} (ioctl SIOCGIFNAME), or null when there is none.
     */
    public static String ifName(int fd, int index) {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(40);
            ifr.set(JAVA_INT, 16, index);
            int r = (int) IOCTL.invokeExact(st, fd, SIOCGIFNAME, ifr);
            if (r < 0) return null;
            return ifr.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static final ValueLayout.OfInt INT = JAVA_INT;
}
