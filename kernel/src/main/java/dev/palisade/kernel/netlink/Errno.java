package dev.palisade.kernel.netlink;

/** Linux errno numbers and names (asm-generic/errno-base.h, errno.h), for messages such as {@code EEXIST}. */
public final class Errno {

    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, EBADF = 9, EAGAIN = 11,
            ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, ENFILE = 23,
            EMFILE = 24, ENOSPC = 28, ERANGE = 34, EMSGSIZE = 90, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95,
            EAFNOSUPPORT = 97, EADDRINUSE = 98, ENOBUFS = 105, ETIMEDOUT = 110, ECONNREFUSED = 111, ENOTSUP = 95;

    private static final String[] NAMES = new String[134];

    static {
        String[] all = {
            "1 EPERM", "2 ENOENT", "3 ESRCH", "4 EINTR", "5 EIO", "6 ENXIO", "7 E2BIG", "8 ENOEXEC", "9 EBADF",
            "10 ECHILD", "11 EAGAIN", "12 ENOMEM", "13 EACCES", "14 EFAULT", "15 ENOTBLK", "16 EBUSY", "17 EEXIST",
            "18 EXDEV", "19 ENODEV", "20 ENOTDIR", "21 EISDIR", "22 EINVAL", "23 ENFILE", "24 EMFILE", "25 ENOTTY",
            "26 ETXTBSY", "27 EFBIG", "28 ENOSPC", "29 ESPIPE", "30 EROFS", "31 EMLINK", "32 EPIPE", "33 EDOM",
            "34 ERANGE", "35 EDEADLK", "36 ENAMETOOLONG", "38 ENOSYS", "39 ENOTEMPTY", "40 ELOOP", "61 ENODATA",
            "62 ETIME", "71 EPROTO", "74 EBADMSG", "75 EOVERFLOW", "84 EILSEQ", "88 ENOTSOCK", "90 EMSGSIZE",
            "91 EPROTOTYPE", "92 ENOPROTOOPT", "93 EPROTONOSUPPORT", "94 ESOCKTNOSUPPORT", "95 EOPNOTSUPP",
            "97 EAFNOSUPPORT", "98 EADDRINUSE", "99 EADDRNOTAVAIL", "100 ENETDOWN", "101 ENETUNREACH",
            "103 ECONNABORTED", "104 ECONNRESET", "105 ENOBUFS", "110 ETIMEDOUT", "111 ECONNREFUSED",
            "113 EHOSTUNREACH", "114 EALREADY", "115 EINPROGRESS", "122 EDQUOT", "125 ECANCELED",
        };
        for (String s : all) {
            int sp = s.indexOf(' ');
            NAMES[Integer.parseInt(s.substring(0, sp))] = s.substring(sp + 1);
        }
    }

    private Errno() {}

    /** {@code EEXIST} for 17; {@code errno 200} for a number without a name. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e] : "errno " + e;
    }
}
