package dev.palisade.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer targets: the packet decoder (with checksums, builders and the state
 * table on its output) and the capture reader never throw on any bytes.
 * Regression mode in every build; fuzz with
 * {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=DecoderFuzzTest}.
 */
class DecoderFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void decoderSurvivesAnyBytes(byte[] data) {
        BadInputTest.exercisePacket(data);
    }

    @FuzzTest(maxDuration = "10s")
    void captureReaderSurvivesAnyBytes(byte[] data) {
        BadInputTest.exerciseCapture(data);
    }
}
