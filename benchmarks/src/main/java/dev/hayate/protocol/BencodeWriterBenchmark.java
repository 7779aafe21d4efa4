package dev.hayate.protocol;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Writing responses: an announce with 0, 50 and 200 compact IPv4 peers, one with 50 IPv4 plus 50 IPv6 peers
 * ({@code peers6}), the dictionary model with 50 peers, and a scrape of 74 hashes. The baseline builds the same
 * compact announce with a {@link StringBuilder} and {@code getBytes}, as a straightforward implementation would.
 *
 * <p>Only the methods that take a {@link Sized} state run once per {@code peers} value; {@code announcePeers6}
 * (always 50 + 50 peers) and {@code scrape74} run once, since the parameter would not change their input.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar BencodeWriterBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class BencodeWriterBenchmark {
    /** The announce answers whose size is the parameter: {@code peers} compact IPv4 peers (and their ids). */
    @State(Scope.Thread)
    public static class Sized {
        @Param({"0", "50", "200"})
        public int peers;

        final AnnounceResponse response = new AnnounceResponse(200);

        @Setup
        public void setup() {
            Random r = new Random(11);
            response.complete = 12;
            response.incomplete = 34;
            response.downloaded = 56;
            response.peers4Count = peers;
            r.nextBytes(response.peers4);
        }
    }

    private final AnnounceResponse mixed = new AnnounceResponse(200);
    private final ScrapeRequest scrape = new ScrapeRequest(74);
    private final ScrapeResponse scrapeResponse = new ScrapeResponse(74);
    private final int[] order = new int[74];
    private final byte[] out = new byte[BencodeWriter.maxAnnounceLength(200)];
    private final byte[] externalIp = {(byte) 203, 0, 113, 7};

    @Setup
    public void setup() {
        Random r = new Random(13);
        mixed.complete = 12;
        mixed.incomplete = 34;
        mixed.peers4Count = 50;
        mixed.peers6Count = 50;
        r.nextBytes(mixed.peers4);
        r.nextBytes(mixed.peers6);
        scrape.count = 74;
        r.nextBytes(scrape.infoHashes);
        scrapeResponse.count = 74;
        for (int i = 0; i < 74; i++) {
            scrapeResponse.complete[i] = r.nextInt(10_000);
            scrapeResponse.incomplete[i] = r.nextInt(10_000);
            scrapeResponse.downloaded[i] = r.nextInt(100_000);
        }
    }

    @Benchmark
    public int announceCompact(Sized s) {
        return BencodeWriter.writeAnnounce(s.response, 1800, 900, true, externalIp, 4, out, 0);
    }

    @Benchmark
    public int announcePeers6() {
        return BencodeWriter.writeAnnounce(mixed, 1800, 900, true, externalIp, 4, out, 0);
    }

    @Benchmark
    public int announceDictionaryModel(Sized s) {
        return BencodeWriter.writeAnnounce(s.response, 1800, 900, false, externalIp, 4, out, 0);
    }

    @Benchmark
    public int scrape74() {
        return BencodeWriter.writeScrape(scrape, scrapeResponse, order, out, 0);
    }

    @Benchmark
    public byte[] announceStringBuilderBaseline(Sized s) {
        AnnounceResponse response = s.response;
        int n = response.peers4Count * AnnounceResponse.COMPACT_PEER4_LENGTH;
        StringBuilder sb = new StringBuilder(64 + n);
        sb.append("d8:completei").append(response.complete).append("e10:downloadedi").append(response.downloaded)
                .append("e11:external ip4:");
        for (byte b : externalIp) {
            sb.append((char) (b & 0xFF));
        }
        sb.append("10:incompletei").append(response.incomplete).append("e8:intervali1800e12:min intervali900e5:peers")
                .append(n).append(':');
        for (int i = 0; i < n; i++) {
            sb.append((char) (response.peers4[i] & 0xFF));
        }
        sb.append('e');
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
