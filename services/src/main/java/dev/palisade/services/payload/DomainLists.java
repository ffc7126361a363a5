package dev.palisade.services.payload;

import dev.palisade.core.divert.DiverterConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds a {@link DomainList} from a diverter block: inline rules
 * ({@code name example.com *.ads.example}) and files of rules, one per
 * line, {@code #} comments and blank lines ignored. A bad rule is an error
 * naming the block line, or the file and its line.
 */
public final class DomainLists {

    private DomainLists() {}

    public static DomainList from(DiverterConfig c, String inlineKey, String fileKey) {
        DomainList d = new DomainList();
        addTo(d, c, inlineKey, fileKey);
        return d;
    }

    public static void addTo(DomainList d, DiverterConfig c, String inlineKey, String fileKey) {
        for (DiverterConfig.Entry e : c.entries()) {
            if (e.key().equals(inlineKey)) {
                c.expectArgs(e, 1, Integer.MAX_VALUE);
                for (String r : e.args()) {
                    try {
                        d.add(r);
                    } catch (IllegalArgumentException x) {
                        throw c.error(e, x.getMessage());
                    }
                }
            } else if (fileKey != null && e.key().equals(fileKey)) {
                c.expectArgs(e, 1, 1);
                Path p = Path.of(e.args().getFirst());
                List<String> lines;
                try {
                    lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                } catch (IOException x) {
                    throw c.error(e, "cannot read " + p + ": " + x);
                }
                for (int i = 0; i < lines.size(); i++) {
                    String l = lines.get(i);
                    int hash = l.indexOf('#');
                    if (hash >= 0) l = l.substring(0, hash);
                    l = l.strip();
                    if (l.isEmpty()) continue;
                    try {
                        d.add(l);
                    } catch (IllegalArgumentException x) {
                        throw c.error(e, p + ":" + (i + 1) + ": " + x.getMessage());
                    }
                }
            }
        }
    }
}
