package dev.hayate.http;

import static dev.hayate.http.TrackerHttpTest.announce;
import static dev.hayate.http.TrackerHttpTest.decode;
import static dev.hayate.http.TrackerHttpTest.enc;
import static dev.hayate.http.TrackerHttpTest.newHash;
import static dev.hayate.http.TrackerHttpTest.peerId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import dev.hayate.protocol.Bencode;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code scrape.full} end to end: where a scrape without info_hash is answered, what it holds (compared with the
 * per-hash scrape of every torrent, decoded strictly), gzip and plain, and one build per cache period.
 */
class FullScrapeHttpTest {
    private static final Map<String, String> GZIP = Map.of("Accept-Encoding", "gzip, deflate");

    private Tracker tracker;
    private final List<byte[]> hashes = new ArrayList<>();

    @AfterEach
    void stop() {
        if (tracker != null) {
            tracker.close();
        }
    }

    private void start(String mode) {
        tracker = TestTrackers.start(Map.of("scrape.full", mode, "scrape.full_cache_seconds", "3600"));
    }

    private InetSocketAddress http() {
        return tracker.httpAddresses().get(0);
    }

    private InetSocketAddress admin() {
        return new InetSocketAddress("127.0.0.1", tracker.adminAddress().getPort());
    }

    /** 20 torrents with different counts: i seeders, i % 3 + 1 leechers, and one completed download every 4th. */
    private void fill() throws Exception {
        try (RawHttpClient c = new RawHttpClient(http())) {
            int peer = 0;
            for (int i = 0; i < 20; i++) {
                byte[] hash = newHash();
                hashes.add(hash);
                for (int s = 0; s < i; s++) {
                    ok(c, announce(hash, peerId(++peer), 10_000 + peer, 0, ""));
                }
                for (int l = 0; l < i % 3 + 1; l++) {
                    ok(c, announce(hash, peerId(++peer), 10_000 + peer, 500, ""));
                }
                if (i % 4 == 0) {
                    ok(c, announce(hash, peerId(peer), 10_000 + peer, 0, "&event=completed"));
                }
            }
        }
    }

    private static void ok(RawHttpClient c, String query) throws Exception {
        assertNull(decode(c.get(query)).get("failure reason"));
    }

    private static byte[] gunzip(byte[] gzip) throws Exception {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }

    private static RawHttpClient.Response get(InetSocketAddress server, String path, Map<String, String> headers)
            throws Exception {
        try (RawHttpClient c = new RawHttpClient(server)) {
            return c.request("GET", path, headers);
        }
    }

    /** The full scrape must say what the per-hash scrape says, torrent by torrent, and nothing more. */
    private void assertMatchesPerHashScrapes(byte[] fullScrapeBody) throws Exception {
        Map<String, Object> files =
                Bencode.dict(Bencode.dict(Bencode.decode(fullScrapeBody)).get("files"));
        assertEquals(hashes.size(), files.size());
        try (RawHttpClient c = new RawHttpClient(http())) {
            for (byte[] hash : hashes) {
                Map<String, Object> one = Bencode.dict(
                        decode(c.get("/scrape?info_hash=" + enc(hash))).get("files"));
                Object expected = one.get(Bencode.string(hash));
                Map<String, Object> actual = Bencode.dict(files.get(Bencode.string(hash)));
                assertEquals(expected, actual);
            }
        }
        long downloaded = files.values().stream()
                .mapToLong(v -> (Long) Bencode.dict(v).get("downloaded"))
                .sum();
        assertEquals(5, downloaded, "torrents 0, 4, 8, 12, 16 had one completed download each");
    }

    @Test
    void shouldRefuseAScrapeWithoutInfoHashAsBeforeWhenFullScrapeIsOff() throws Exception {
        start("off");
        fill();
        Map<String, Object> d = decode(get(http(), "/scrape", GZIP));
        assertEquals("missing info_hash", Bencode.string(d.get("failure reason")));
        assertEquals(404, get(admin(), "/scrape", GZIP).status());
    }

