package dev.hayate.http;

import static dev.hayate.http.TrackerHttpTest.announce;
import static dev.hayate.http.TrackerHttpTest.decode;
import static dev.hayate.http.TrackerHttpTest.enc;
import static dev.hayate.http.TrackerHttpTest.newHash;
import static dev.hayate.http.TrackerHttpTest.peerId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import dev.hayate.protocol.Bencode;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.announces_per_minute_per_address} over HTTP: 1 a minute with a burst of 2, so the third announce of
 * an address within a minute is over the limit whatever the test's timing (nothing here sleeps).
 */
class RateLimitHttpTest {
    private Tracker tracker;

    @AfterEach
    void stop() {
        if (tracker != null) {
            tracker.close();
        }
    }

    private InetSocketAddress start(Map<String, String> extra) {
        Map<String, String> keys = new java.util.HashMap<>(Map.of(
                "limits.announces_per_minute_per_address", "1",
                "limits.announce_burst_per_address", "2",
                "http.trusted_proxies", "127.0.0.2/32"));
        keys.putAll(extra);
        tracker = TestTrackers.start(keys);
        return tracker.httpAddresses().get(0);
    }

    private static Map<String, Object> scrape(InetSocketAddress server, byte[] hash) throws Exception {
        try (RawHttpClient c = new RawHttpClient(server)) {
            return Bencode.dict(
                    Bencode.dict(decode(c.get("/scrape?info_hash=" + enc(hash))).get("files"))
                            .get(Bencode.string(hash)));
        }
    }

    @Test
    void shouldAnswerRateLimitedWithMinIntervalAndStoreNothingWhenAnAddressExceedsItsBurst() throws Exception {
        InetSocketAddress server = start(Map.of());
        byte[] hash = newHash();
        try (RawHttpClient c = new RawHttpClient(server)) {
            assertNull(decode(c.get(announce(hash, peerId(1), 6881, 0, ""))).get("failure reason"));
            assertNull(decode(c.get(announce(hash, peerId(2), 6882, 100, ""))).get("failure reason"));
            Map<String, Object> limited = decode(c.get(announce(hash, peerId(3), 6883, 100, "")));
            assertEquals("rate limited", Bencode.string(limited.get("failure reason")));
            assertEquals(900L, limited.get("min interval"), "announce.min_interval_seconds");
            assertEquals(2, limited.size(), "nothing but the failure and min interval");
        }
        Map<String, Object> counts = scrape(server, hash);
        assertEquals(1L, counts.get("complete"));
        assertEquals(1L, counts.get("incomplete"), "the limited peer was not stored");
        assertEquals(2, tracker.store().seederCount() + tracker.store().leecherCount());
        assertEquals(1.0, TestTrackers.metric(tracker, "hayate_rate_limited_total{protocol=\"http\"}"));
        assertEquals(0.0, TestTrackers.metric(tracker, "hayate_rate_limited_total{protocol=\"udp\"}"));
    }

    @Test
    void shouldNotLimitOtherAddressesWhenOneAddressIsLimited() throws Exception {
        InetSocketAddress server = start(Map.of());
        byte[] hash = newHash();
        try (RawHttpClient a = RawHttpClientFrom.bound("127.0.0.3", server);
                RawHttpClient b = RawHttpClientFrom.bound("127.0.0.4", server)) {
            for (int i = 0; i < 2; i++) {
                assertNull(decode(a.get(announce(hash, peerId(10 + i), 7000 + i, 100, "")))
                        .get("failure reason"));
            }
            for (int i = 0; i < 5; i++) {
                assertEquals(
                        "rate limited",
                        Bencode.string(decode(a.get(announce(hash, peerId(20 + i), 7100 + i, 100, "")))
                                .get("failure reason")));
            }
            for (int i = 0; i < 2; i++) {
                assertNull(decode(b.get(announce(hash, peerId(30 + i), 7200 + i, 0, "")))
                        .get("failure reason"));
            }
        }
        assertEquals(5.0, TestTrackers.metric(tracker, "hayate_rate_limited_total{protocol=\"http\"}"));
    }

    @Test
    void shouldCountTheForwardedAddressWhenTheRequestComesThroughATrustedProxy() throws Exception {
        InetSocketAddress server = start(Map.of());
        byte[] hash = newHash();
        try (RawHttpClient proxy = RawHttpClientFrom.bound("127.0.0.2", server)) {
            Map<String, String> client1 = Map.of("X-Forwarded-For", "203.0.113.5");
            Map<String, String> client2 = Map.of("X-Forwarded-For", "203.0.113.6");
            for (int i = 0; i < 2; i++) {
                assertNull(decode(proxy.request("GET", announce(hash, peerId(40 + i), 7300 + i, 100, ""), client1))
                        .get("failure reason"));
            }
            assertEquals(
                    "rate limited",
                    Bencode.string(decode(proxy.request("GET", announce(hash, peerId(42), 7302, 100, ""), client1))
                            .get("failure reason")));
            // The proxy's own address is not what counts: another client behind it has its own budget.
            for (int i = 0; i < 2; i++) {
                assertNull(decode(proxy.request("GET", announce(hash, peerId(50 + i), 7400 + i, 100, ""), client2))
                        .get("failure reason"));
            }
        }
    }

    @Test
    void shouldServeEveryAnnounceWhenTheLimitIsOff() throws Exception {
        InetSocketAddress server = start(Map.of("limits.announces_per_minute_per_address", "0"));
        byte[] hash = newHash();
        try (RawHttpClient c = new RawHttpClient(server)) {
            for (int i = 0; i < 50; i++) {
                assertNull(decode(c.get(announce(hash, peerId(100 + i), 8000 + i, 100, "")))
                        .get("failure reason"));
            }
        }
        assertEquals(50, tracker.store().leecherCount());
        assertEquals(0.0, TestTrackers.metric(tracker, "hayate_rate_limited_total{protocol=\"http\"}"));
    }
}
