package dev.hayate.ws;

import static dev.hayate.ws.WebTorrentTrackerTest.announce;
import static dev.hayate.ws.WebTorrentTrackerTest.assertReply;
import static dev.hayate.ws.WebTorrentTrackerTest.files;
import static dev.hayate.ws.WebTorrentTrackerTest.newInfoHash;
import static dev.hayate.ws.WebTorrentTrackerTest.scrape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.announces_per_minute_per_address} over WebSocket (issue 13): the same budget per address as HTTP and
 * UDP, a {@code rate limited} failure with {@code min interval}, nothing stored, and other addresses unaffected.
 */
class WebTorrentRateLimitTest {

    @Test
    void shouldRefuseTheAnnounceOverTheBurstAndStoreNothingWhenOneAddressAnnouncesTooOften() throws Exception {
        try (Tracker t = TestTrackers.start(Map.of(
                "http.trusted_proxies", "127.0.0.1/32",
                "limits.announces_per_minute_per_address", "1",
                "limits.announce_burst_per_address", "2"))) {
            int port = t.httpAddresses().get(0).getPort();
            String hash = newInfoHash();
            String other = newInfoHash();
            try (WsTestClient a = WsTestClient.connectVia(port, "198.51.100.7");
                    WsTestClient b = WsTestClient.connectVia(port, "198.51.100.8")) {
                a.send(announce(hash, "rl-a", "started", "1", 0));
                assertReply(a.next(), hash, 0, 1);
                a.send(announce(hash, "rl-a", null, "1", 0));
                assertReply(a.next(), hash, 0, 1);

                // Third announce from the same address, even for another torrent: over the burst.
                a.send(announce(other, "rl-a", "started", "0", 0));
                Map<String, Object> refused = a.next();
                assertEquals("rate limited", refused.get("failure reason"), refused.toString());
                assertEquals("announce", refused.get("action"));
                assertEquals(other, refused.get("info_hash"), "info_hash echoed so the client can match it");
                assertEquals(120L, refused.get("min interval"), "the WebTorrent announce interval");
                assertNull(refused.get("complete"));

                // Another address has its own budget.
                b.send(announce(other, "rl-b", "started", "1", 0));
                assertReply(b.next(), other, 0, 1);

                // The refused announce stored nothing: "other" holds only b's leecher, not a's seeder.
                b.send(scrape(hash, other));
                Map<String, Object> counts = files(b.next());
                assertEquals(
                        Map.of("complete", 0L, "incomplete", 1L, "downloaded", 0L),
                        counts.get(hash),
                        counts.toString());
                assertEquals(
                        Map.of("complete", 0L, "incomplete", 1L, "downloaded", 0L),
                        counts.get(other),
                        counts.toString());
            }
            assertEquals(1.0, TestTrackers.metric(t, "hayate_rate_limited_total{protocol=\"ws\"}"));
            assertEquals(0.0, TestTrackers.metric(t, "hayate_rate_limited_total{protocol=\"http\"}"));
        }
    }
}
