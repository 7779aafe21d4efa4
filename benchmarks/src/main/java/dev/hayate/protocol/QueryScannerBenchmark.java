package dev.hayate.protocol;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.URLUtils;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
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
 * Decoding real clients' announce queries (captured in {@code ../shared/protocol/samples}) and scrapes of 1, 10 and
 * 74 hashes: Hayate's {@link QueryScanner} against Undertow's own query-parameter parsing (what
 * {@code getQueryParameters()} would cost, UTF-8 decoding included) and a plain {@link URLDecoder} split.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar QueryScannerBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class QueryScannerBenchmark {

    /** Announce queries exactly as the clients sent them (one per client, from the captured samples). */
    static final Map<String, String> ANNOUNCES = Map.of(
            "aria2",
            "info_hash=%9A%D5%ACb%CE%1E%FB%E1%C8V%E3%AF%B1v%1F%FDxT%2B%F9&peer_id=A2-1-36-0-F%E7%15%FA%BC%0F%D9%8A%AB"
                    + "%AC&uploaded=0&downloaded=0&left=0&compact=1&key=%15%FA%BC%0F%D9%8A%AB%AC&numwant=50"
                    + "&no_peer_id=1&port=51678&event=started&supportcrypto=1",
            "qbittorrent",
            "info_hash=%05lO%a0%e8%9f%17%ae%7c%97%e5)%fa%27I%d2%bf%9f%895&peer_id=-qB4520-E8BCJUUPUe_k&port=51236"
                    + "&uploaded=0&downloaded=0&left=8388608&corrupt=0&key=C9A8AAA4&event=started&numwant=200"
                    + "&compact=1&no_peer_id=1&supportcrypto=1&redundant=0",
            "transmission",
            "info_hash=%9a%d5%acb%ce%1e%fb%e1%c8V%e3%af%b1v%1f%fdxT%2b%f9&peer_id=-TR3000-2ot8n563ujwz&port=51055"
                    + "&uploaded=0&downloaded=0&left=8388608&numwant=80&key=4aa70e68&compact=1&supportcrypto=1"
                    + "&event=started",
            "rtorrent",
            "info_hash=%8F%93%15%B7h%99%3Fum%89%B7%14q%2Cr%06%C8%29%19%05&peer_id=-lt0D80-Rr%D3%B1%94y%F4v%CEzQ%A5"
                    + "&key=46621615&compact=1&port=51508&uploaded=0&downloaded=0&left=0&event=started",
            // Not captured: rtorrent's query plus the BEP 7 address keys (the ip= path, InetText.parseQueryValue),
            // an IPv4 endpoint and a percent-encoded IPv6 (the ipv6 one, read last, wins).
            "rtorrent-ip",
            "info_hash=%8F%93%15%B7h%99%3Fum%89%B7%14q%2Cr%06%C8%29%19%05&peer_id=-lt0D80-Rr%D3%B1%94y%F4v%CEzQ%A5"
                    + "&key=46621615&compact=1&port=51508&uploaded=0&downloaded=0&left=0&event=started"
                    + "&ipv4=192.0.2.7:51508&ipv6=2001%3Adb8%3A0%3A0%3A1%3A2%3A3%3A4",
            // Not captured: one query of load.sh's announce mix (benchmarks/tracker.lua: random 20-byte info_hash
            // and peer_id suffix, upper-case escapes, random 32-bit numbers, numwant=50).
            "wrk-mix",
            "info_hash=%BB%19hh5%09U%A8%F7%B5%01%27%F6%28%F0%8D%F2%E9%EF%7C&peer_id=-qB4650-e%E9X%28K%5E%81%DD%1D%8A"
                    + "%C5%95&port=29825&uploaded=90835006&downloaded=336611363&left=1635683955&key=60D1D943"
                    + "&event=started&numwant=50&compact=1");

    @State(Scope.Thread)
    public static class Announce {
        @Param({"aria2", "qbittorrent", "transmission", "rtorrent", "rtorrent-ip", "wrk-mix"})
        public String client;

        String query;
        final QueryScanner scanner = new QueryScanner(8192);
        final AnnounceRequest request = new AnnounceRequest();

        @Setup
        public void setup() {
            query = ANNOUNCES.get(client);
            if (scanner.scanAnnounce(query, request) != null) {
                throw new IllegalStateException("benchmark input does not scan");
            }
            if (client.endsWith("-ip") && request.ipLength != 16) {
                throw new IllegalStateException("benchmark input's address does not parse");
            }
        }
    }

    @State(Scope.Thread)
    public static class Scrape {
        @Param({"1", "10", "74"})
        public int hashes;

        String query;
        final QueryScanner scanner = new QueryScanner(8192);
        final ScrapeRequest request = new ScrapeRequest(74);

        @Setup
        public void setup() {
            Random r = new Random(7);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < hashes; i++) {
                sb.append(i == 0 ? "" : "&").append("info_hash=");
                for (int b = 0; b < 20; b++) {
                    sb.append('%').append(String.format("%02X", r.nextInt(256)));
                }
            }
            query = sb.toString();
            if (scanner.scanScrape(query, request) != null) {
                throw new IllegalStateException("benchmark input does not scan");
            }
        }
    }

    @Benchmark
    public int announceHayate(Announce a) {
        a.scanner.scanAnnounce(a.query, a.request);
        return a.request.port + a.request.infoHash[7] + a.request.ipLength;
    }

    @Benchmark
    public Object announceUndertowBaseline(Announce a) throws Exception {
        HttpServerExchange exchange = new HttpServerExchange(null);
        URLUtils.parseQueryString(a.query, exchange, "UTF-8", true, 1000);
        Map<String, Deque<String>> p = exchange.getQueryParameters();
        return p.get("info_hash");
    }

    @Benchmark
    public Object announceUrlDecoderBaseline(Announce a) {
        Map<String, String> p = new HashMap<>();
        for (String pair : a.query.split("&")) {
            int eq = pair.indexOf('=');
            p.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.ISO_8859_1));
        }
        return p.get("info_hash").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Benchmark
    public int scrapeHayate(Scrape s) {
        s.scanner.scanScrape(s.query, s.request);
        return s.request.count;
    }

    @Benchmark
    public Object scrapeUndertowBaseline(Scrape s) throws Exception {
        HttpServerExchange exchange = new HttpServerExchange(null);
        URLUtils.parseQueryString(s.query, exchange, "UTF-8", true, 1000);
        return exchange.getQueryParameters().get("info_hash");
    }
}
