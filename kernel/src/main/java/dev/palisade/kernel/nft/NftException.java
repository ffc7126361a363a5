package dev.palisade.kernel.nft;

/** {@code nft -f} refused a program, or a program touched something other than Palisade's table. */
public final class NftException extends Exception {

    private final String nftOutput;

    public NftException(String message, String nftOutput) {
        super(nftOutput == null || nftOutput.isBlank() ? message : message + ":\n" + nftOutput.strip());
        this.nftOutput = nftOutput;
    }

    /** What nft printed on stderr (its own error lines with carets), or null. */
    public String nftOutput() {
        return nftOutput;
    }
}
