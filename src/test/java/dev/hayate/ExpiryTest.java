package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.protocol.Bencode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Expiry on a running tracker: the scheduled sweep ({@code announce.sweep_interval_seconds}) removes peers not heard
 * from for {@code announce.peer_ttl_seconds}, the scrape shows it, and {@code hayate_peers_expired_total} counts it.
 * Waits are bounded polls: the defaults (60 s sweeps, 3,900 s TTL) would never expire within them.
 */
class ExpiryTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    private static final String HASH = "%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14";
    private static final Duration BOUND = Duration.ofSeconds(30);

    private static byte[] get(Tracker t, String pathAndQuery) throws Exception {
        HttpResponse<byte[]> r = CLIENT.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + t.httpAddresses().get(0).getPort() + pathAndQuery))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static void announce(Tracker t, String peerId, int port, long left) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) Bencode.decode(get(
                t,
                "/announce?info_hash=" + HASH + "&peer_id=" + peerId + "&port=" + port
                        + "&uploaded=0&downloaded=0&compact=1&event=started&left=" + left));
        assertTrue(d.containsKey("interval"), d.toString());
    }

    /** complete + incomplete of the scrape of {@link #HASH}. */
    private static long peersScraped(Tracker t) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) Bencode.decode(get(t, "/scrape?info_hash=" + HASH));
        @SuppressWarnings("unchecked")
        Map<String, Object> files = (Map<String, Object>) d.get("files");
        @SuppressWarnings("unchecked")
        Map<String, Object> counts =
                (Map<String, Object>) files.values().iterator().next();
        return (Long) counts.get("complete") + (Long) counts.get("incomplete");
    }

    @Test
    void shouldDropPeersFromTheScrapeAndCountThemWhenTheirTtlPassesOnARunningTracker() throws Exception {
        try (Tracker t =
                TestTrackers.start(Map.of("announce.peer_ttl_seconds", "1", "announce.sweep_interval_seconds", "1"))) {
            String expired = "hayate_peers_expired_total";
            double expiredBefore = TestTrackers.metric(t, expired);
            announce(t, "-HY0001-expiry000001", 6881, 0);
            announce(t, "-HY0001-expiry000002", 6882, 500);
            assertEquals(2, peersScraped(t));
            assertTrue(TestTrackers.await(BOUND, () -> peersScraped(t) == 0), "scrape still shows peers");
            // The counter is bumped once the sweep returns, just after the store changed.
            assertTrue(
                    TestTrackers.await(BOUND, () -> TestTrackers.metric(t, expired) >= expiredBefore + 2),
                    "hayate_peers_expired_total did not count the two expired peers");
            assertEquals(expiredBefore + 2, TestTrackers.metric(t, expired));
            assertEquals(0, t.store().seederCount() + t.store().leecherCount());
        }
    }

    @Test
    void shouldKeepAPeerForTheConfiguredTtlAndNoLongerWhenSweepsRunEverySecond() throws Exception {
        int ttlSeconds = 4;
        try (Tracker t = TestTrackers.start(Map.of(
                "announce.peer_ttl_seconds", Integer.toString(ttlSeconds), "announce.sweep_interval_seconds", "1"))) {
            long announcedAfterMillis = System.currentTimeMillis();
            announce(t, "-HY0001-expiry000003", 6883, 0);
            assertTrue(TestTrackers.await(BOUND, () -> peersScraped(t) == 0), "never expired");
            long goneAfterMillis = System.currentTimeMillis() - announcedAfterMillis;
            // Sweeps run every second, so only the TTL can have kept the peer this long.
            assertTrue(
                    goneAfterMillis >= ttlSeconds * 1000L,
                    "expired after " + goneAfterMillis + " ms, before its " + ttlSeconds + " s TTL");
        }
    }
}
