package com.example.divert;

import dev.palisade.core.divert.Diverter;
import dev.palisade.core.divert.DiverterConfig;
import dev.palisade.core.divert.DiverterContext;
import dev.palisade.core.divert.DiverterProvider;
import java.util.List;
import java.util.Set;

/**
 * Makes a {@link KeywordDiverter} from a palisade.conf block:
 * <pre>
 * diverter "keyword" port 710 {
 *     jar "/usr/local/lib/palisade/diverter-example-1.0.jar"
 *     word "forbidden" "secret"
 * }
 * </pre>
 */
public final class KeywordProvider implements DiverterProvider {

    @Override
    public String name() {
        return "keyword";
    }

    @Override
    public String description() {
        return "drops packets that contain a listed word";
    }

    @Override
    public Diverter create(DiverterConfig config, DiverterContext context) {
        config.checkKeys(Set.of("word"));
        List<String> words = config.strings("word");
        if (words.isEmpty()) throw config.error("no words: add a line such as word \"secret\"");
        for (DiverterConfig.Entry e : config.all("word")) {
            for (String w : e.args()) {
                if (w.isEmpty()) throw config.error(e, "empty word");
            }
        }
        return new KeywordDiverter(words);
    }
}
