package dev.palisade.app.daemon.services;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.net.SyslogAppender;
import dev.palisade.app.config.ServicesConf;
import org.slf4j.LoggerFactory;

/**
 * palisade.conf's {@code log syslog ...}: adds logback's SyslogAppender (UDP,
 * RFC 3164) to the root logger next to standard output; closing removes it.
 * {@code log stdout} adds nothing (standard output is always on).
 */
final class SyslogOutput {

    private SyslogOutput() {}

    static AutoCloseable apply(ServicesConf.Log l) {
        if (!l.syslog()) return () -> {};
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext lc)) {
            throw new IllegalStateException("log syslog: logging is not logback; cannot add a syslog destination");
        }
        SyslogAppender a = new SyslogAppender();
        a.setContext(lc);
        a.setName("palisade-syslog");
        a.setSyslogHost(l.host());
        a.setPort(l.port());
        a.setFacility(l.facility());
        a.setSuffixPattern("palisaded[" + ProcessHandle.current().pid() + "]: %logger{0}: %msg");
        a.start();
        if (!a.isStarted()) throw new IllegalStateException("log syslog: cannot send to " + l.host() + ":" + l.port());
        Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(a);
        LoggerFactory.getLogger("palisaded").info("logging to syslog at {}:{} (facility {})", l.host(), l.port(),
                l.facility().toLowerCase(java.util.Locale.ROOT));
        return () -> {
            root.detachAppender(a);
            a.stop();
        };
    }
}
