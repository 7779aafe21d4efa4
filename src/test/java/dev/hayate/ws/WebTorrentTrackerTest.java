package dev.hayate.ws;

import static dev.hayate.ws.WsTestClient.binary;
import static dev.hayate.ws.WsTestClient.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The WebTorrent protocol over loopback from the JDK's WebSocket client, against an in-process tracker with two IO
 * threads (so relays cross threads). The build runs it on both {@code http.acceptor} paths (pom.xml).
 */
class WebTorrentTrackerTest {
    static final String ACCEPTOR = System.getProperty("hayate.test.http.acceptor", "per_thread");
    private static Tracker tracker;
    private static int port;
    private static final Random RANDOM = new Random(12);

    @BeforeAll
    static void start() {
        tracker = TestTrackers.start(Map.of(
                "http.io_threads", "2",
                "http.acceptor", ACCEPTOR,
                "ws.max_offers", "10"));
        port = tracker.httpAddresses().get(0).getPort();
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    /** A fresh binary info_hash: 20 random bytes, control characters, quotes and bytes above 0x7F included. */
    static String newInfoHash() {
        byte[] b = new byte[20];
        RANDOM.nextBytes(b);
        b[0] = '\n';
        b[1] = '"';
        b[2] = (byte) 0xE9;
        return binary(b);
    }

    static String peerId(String name) {
        return ("-WW0300-" + name + "____________").substring(0, 20);
    }

    static String offerId(String peer, int i) {
        return ("o" + i + "-" + peer + "__________________").substring(0, 20);
    }

    static String announce(String infoHash, String peer, String event, String left, int offers) {
        StringBuilder m = new StringBuilder("{\"numwant\":5,\"uploaded\":0,\"downloaded\":0");
        if (left != null) {
            m.append(",\"left\":").append(left);
        }
        if (event != null) {
            m.append(",\"event\":\"").append(event).append('"');
        }
        m.append(",\"action\":\"announce\",\"info_hash\":")
                .append(quote(infoHash))
                .append(",\"peer_id\":")
                .append(quote(peerId(peer)));
        if (offers > 0) {
            m.append(",\"offers\":[");
            for (int i = 0; i < offers; i++) {
                m.append(i == 0 ? "" : ",")
                        .append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- ")
                        .append(peer)
                        .append(' ')
                        .append(i)
                        .append("\\r\\n\"},\"offer_id\":")
                        .append(quote(offerId(peer, i)))
                        .append('}');
            }
            m.append(']');
        }
        return m.append('}').toString();
    }

    static String answer(String infoHash, String from, String to, String offerId) {
        return "{\"action\":\"announce\",\"info_hash\":" + quote(infoHash) + ",\"peer_id\":" + quote(peerId(from))
                + ",\"to_peer_id\":" + quote(peerId(to))
                + ",\"answer\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\no=- answer " + from + "\\r\\n\"},\"offer_id\":"
                + quote(offerId) + "}";
    }

    static String scrape(String... infoHashes) {
        StringBuilder m = new StringBuilder("{\"action\":\"scrape\",\"info_hash\":[");
        for (int i = 0; i < infoHashes.length; i++) {
            m.append(i == 0 ? "" : ",").append(quote(infoHashes[i]));
        }
        return m.append("]}").toString();
    }

    static void assertReply(Map<String, Object> reply, String infoHash, long complete, long incomplete) {
        assertEquals("announce", reply.get("action"), reply.toString());
        assertEquals(infoHash, reply.get("info_hash"), "info_hash echoed byte for byte");
        assertEquals(complete, reply.get("complete"), reply.toString());
        assertEquals(incomplete, reply.get("incomplete"), reply.toString());
        assertEquals(120L, reply.get("interval"));
        assertNull(reply.get("failure reason"));
    }

    @Test
    void shouldReplyThenRelayTheOfferToTheOtherPeerWhenASecondPeerAnnounces() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient seeder = WsTestClient.connect(port, "/announce");
                WsTestClient leecher = WsTestClient.connect(port, "/")) {
            seeder.send(announce(hash, "seed", "completed", "0", 0));
            assertReply(seeder.next(), hash, 1, 0);
            leecher.send(announce(hash, "leech", "started", "null", 1));
            assertReply(leecher.next(), hash, 1, 1); // left null = a leecher (README pitfall 4)
            Map<String, Object> relay = seeder.next();
            assertEquals("announce", relay.get("action"));
            assertEquals(hash, relay.get("info_hash"));
            assertEquals(peerId("leech"), relay.get("peer_id"));
            assertEquals(offerId("leech", 0), relay.get("offer_id"));
            assertEquals(Map.of("type", "offer", "sdp", "v=0\r\no=- leech 0\r\n"), relay.get("offer"));
            leecher.assertQuiet(300); // never back to the sender
        }
    }

    @Test
    void shouldRouteTheAnswerByToPeerIdWhenTheOffererIsInTheSwarm() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient seeder = WsTestClient.connect(port);
                WsTestClient leecher = WsTestClient.connect(port);
                WsTestClient bystander = WsTestClient.connect(port)) {
            bystander.send(announce(newInfoHash(), "other", "started", "5", 0));
            bystander.next();
            seeder.send(announce(hash, "seed", "completed", "0", 0));
            seeder.next();
            leecher.send(announce(hash, "leech", "started", "100", 1));
            leecher.next();
            Map<String, Object> offer = seeder.next();
            seeder.send(answer(hash, "seed", "leech", (String) offer.get("offer_id")));
            Map<String, Object> forwarded = leecher.next();
            assertEquals("announce", forwarded.get("action"));
            assertEquals(hash, forwarded.get("info_hash"));
            assertEquals(peerId("seed"), forwarded.get("peer_id"));
            assertEquals(offerId("leech", 0), forwarded.get("offer_id"));
            assertEquals(Map.of("type", "answer", "sdp", "v=0\r\no=- answer seed\r\n"), forwarded.get("answer"));
            seeder.assertQuiet(300); // the answerer gets no reply
            bystander.assertQuiet(0);
        }
    }

    @Test
    void shouldSendEachOfferToADifferentOtherPeerWhenTheSwarmHasSeveral() throws Exception {
        String hash = newInfoHash();
        List<WsTestClient> others = new ArrayList<>();
        try (WsTestClient sender = WsTestClient.connect(port)) {
            for (int i = 0; i < 3; i++) {
                WsTestClient c = WsTestClient.connect(port);
                others.add(c);
                c.send(announce(hash, "peer" + i, "started", "10", 0));
                c.next();
            }
            sender.send(announce(hash, "sender", "started", "10", 5));
            assertReply(sender.next(), hash, 0, 4);
            Set<Object> offerIds = new HashSet<>();
            for (WsTestClient c : others) {
                Map<String, Object> relay = c.next(); // min(5 offers, 3 others): one each
                assertEquals(peerId("sender"), relay.get("peer_id"));
                offerIds.add(relay.get("offer_id"));
                c.assertQuiet(200);
            }
            assertEquals(3, offerIds.size(), "each offer goes to one peer only");
            sender.assertQuiet(200);
        } finally {
            others.forEach(WsTestClient::close);
        }
    }

    @Test
    void shouldNotRelayWhenTheSenderIsAlone() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient alone = WsTestClient.connect(port)) {
            alone.send(announce(hash, "alone", "started", "10", 5));
            assertReply(alone.next(), hash, 0, 1);
            alone.assertQuiet(300);
        }
    }

    @Test
    void shouldCountSeedersAndLeechersWhenPeersStartCompleteAndStop() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient a = WsTestClient.connect(port);
                WsTestClient b = WsTestClient.connect(port);
                WsTestClient watcher = WsTestClient.connect(port)) {
            a.send(announce(hash, "a", "started", "100", 0));
            assertReply(a.next(), hash, 0, 1);
            b.send(announce(hash, "b", "started", null, 0)); // left missing: a leecher
            assertReply(b.next(), hash, 0, 2);
            a.send(announce(hash, "a", "completed", "0", 0));
            assertReply(a.next(), hash, 1, 1);
            a.send(announce(hash, "a", "started", "0", 0)); // started from a known peer is an update
            assertReply(a.next(), hash, 1, 1);
            watcher.send(scrape(hash));
            Map<String, Object> files = files(watcher.next());
            assertEquals(Map.of("complete", 1L, "incomplete", 1L, "downloaded", 1L), files.get(hash));
            b.send(announce(hash, "b", "stopped", null, 0));
            assertReply(b.next(), hash, 1, 0);
            a.send(announce(hash, "a", "stopped", null, 0));
            assertReply(a.next(), hash, 0, 0);
        }
    }

    @Test
    void shouldStartASeederWhenCompletedComesFromAnUnknownPeer() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient seeder = WsTestClient.connect(port)) {
            seeder.send(announce(hash, "seed", "completed", "0", 0));
            assertReply(seeder.next(), hash, 1, 0);
            seeder.send(announce(hash, "seed", "started", "0", 5));
            assertReply(seeder.next(), hash, 1, 0);
        }
    }

    @Test
    void shouldRemoveEveryPeerOfASocketWhenItCloses() throws Exception {
        String h1 = newInfoHash();
        String h2 = newInfoHash();
        try (WsTestClient watcher = WsTestClient.connect(port)) {
            WsTestClient many = WsTestClient.connect(port);
            many.send(announce(h1, "many", "started", "3", 0));
            assertReply(many.next(), h1, 0, 1);
            many.send(announce(h2, "many", "completed", "0", 0)); // several torrents on one socket
            assertReply(many.next(), h2, 1, 0);
            watcher.send(announce(h1, "watch", "started", "7", 1));
            assertReply(watcher.next(), h1, 0, 2);
            assertEquals(peerId("watch"), many.next().get("peer_id")); // the offer reached the socket
            many.close();
            assertTrue(TestTrackers.await(Duration.ofSeconds(5), () -> {
                watcher.send(scrape(h1, h2));
                Map<String, Object> files = files(watcher.next());
                return files.get(h1).equals(Map.of("complete", 0L, "incomplete", 1L, "downloaded", 0L))
                        && files.get(h2).equals(Map.of("complete", 0L, "incomplete", 0L, "downloaded", 0L));
            }));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> files(Map<String, Object> scrapeReply) {
        assertEquals("scrape", scrapeReply.get("action"), scrapeReply.toString());
        return (Map<String, Object>) scrapeReply.get("files");
    }

    @Test
    void shouldSendOffersToTheNewSocketWhenAPeerIdComesBackOnIt() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient old = WsTestClient.connect(port);
                WsTestClient fresh = WsTestClient.connect(port);
                WsTestClient offerer = WsTestClient.connect(port)) {
            old.send(announce(hash, "moving", "started", "10", 0));
            old.next();
            fresh.send(announce(hash, "moving", null, "10", 0));
            assertReply(fresh.next(), hash, 0, 1); // the same peer, not a second one
            offerer.send(announce(hash, "offerer", "started", "10", 1));
            offerer.next();
            assertEquals(peerId("offerer"), fresh.next().get("peer_id"));
            old.assertQuiet(200);
            old.close(); // the old socket no longer owns the peer
            offerer.send(answer(hash, "offerer", "moving", offerId("x", 0)));
            assertEquals(peerId("offerer"), fresh.next().get("peer_id"));
        }
    }

    @Test
    void shouldKeepTheHttpTrackerWhenAPlainGetAnnounceArrives() throws Exception {
        var response = WsTestClient.HTTP.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port
                                + "/announce?info_hash=%12%34%56%78%9a%bc%de%f0%12%34%56%78%9a%bc%de%f0%12%34%56%78"
                                + "&peer_id=-HY0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=0&compact=1"))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.body().startsWith("d8:completei1e"), response.body());
        var root = WsTestClient.HTTP.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/"))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(404, root.statusCode());
        assertFalse(tracker.webTorrent() == null);
        assertNotEquals(0, port);
    }
}