    @Test
    void shouldServeTheFullScrapeOnTheAdminListenerOnlyWhenModeIsAdmin() throws Exception {
        start("admin");
        fill();
        assertEquals(
                "missing info_hash",
                Bencode.string(decode(get(http(), "/scrape", GZIP)).get("failure reason")),
                "the public port keeps refusing it");
        RawHttpClient.Response gz = get(admin(), "/scrape", GZIP);
        assertEquals(200, gz.status());
        assertEquals("gzip", gz.header("Content-Encoding"));
        assertEquals("Accept-Encoding", gz.header("Vary"));
        byte[] plain = gunzip(gz.body());
        assertMatchesPerHashScrapes(plain);
        RawHttpClient.Response identity = get(admin(), "/scrape", Map.of());
        assertNull(identity.header("Content-Encoding"));
        assertArrayEquals(plain, identity.body(), "decompressed on the fly for a client without gzip");
        assertEquals(
                400,
                get(admin(), "/scrape?info_hash=" + enc(hashes.get(0)), GZIP).status());
    }

    @Test
    void shouldServeTheFullScrapeOnTheTrackerPortWhenModeIsPublic() throws Exception {
        start("public");
        fill();
        RawHttpClient.Response gz = get(http(), "/scrape", GZIP);
        assertEquals("gzip", gz.header("Content-Encoding"));
        byte[] plain = gunzip(gz.body());
        assertMatchesPerHashScrapes(plain);
        RawHttpClient.Response refused = get(http(), "/scrape", Map.of("Accept-Encoding", "gzip;q=0, identity"));
        assertNull(refused.header("Content-Encoding"));
        assertArrayEquals(plain, refused.body());
        // a scrape with info_hash is unchanged
        Map<String, Object> one = decode(get(http(), "/scrape?info_hash=" + enc(hashes.get(3)), GZIP));
        assertEquals(1, Bencode.dict(one.get("files")).size());
    }

    @Test
    void shouldBuildOnceWhenManyRequestsComeWithinTheCachePeriod() throws Exception {
        start("public");
        fill();
        byte[] first = null;
        for (int i = 0; i < 25; i++) {
            RawHttpClient.Response r = get(http(), "/scrape", i % 2 == 0 ? GZIP : Map.of());
            byte[] plain = i % 2 == 0 ? gunzip(r.body()) : r.body();
            if (first == null) {
                first = plain;
            }
            assertArrayEquals(first, plain);
            // new announces within the period are not in the cached snapshot
            try (RawHttpClient c = new RawHttpClient(http())) {
                ok(c, announce(hashes.get(0), peerId(5_000 + i), 20_000 + i, 0, ""));
            }
        }
        assertEquals(1.0, TestTrackers.metric(tracker, "hayate_full_scrape_builds_total"));
        assertEquals(20.0, TestTrackers.metric(tracker, "hayate_full_scrape_torrents"));
        assertTrue(TestTrackers.metric(tracker, "hayate_full_scrape_bytes") > 0);
    }

    @Test
    void shouldAcceptGzipOnlyWhenTheClientAdmitsIt() {
        assertTrue(FullScrapeHandler.acceptsGzip(values("gzip")));
        assertTrue(FullScrapeHandler.acceptsGzip(values("deflate, GZIP;q=0.5")));
        assertTrue(FullScrapeHandler.acceptsGzip(values("*")));
        assertFalse(FullScrapeHandler.acceptsGzip(values("gzip;q=0")));
        assertFalse(FullScrapeHandler.acceptsGzip(values("*, gzip;q=0")));
        assertFalse(FullScrapeHandler.acceptsGzip(values("identity")));
        assertFalse(FullScrapeHandler.acceptsGzip(values("br")));
        assertFalse(FullScrapeHandler.acceptsGzip(null));
    }

    private static io.undertow.util.HeaderValues values(String value) {
        HeaderMap m = new HeaderMap();
        m.put(Headers.ACCEPT_ENCODING, value);
        return m.get(Headers.ACCEPT_ENCODING);
    }
}
