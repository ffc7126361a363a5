package dev.palisade.core.divert;

/**
 * Makes diverters of one kind: the service interface that a diverter jar
 * names in {@code META-INF/services/dev.palisade.core.divert.DiverterProvider}.
 * palisaded finds providers with {@link java.util.ServiceLoader}, on its own
 * class path (the built-in ones) and in the jars named by {@code jar} lines
 * of {@code diverter} blocks in palisade.conf, and calls {@link #create} once
 * per block whose type is {@link #name()}:
 *
 * <pre>
 * diverter "redact" port 700 { pattern card mask; regex "secret-[0-9]+" alert }
 * </pre>
 *
 * <p>A provider must have a public no-argument constructor. {@code create}
 * checks the whole block (see {@link DiverterConfig#checkKeys}) and throws
 * {@link DiverterConfigException} naming the bad line and what was expected;
 * palisaded then loads nothing, as pfctl loads no ruleset with an error.
 */
public interface DiverterProvider {

    /** The type name used in {@code diverter "NAME"} blocks: lower case letters, digits and '-'. */
    String name();

    /** One line for {@code palisade diverters}: what this diverter does. */
    default String description() {
        return "";
    }

    /**
     * A new diverter for one {@code diverter} block.
     *
     * @param config  the block's settings
     * @param context what palisaded offers diverters (packet injection, services)
     * @throws DiverterConfigException when the block is wrong
     */
    Diverter create(DiverterConfig config, DiverterContext context);
}
