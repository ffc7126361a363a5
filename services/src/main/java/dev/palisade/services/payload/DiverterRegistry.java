package dev.palisade.services.payload;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterConfigException;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.DiverterProvider;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds {@link DiverterProvider}s and turns {@code diverter} blocks into
 * diverters. Built-in providers come from the class path; a block with a
 * {@code jar "PATH"} line takes its provider from that jar, loaded once per
 * path in its own {@link URLClassLoader} (parent: Palisade's loader, so the
 * jar sees the {@code dev.palisade.core.divert} API and nothing of its own
 * replaces it).
 *
 * <p>{@link #createAll} checks every block and reports every error before
 * it returns anything: a configuration with one bad block creates no
 * diverter at all.
 */
public final class DiverterRegistry implements AutoCloseable {

    private final Map<String, DiverterProvider> builtIn;
    private final Map<Path, Map<String, DiverterProvider>> jars = new HashMap<>();
    private final List<URLClassLoader> loaders = new ArrayList<>();

    private DiverterRegistry(Map<String, DiverterProvider> builtIn) {
        this.builtIn = builtIn;
    }

    /** The providers on {@code loader}'s class path (the built-in diverters when Palisade's own loader). */
    public static DiverterRegistry load(ClassLoader loader) {
        return new DiverterRegistry(providers(ServiceLoader.load(DiverterProvider.class, loader), "class path"));
    }

    /** The providers on Palisade's own class path. */
    public static DiverterRegistry builtIn() {
        return load(DiverterRegistry.class.getClassLoader());
    }

    private static Map<String, DiverterProvider> providers(ServiceLoader<DiverterProvider> sl, String where) {
        Map<String, DiverterProvider> m = new TreeMap<>();
        try {
            for (DiverterProvider p : sl) {
                DiverterProvider old = m.putIfAbsent(p.name(), p);
                if (old != null && old.getClass() != p.getClass()) {
                    throw new DiverterConfigException(where + ": two diverter providers named \"" + p.name() + "\": "
                            + old.getClass().getName() + " and " + p.getClass().getName());
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new DiverterConfigException(where + ": cannot load a diverter provider: " + e.getMessage());
        }
        return m;
    }

    /** The built-in providers by name, in name order. */
    public Map<String, DiverterProvider> providers() {
        return java.util.Collections.unmodifiableMap(builtIn);
    }

    /** The providers of one jar, loaded on first use. */
    public synchronized Map<String, DiverterProvider> providersIn(Path jar) {
        Path p = jar.toAbsolutePath().normalize();
        Map<String, DiverterProvider> m = jars.get(p);
        if (m != null) return m;
        if (!Files.isRegularFile(p)) throw new DiverterConfigException("jar " + jar + ": no such file");
        URL url;
        try {
            url = p.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new DiverterConfigException("jar " + jar + ": " + e.getMessage());
        }
        URLClassLoader cl = new URLClassLoader("diverter-jar:" + p.getFileName(), new URL[] {url},
                DiverterRegistry.class.getClassLoader());
        loaders.add(cl);
        Map<String, DiverterProvider> found = new TreeMap<>();
        // Only the jar's own providers, not the parent's built-ins again.
        for (ServiceLoader.Provider<DiverterProvider> sp : ServiceLoader.load(DiverterProvider.class, cl).stream().toList()) {
            if (sp.type().getClassLoader() == cl) {
                DiverterProvider dp;
                try {
                    dp = sp.get();
                } catch (ServiceConfigurationError e) {
                    throw new DiverterConfigException("jar " + jar + ": cannot load a diverter provider: " + e.getMessage());
                }
                found.put(dp.name(), dp);
            }
        }
        if (found.isEmpty()) {
            throw new DiverterConfigException("jar " + jar + ": no diverter provider in it (expected META-INF/services/"
                    + DiverterProvider.class.getName() + ")");
        }
        jars.put(p, found);
        return found;
    }

    /** The provider for one block: from its {@code jar}, else built in. */
    public DiverterProvider providerFor(DiverterConfig config) {
        DiverterConfig.Entry jar = config.one(DiverterConfig.JAR);
        if (jar != null) {
            config.expectArgs(jar, 1, 1);
            Map<String, DiverterProvider> m;
            try {
                m = providersIn(Path.of(jar.args().getFirst()));
            } catch (DiverterConfigException e) {
                throw config.error(jar, e.getMessage());
            }
            DiverterProvider p = m.get(config.type());
            if (p == null) throw config.error(jar, "the jar provides no diverter \"" + config.type() + "\" (it provides " + m.keySet() + ")");
            return p;
        }
        DiverterProvider p = builtIn.get(config.type());
        if (p == null) {
            throw config.error("no diverter of this type; built in: " + builtIn.keySet() + " (others need a jar \"PATH\" line)");
        }
        return p;
    }

    /** One diverter for one block. */
    public Diverter create(DiverterConfig config, DiverterContext context) {
        return providerFor(config).create(config, context);
    }

    /**
     * A diverter per block, keyed by divert port, or one exception with
     * every error (two blocks on one port is an error).
     */
    public Map<Integer, Diverter> createAll(List<DiverterConfig> configs, DiverterContext context) {
        List<String> errors = new ArrayList<>();
        Map<Integer, Diverter> out = new LinkedHashMap<>();
        Map<Integer, DiverterConfig> byPort = new HashMap<>();
        for (DiverterConfig c : configs) {
            DiverterConfig first = byPort.putIfAbsent(c.port(), c);
            if (first != null) {
                errors.add(c.source() + ":" + c.line() + ": diverter \"" + c.type() + "\": port " + c.port()
                        + " is already used by diverter \"" + first.type() + "\" at line " + first.line());
                continue;
            }
            try {
                out.put(c.port(), create(c, context));
            } catch (DiverterConfigException e) {
                errors.addAll(e.errors());
            } catch (RuntimeException e) {
                errors.add(c.source() + ":" + c.line() + ": diverter \"" + c.type() + "\": " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) throw new DiverterConfigException(errors);
        return out;
    }

    /** Closes the jars' class loaders (their diverters must no longer be used). */
    @Override
    public synchronized void close() throws IOException {
        for (URLClassLoader cl : loaders) cl.close();
        loaders.clear();
        jars.clear();
    }
}
