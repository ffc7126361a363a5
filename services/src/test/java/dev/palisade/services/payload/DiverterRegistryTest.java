package dev.palisade.services.payload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterConfigException;
import dev.palisade.core.divert.DiverterConfigParser;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.PayloadDiverter;
import dev.palisade.core.divert.Verdict;
import dev.palisade.services.payload.redact.RedactDiverter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiverterRegistryTest {

    @TempDir
    Path tmp;

    @Test
    void builtInProvidersAreFound() {
        try (DiverterRegistry r = DiverterRegistry.builtIn()) {
            assertEquals(List.of("dns-rewrite", "redact", "stats", "urlfilter"), List.copyOf(r.providers().keySet()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void createAllReportsEveryErrorAndCreatesNothing() {
        List<DiverterConfig> cs = DiverterConfigParser.parse("""
                diverter "redact" port 700 { pattern card mask }
                diverter "stats" port 700 { }
                diverter "nosuch" port 701 { }
                diverter "redact" port 702 { pattern card shout }
                """, "palisade.conf");
        var e = assertThrows(DiverterConfigException.class, () -> DiverterRegistry.builtIn().createAll(cs, DiverterContext.none()));
        assertEquals(3, e.errors().size(), e.getMessage());
        assertEquals("palisade.conf:2: diverter \"stats\": port 700 is already used by diverter \"redact\" at line 1", e.errors().get(0));
        assertTrue(e.errors().get(1).startsWith("palisade.conf:3: diverter \"nosuch\": no diverter of this type; built in: [dns-rewrite, redact, stats, urlfilter]"),
                e.errors().get(1));
        assertTrue(e.errors().get(2).startsWith("palisade.conf:4: diverter \"redact\": pattern: expected one of alert, mask"), e.errors().get(2));
        Map<Integer, Diverter> ok = DiverterRegistry.builtIn().createAll(List.of(cs.getFirst()), DiverterContext.none());
        assertInstanceOf(RedactDiverter.class, ok.get(700));
    }

    /** Compiles a provider into a jar, as a user's build would, and loads it by the jar line. */
    @Test
    void providerFromAJarNamedInTheBlock() throws Exception {
        Path src = tmp.resolve("src/org/acme");
        Files.createDirectories(src);
        Files.writeString(src.resolve("ZapProvider.java"), """
                package org.acme;
                import dev.palisade.core.divert.*;
                public final class ZapProvider implements DiverterProvider {
                    public String name() { return "zap"; }
                    public Diverter create(DiverterConfig c, DiverterContext ctx) {
                        c.checkKeys(java.util.Set.of("byte"));
                        int b = c.integer("byte", 'z', 0, 255);
                        return new PayloadDiverter("zap") {
                            protected Verdict inspect(PacketView p) {
                                for (int i = 0; i < p.payloadLength(); i++) p.data()[p.payloadOffset() + i] = (byte) b;
                                return p.rewritten();
                            }
                        };
                    }
                }
                """);
        Path classes = tmp.resolve("classes");
        Files.createDirectories(classes);
        String cp = Path.of(PayloadDiverter.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", cp, src.resolve("ZapProvider.java").toString());
        assertEquals(0, rc, "javac");
        Path jar = tmp.resolve("zap.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            try (var files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    out.write(Files.readAllBytes(f));
                    out.closeEntry();
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/dev.palisade.core.divert.DiverterProvider"));
            out.write("org.acme.ZapProvider\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        try (DiverterRegistry r = DiverterRegistry.builtIn()) {
            DiverterConfig c = DiverterConfigParser.parseOne(
                    "diverter \"zap\" port 750 {\n jar \"" + jar + "\"\n byte 65\n}", "palisade.conf");
            PayloadDiverter d = (PayloadDiverter) r.create(c, DiverterContext.none());
            assertEquals("zap", d.name());
            byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(Pkts.udp("10.0.0.1", 1, "10.0.0.2", 2, "hello"))).packet();
            assertEquals("AAAAA", Pkts.payload(out));
            // The jar's loader sees Palisade's API classes, not copies of them.
            assertSame(PayloadDiverter.class, d.getClass().getSuperclass());

            DiverterConfig wrongType = DiverterConfigParser.parseOne("diverter \"zip\" port 751 {\n jar \"" + jar + "\"\n}", "palisade.conf");
            var e = assertThrows(DiverterConfigException.class, () -> r.create(wrongType, DiverterContext.none()));
            assertEquals("palisade.conf:2: diverter \"zip\": jar: the jar provides no diverter \"zip\" (it provides [zap])", e.getMessage());
            DiverterConfig missing = DiverterConfigParser.parseOne("diverter \"zap\" port 752 { jar \"/nonexistent/x.jar\" }", "palisade.conf");
            e = assertThrows(DiverterConfigException.class, () -> r.create(missing, DiverterContext.none()));
            assertEquals("palisade.conf:1: diverter \"zap\": jar: jar /nonexistent/x.jar: no such file", e.getMessage());
        }
    }

    /** The example of docs/diverters.md (examples/diverter-example), built into a jar and loaded as the docs say. */
    @Test
    void theDocumentedExampleLoadsAndWorks() throws Exception {
        Path example = Path.of("..", "examples", "diverter-example").toAbsolutePath().normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(example), "no examples/diverter-example at " + example);
        Path classes = tmp.resolve("ex-classes");
        Files.createDirectories(classes);
        String cp = Path.of(PayloadDiverter.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> args = new java.util.ArrayList<>(List.of("-d", classes.toString(), "-cp", cp));
        try (var files = Files.walk(example.resolve("src/main/java"))) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
        }
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new)), "javac");
        Path jar = tmp.resolve("diverter-example-1.0.jar");
        Path resources = example.resolve("src/main/resources");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path root : List.of(classes, resources)) {
                try (var files = Files.walk(root)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        out.putNextEntry(new JarEntry(root.relativize(f).toString().replace('\\', '/')));
                        out.write(Files.readAllBytes(f));
                        out.closeEntry();
                    }
                }
            }
        }
        try (DiverterRegistry r = DiverterRegistry.builtIn()) {
            DiverterConfig c = DiverterConfigParser.parseOne("""
                    diverter "keyword" port 710 {
                        jar "%s"
                        word "forbidden" "secret"
                    }
                    """.formatted(jar), "palisade.conf");
            PayloadDiverter d = (PayloadDiverter) r.create(c, DiverterContext.none());
            assertSame(Verdict.DROP, d.judge(Pkts.tcp("10.0.0.1", 1, "10.0.0.2", 8080, 1, "a secret here")));
            byte[] out = assertInstanceOf(Verdict.Rewrite.class, d.judge(Pkts.udp("10.0.0.1", 1, "10.0.0.2", 8080, "the colour red"))).packet();
            assertEquals("the color  red", Pkts.payload(out));
            assertTrue(dev.palisade.core.divert.PacketView.decode(out).checksumsValid());
            assertSame(Verdict.PASS, d.judge(Pkts.udp("10.0.0.1", 1, "10.0.0.2", 8080, "nothing to see")));
            DiverterConfig bad = DiverterConfigParser.parseOne("diverter \"keyword\" port 711 {\n jar \"" + jar + "\"\n words x\n}", "palisade.conf");
            var e = assertThrows(DiverterConfigException.class, () -> r.create(bad, DiverterContext.none()));
            assertEquals("palisade.conf:3: diverter \"keyword\": unknown setting \"words\", expected one of [word]", e.getMessage());
        }
    }
}
