package dev.hayate.ws;

import static dev.hayate.ws.WebTorrentTrackerTest.announce;
import static dev.hayate.ws.WebTorrentTrackerTest.answer;
import static dev.hayate.ws.WebTorrentTrackerTest.assertReply;
import static dev.hayate.ws.WebTorrentTrackerTest.files;
import static dev.hayate.ws.WebTorrentTrackerTest.newInfoHash;
import static dev.hayate.ws.WebTorrentTrackerTest.offerId;
import static dev.hayate.ws.WebTorrentTrackerTest.peerId;
import static dev.hayate.ws.WebTorrentTrackerTest.scrape;
import static dev.hayate.ws.WsTestClient.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and every {@code ws.*} limit, over loopback. Each bad message gets a {@code failure reason} frame (with
 * {@code action} and {@code info_hash} when they could be read) or a close; the socket and the tracker keep serving.
 */
class WebTorrentHostileTest {
    private static final String DENIED = newInfoHash();
    private static Tracker tracker;
    private static int port;

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        Path deny = dir.resolve("deny.txt");
        Files.writeString(deny, HexFormat.of().formatHex(DENIED.getBytes(StandardCharsets.ISO_8859_1)) + "\n");
        tracker = TestTrackers.start(Map.ofEntries(
                Map.entry("http.io_threads", "2"),
                Map.entry("http.acceptor", WebTorrentTrackerTest.ACCEPTOR),
                Map.entry("http.idle_timeout_seconds", "1"),
                Map.entry("http.request_timeout_seconds", "1"),
                Map.entry("ws.max_message_bytes", "2048"),
                Map.entry("ws.max_offers", "2"),
                Map.entry("ws.max_torrents_per_connection", "2"),
                Map.entry("ws.max_queued_bytes", "65536"),
                Map.entry("ws.idle_timeout_seconds", "3"),
                Map.entry("access.mode", "deny"),
                Map.entry("access.file", deny.toString())));
        port = tracker.httpAddresses().get(0).getPort();
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    private static double metric(String series) throws Exception {
        return TestTrackers.metric(tracker, series);
    }

    private static void assertFailure(Map<String, Object> frame, String action, String reason, String infoHash) {
        assertEquals(reason, frame.get("failure reason"), frame.toString());
        assertEquals(action, frame.get("action"), frame.toString());
        assertEquals(infoHash, frame.get("info_hash"), frame.toString());
    }

    /** The socket still works: a valid announce after the bad input is answered. */
    private static void assertStillServing(WsTestClient c) throws Exception {
        String hash = newInfoHash();
        c.send(announce(hash, "after", "started", "1", 0));
        assertReply(c.next(), hash, 0, 1);
    }

    @Test
    void shouldAnswerAFailureAndKeepTheSocketWhenTheMessageIsNotJson() throws Exception {
        try (WsTestClient c = WsTestClient.connect(port)) {
            for (String bad : List.of("hello tracker", "null", "[1,2]", "{\"action\":", "{} {}", "\"announce\"", "")) {
                c.send(bad);
                assertFailure(c.next(), null, "invalid message: not a JSON object", null);
            }
            assertStillServing(c);
        }
    }

    @Test
    void shouldAnswerWithoutActionWhenTheActionIsUnknownOrMissing() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient c = WsTestClient.connect(port)) {
            c.send("{\"action\":\"connect\",\"info_hash\":" + quote(hash) + "}");
            assertFailure(c.next(), null, "invalid action", hash); // no action to echo; the hash is harmless
            c.send("{\"action\":42}");
            assertFailure(c.next(), null, "invalid action", null);
            c.send("{\"info_hash\":" + quote(hash) + ",\"peer_id\":" + quote(peerId("x")) + "}");
            assertFailure(c.next(), null, "invalid action", hash);
            assertStillServing(c);
        }
    }

    @Test
    void shouldEchoActionAndInfoHashWhenAFieldHasTheWrongType() throws Exception {
        String hash = newInfoHash();
        String ids = "\"action\":\"announce\",\"info_hash\":" + quote(hash) + ",\"peer_id\":" + quote(peerId("typ"));
        try (WsTestClient c = WsTestClient.connect(port)) {
            c.send("{" + ids + ",\"left\":\"lots\"}");
            assertFailure(c.next(), "announce", "invalid left", hash);
            c.send("{" + ids + ",\"event\":\"bogus\"}");
            assertFailure(c.next(), "announce", "invalid event", hash);
            c.send("{" + ids + ",\"event\":[\"started\"]}");
            assertFailure(c.next(), "announce", "invalid event", hash);
            c.send("{" + ids + ",\"offers\":{\"offer\":{}}}");
            assertFailure(c.next(), "announce", "invalid offers", hash);
            c.send("{" + ids + ",\"offers\":[{\"offer\":{\"sdp\":\"x\"}}]}");
            assertFailure(c.next(), "announce", "invalid offers", hash);
            c.send("{" + ids + ",\"answer\":{\"sdp\":\"x\"},\"offer_id\":" + quote(offerId("a", 0)) + "}");
            assertFailure(c.next(), "announce", "invalid to_peer_id", hash);
            c.send("{\"action\":\"announce\",\"info_hash\":" + quote(hash) + "}");
            assertFailure(c.next(), "announce", "invalid peer_id", hash);
            c.send("{\"action\":\"announce\",\"info_hash\":" + quote(hash) + ",\"peer_id\":7}");
            assertFailure(c.next(), "announce", "invalid peer_id", hash);
            assertStillServing(c);
        }
    }

    @Test
    void shouldFailWithoutInfoHashWhenItIsMissingOrMalformed() throws Exception {
        String peer = quote(peerId("mal"));
        try (WsTestClient c = WsTestClient.connect(port)) {
            for (String infoHash : List.of(
                    "", // missing
                    ",\"info_hash\":\"9ee6cace29e4942137c40a9b9c0b778b3a5204e8\"", // hex, 40 chars
                    ",\"info_hash\":\"0123456789012345678\"", // 19 chars
                    ",\"info_hash\":\"\u0100123456789012345678\"", // a char above U+00FF
                    ",\"info_hash\":12345",
                    ",\"info_hash\":null",
                    ",\"info_hash\":[\"abcdefghijklmnopqrst\"]")) {
                c.send("{\"action\":\"announce\",\"peer_id\":" + peer + infoHash + "}");
                assertFailure(c.next(), "announce", "invalid info_hash", null);
            }
            c.send("{\"action\":\"scrape\"}");
            assertFailure(c.next(), "scrape", "full scrape is not offered", null);
            c.send("{\"action\":\"scrape\",\"info_hash\":[\"short\"]}");
            assertFailure(c.next(), "scrape", "invalid info_hash", null);
            assertStillServing(c);
        }
    }

    @Test
    void shouldDropAndCountAnAnswerWhenTheToPeerIdIsUnknown() throws Exception {
        String hash = newInfoHash();
        double before = metric("hayate_ws_dropped_total{reason=\"unknown_peer\"}");
        try (WsTestClient a = WsTestClient.connect(port);
                WsTestClient b = WsTestClient.connect(port)) {
            a.send(announce(hash, "ans", "started", "1", 0));
            a.next();
            b.send(announce(hash, "other", "started", "1", 0));
            b.next();
            a.send(answer(hash, "ans", "nobody", offerId("nobody", 0)));
            assertFailure(a.next(), "announce", "unknown to_peer_id", hash);
            a.send(answer(newInfoHash(), "ans", "other", offerId("other", 0))); // known peer, other swarm
            assertEquals("unknown to_peer_id", a.next().get("failure reason"));
            b.assertQuiet(300);
        }
        assertEquals(before + 2, metric("hayate_ws_dropped_total{reason=\"unknown_peer\"}"));
    }

    @Test
    void shouldCloseWith1003WhenABinaryFrameArrives() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient c = WsTestClient.connect(port)) {
            c.sendBinary(announce(hash, "bin", "started", "1", 0).getBytes(StandardCharsets.UTF_8));
            assertEquals(1003, c.awaitClose());
        }
    }

    @Test
    void shouldCloseWith1009WhenAMessageExceedsTheLimit() throws Exception {
        String hash = newInfoHash();
        double before = metric("hayate_ws_closed_total{reason=\"message_too_big\"}");
        try (WsTestClient big = WsTestClient.connect(port);
                WsTestClient other = WsTestClient.connect(port)) {
            big.send(padded(announce(hash, "big", "started", "1", 0), 2100));
            assertEquals(1009, big.awaitClose());
            assertStillServing(other);
        }
        assertEquals(before + 1, metric("hayate_ws_closed_total{reason=\"message_too_big\"}"));
        // Exactly at the limit is fine.
        try (WsTestClient c = WsTestClient.connect(port)) {
            String m = announce(hash, "edge", "started", "1", 0);
            m = padded(m, 2048 - m.getBytes(StandardCharsets.UTF_8).length - ",\"pad\":\"\"".length());
            assertEquals(2048, m.getBytes(StandardCharsets.UTF_8).length);
            c.send(m);
            assertReply(c.next(), hash, 0, 1);
        }
    }

    /** The message with an extra field of {@code n} ASCII characters before its closing brace. */
    private static String padded(String message, int n) {
        return message.substring(0, message.length() - 1) + ",\"pad\":\"" + "y".repeat(n) + "\"}";
    }

    @Test
    void shouldCloseWith1009WhenAFragmentedMessageExceedsTheLimit() throws Exception {
        try (RawWsClient raw = new RawWsClient(port)) {
            byte[] part = "x".repeat(1500).getBytes(StandardCharsets.US_ASCII);
            raw.send(RawWsClient.TEXT, part, false);
            raw.send(0, part, true); // continuation: 3000 bytes in all
            RawWsClient.Frame f = raw.readSkippingPings();
            assertEquals(RawWsClient.CLOSE, f.opcode());
            assertEquals(1009, f.closeCode());
        }
    }

    @Test
    void shouldRelayAtMostMaxOffersWhenMoreAreSent() throws Exception {
        String hash = newInfoHash();
        List<WsTestClient> others = new ArrayList<>();
        try (WsTestClient sender = WsTestClient.connect(port)) {
            for (int i = 0; i < 4; i++) {
                WsTestClient c = WsTestClient.connect(port);
                others.add(c);
                c.send(announce(hash, "p" + i, "started", "1", 0));
                c.next();
            }
            sender.send(announce(hash, "send", "started", "1", 5));
            assertReply(sender.next(), hash, 0, 5);
            Thread.sleep(400);
            int relayed = 0;
            for (WsTestClient c : others) {
                relayed += c.messages.size();
            }
            assertEquals(2, relayed, "ws.max_offers=2");
        } finally {
            others.forEach(WsTestClient::close);
        }
    }

    @Test
    void shouldRefuseAThirdTorrentWhenMaxTorrentsPerConnectionIsTwo() throws Exception {
        String h1 = newInfoHash();
        String h2 = newInfoHash();
        String h3 = newInfoHash();
        try (WsTestClient c = WsTestClient.connect(port)) {
            c.send(announce(h1, "lim", "started", "1", 0));
            assertReply(c.next(), h1, 0, 1);
            c.send(announce(h2, "lim", "started", "1", 0));
            assertReply(c.next(), h2, 0, 1);
            c.send(announce(h3, "lim", "started", "1", 0));
            assertFailure(c.next(), "announce", "too many torrents on one connection", h3);
            c.send(announce(h1, "lim", null, "0", 0)); // a torrent it has is still served
            assertReply(c.next(), h1, 1, 0);
            c.send(announce(h2, "lim", "stopped", null, 0)); // once one stops, another fits
            assertReply(c.next(), h2, 0, 0);
            c.send(announce(h3, "lim", "started", "1", 0));
            assertReply(c.next(), h3, 0, 1);
        }
    }

    @Test
    void shouldRefuseTheTorrentWhenTheAccessListDeniesIt() throws Exception {
        try (WsTestClient c = WsTestClient.connect(port)) {
            c.send(announce(DENIED, "deny", "started", "1", 0));
            assertFailure(c.next(), "announce", "torrent not allowed on this tracker", DENIED);
            String open = newInfoHash();
            c.send(announce(open, "deny", "started", "1", 0));
            c.next();
            c.send(scrape(DENIED, open));
            Map<String, Object> files = files(c.next());
            assertEquals(Map.of("complete", 0L, "incomplete", 0L, "downloaded", 0L), files.get(DENIED));
            assertEquals(Map.of("complete", 0L, "incomplete", 1L, "downloaded", 0L), files.get(open));
        }
    }

    @Test
    void shouldPingAndKeepASocketWhenItAnswersPingsPastEveryTimeout() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient c = WsTestClient.connect(port)) {
            // ws.idle_timeout_seconds=3 and http.idle/request timeouts of 1 s: the JDK client answers pings.
            Thread.sleep(4500);
            assertNull(c.closeCode.getNow(null));
            c.send(announce(hash, "alive", "started", "1", 0));
            assertReply(c.next(), hash, 0, 1);
        }
    }

    @Test
    void shouldCloseASilentSocketWhenItAnswersNoPing() throws Exception {
        double before = metric("hayate_ws_closed_total{reason=\"idle_timeout\"}");
        try (RawWsClient raw = new RawWsClient(port)) {
            long start = System.nanoTime();
            boolean pinged = false;
            try {
                while (true) {
                    RawWsClient.Frame f = raw.read();
                    if (f.opcode() == RawWsClient.PING) {
                        pinged = true;
                    }
                }
            } catch (IOException closed) {
                // end of stream: the tracker closed the socket
            }
            long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            assertTrue(pinged, "pinged before the close");
            assertTrue(seconds >= 2 && seconds <= 8, "closed after " + seconds + " s");
        }
        assertTrue(metric("hayate_ws_closed_total{reason=\"idle_timeout\"}") >= before + 1);
    }

    @Test
    void shouldCloseASlowReaderWhenItsQueueIsFull() throws Exception {
        String hash = newInfoHash();
        double before = metric("hayate_ws_dropped_total{reason=\"slow_reader\"}");
        double closed = metric("hayate_ws_closed_total{reason=\"slow_reader\"}");
        try (RawWsClient slow = new RawWsClient(port, "/", 4096);
                WsTestClient sender = WsTestClient.connect(port)) {
            slow.sendText(announce(hash, "slow", "started", "1", 0));
            assertEquals(
                    "announce",
                    WsTestClient.parse(slow.readSkippingPings().text()).get("action"));
            // From here on it reads nothing.
            // Each announce relays one ~1.7 KB offer to the only other peer, which never reads.
            String big = announce(hash, "flood", null, "1", 1).replace("\\r\\n\"}", "x".repeat(1500) + "\\r\\n\"}");
            long incomplete = 2;
            for (int i = 0; i < 30_000 && incomplete == 2; i++) { // until the kernel buffers and the queue are full
                sender.send(big);
                incomplete = (Long) sender.next().get("incomplete");
            }
            assertEquals(1L, incomplete, "the slow reader was closed and left the swarm");
        }
        assertEquals(before + 1, metric("hayate_ws_dropped_total{reason=\"slow_reader\"}"));
        assertEquals(closed + 1, metric("hayate_ws_closed_total{reason=\"slow_reader\"}"));
    }

    @Test
    void shouldCloseTheSocketWhenATextFrameIsNotUtf8() throws Exception {
        try (RawWsClient raw = new RawWsClient(port);
                WsTestClient other = WsTestClient.connect(port)) {
            raw.send(RawWsClient.TEXT, new byte[] {'{', (byte) 0xC3, '(', '}'});
            try {
                RawWsClient.Frame f = raw.readSkippingPings();
                assertEquals(RawWsClient.CLOSE, f.opcode(), f.text());
            } catch (IOException closed) {
                // closed without a close frame: as good
            }
            assertStillServing(other);
        }
    }

    /**
     * RFC 6455 8.1: a text message that is not UTF-8 fails the connection. An announce whose offer SDP holds an invalid
     * sequence (0xC3 then an ASCII byte) is otherwise well-formed JSON: the offer must never reach the other peer of
     * the swarm, whether the bad bytes arrive in one frame or in the second fragment of a message.
     */
    /**
     * A message whose pieces arrive apart (three fragments with pauses between them, cut inside the binary info_hash's
     * two-byte UTF-8 characters) is put together and answered as one: the tracker keeps the start of a message
     * until the rest arrives, and the offer reaches the other peer byte for byte.
     */
    @Test
    void shouldHandleAMessageWhenItArrivesInPiecesWithPauses() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient peer = WsTestClient.connect(port);
                RawWsClient raw = new RawWsClient(port)) {
            peer.send(announce(hash, "slowpeer", "started", "1", 0));
            assertReply(peer.next(), hash, 0, 1);
            byte[] m = announce(hash, "slow", "started", "1", 1).getBytes(StandardCharsets.UTF_8);
            int h = new String(m, StandardCharsets.ISO_8859_1).indexOf("\"info_hash\":\"") + 13;
            int cut1 = h + 1;
            while ((m[cut1] & 0xC0) != 0x80) {
                cut1++; // inside a two-byte character, if the hash has one
            }
            int cut2 = m.length - 20;
            raw.send(RawWsClient.TEXT, java.util.Arrays.copyOfRange(m, 0, cut1), false);
            Thread.sleep(150);
            raw.send(0, java.util.Arrays.copyOfRange(m, cut1, cut2), false);
            Thread.sleep(150);
            raw.send(0, java.util.Arrays.copyOfRange(m, cut2, m.length), true);
            assertReply(WsTestClient.parse(raw.readSkippingPings().text()), hash, 0, 2);
            Map<String, Object> offer = peer.next();
            assertEquals(hash, offer.get("info_hash"));
            assertEquals(peerId("slow"), offer.get("peer_id"));
            assertEquals(offerId("slow", 0), offer.get("offer_id"));
        }
    }

    @Test
    void shouldNeverRelayAnOfferWhenItsTextIsNotUtf8() throws Exception {
        String hash = newInfoHash();
        double relayed = metric("hayate_ws_offers_relayed_total");
        try (WsTestClient peer = WsTestClient.connect(port)) {
            peer.send(announce(hash, "utf8peer", "started", "1", 0));
            assertReply(peer.next(), hash, 0, 1);
            for (boolean fragmented : new boolean[] {false, true}) {
                byte[] m = announce(hash, fragmented ? "badfrag" : "bad", "started", "1", 1)
                        .getBytes(StandardCharsets.UTF_8);
                int sdp = new String(m, StandardCharsets.ISO_8859_1).indexOf("v=0");
                m[sdp] = (byte) 0xC3; // 0xC3 must be followed by a continuation byte (10xxxxxx), not '='
                try (RawWsClient raw = new RawWsClient(port)) {
                    if (fragmented) {
                        int cut = sdp - 10; // the first fragment is valid UTF-8; the bad bytes come in the second
                        raw.send(RawWsClient.TEXT, java.util.Arrays.copyOfRange(m, 0, cut), false);
                        raw.send(0, java.util.Arrays.copyOfRange(m, cut, m.length), true);
                    } else {
                        raw.send(RawWsClient.TEXT, m);
                    }
                    try {
                        RawWsClient.Frame f = raw.readSkippingPings();
                        assertEquals(RawWsClient.CLOSE, f.opcode(), f.text());
                    } catch (IOException closed) {
                        // closed without a close frame: as good
                    }
                }
            }
            Thread.sleep(300);
            assertTrue(peer.messages.isEmpty(), "relayed to the other peer: " + peer.messages);
            assertStillServing(peer);
        }
        assertEquals(relayed, metric("hayate_ws_offers_relayed_total"));
    }

    @Test
    void shouldAnswerHttpWhenAnUpgradeAsksForAnotherPath() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream()
                    .write(("GET /scrape HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            String head = RawWsClient.readHead(socket.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 200"), head); // the HTTP scrape: missing info_hash
        }
        CompletionException e = assertThrows(CompletionException.class, () -> WsTestClient.connect(port, "/scrape"));
        assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    }

    @Test
    void shouldRefuseTheUpgradeWith503WhenMaxConnectionsAreOpen() throws Exception {
        try (Tracker small = TestTrackers.start(Map.of("ws.max_connections", "2"))) {
            int p = small.httpAddresses().get(0).getPort();
            try (WsTestClient a = WsTestClient.connect(p);
                    WsTestClient b = WsTestClient.connect(p)) {
                CompletionException e = assertThrows(CompletionException.class, () -> WsTestClient.connect(p));
                assertEquals(
                        503,
                        ((WebSocketHandshakeException) e.getCause())
                                .getResponse()
                                .statusCode());
                String hash = newInfoHash();
                a.send(announce(hash, "a", "started", "1", 0));
                assertReply(a.next(), hash, 0, 1);
            }
            assertTrue(TestTrackers.await(
                    Duration.ofSeconds(5), () -> small.webTorrent().connections() == 0));
            try (WsTestClient again = WsTestClient.connect(p)) {
                String hash = newInfoHash();
                again.send(announce(hash, "c", "started", "1", 0));
                assertReply(again.next(), hash, 0, 1);
            }
        }
    }

    @Test
    void shouldRefuseAPeerIdFromAnotherAddressWhileItsSocketIsOpen() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient owner = WsTestClient.connect(port);
                WsTestClient offerer = WsTestClient.connect(port);
                RawWsClient thief = new RawWsClient(port, "/", 0, "127.0.0.2")) {
            owner.send(announce(hash, "victim", "started", "1", 0));
            assertReply(owner.next(), hash, 0, 1);
            thief.sendText(announce(hash, "victim", null, "1", 0));
            Map<String, Object> refused =
                    WsTestClient.parse(thief.readSkippingPings().text());
            assertFailure(refused, "announce", "peer_id in use by another connection", hash);
            offerer.send(announce(hash, "offerer", "started", "1", 1));
            assertReply(offerer.next(), hash, 0, 2);
            assertEquals(peerId("offerer"), owner.next().get("peer_id")); // the owner still gets its offers
            owner.close();
            assertTrue(TestTrackers.await(Duration.ofSeconds(5), () -> {
                thief.sendText(announce(hash, "victim", null, "1", 0)); // once the socket closed, it may move
                return WsTestClient.parse(thief.readSkippingPings().text()).get("failure reason") == null;
            }));
        }
    }

    @Test
    void shouldTellClientsApartByXForwardedForWhenTheProxyIsTrusted() throws Exception {
        try (Tracker t = TestTrackers.start(Map.of("http.trusted_proxies", "127.0.0.1/32"))) {
            int p = t.httpAddresses().get(0).getPort();
            String hash = newInfoHash();
            try (WsTestClient owner = WsTestClient.connectVia(p, "10.0.0.1");
                    WsTestClient other = WsTestClient.connectVia(p, "10.0.0.2");
                    WsTestClient reconnected = WsTestClient.connectVia(p, "192.0.2.9, 10.0.0.1")) {
                owner.send(announce(hash, "proxied", "started", "1", 0));
                assertReply(owner.next(), hash, 0, 1);
                other.send(announce(hash, "proxied", null, "1", 0));
                assertFailure(other.next(), "announce", "peer_id in use by another connection", hash);
                reconnected.send(announce(hash, "proxied", null, "1", 0)); // the same client behind the proxy
                assertReply(reconnected.next(), hash, 0, 1);
            }
        }
    }

    @Test
    void shouldAnswerTrackerIsFullWhenMaxPeersAreStored() throws Exception {
        try (Tracker t = TestTrackers.start(Map.of("ws.max_peers", "1"))) {
            int p = t.httpAddresses().get(0).getPort();
            String hash = newInfoHash();
            try (WsTestClient a = WsTestClient.connect(p);
                    WsTestClient b = WsTestClient.connect(p)) {
                a.send(announce(hash, "first", "started", "1", 0));
                assertReply(a.next(), hash, 0, 1);
                b.send(announce(hash, "second", "started", "1", 0));
                assertFailure(b.next(), "announce", "tracker is full", hash);
                a.send(announce(hash, "first", null, "0", 0)); // a known peer is still served
                assertReply(a.next(), hash, 1, 0);
            }
        }
    }

    @Test
    void shouldExpireASilentPeerWhenItsTtlPasses() throws Exception {
        try (Tracker t = TestTrackers.start(Map.of(
                "ws.announce_interval_seconds", "1",
                "ws.peer_ttl_seconds", "2",
                "announce.sweep_interval_seconds", "1"))) {
            int p = t.httpAddresses().get(0).getPort();
            String hash = newInfoHash();
            try (WsTestClient quiet = WsTestClient.connect(p);
                    WsTestClient watcher = WsTestClient.connect(p)) {
                quiet.send(announce(hash, "quiet", "started", "1", 0));
                assertEquals(1L, quiet.next().get("interval"));
                assertEquals(1, t.webTorrent().leechers());
                assertTrue(TestTrackers.await(
                        Duration.ofSeconds(8), () -> t.webTorrent().leechers() == 0));
                watcher.send(scrape(hash));
                assertEquals(
                        Map.of("complete", 0L, "incomplete", 0L, "downloaded", 0L),
                        files(watcher.next()).get(hash));
            }
        }
    }

    @Test
    void shouldServeTheHttpTrackerOnlyWhenWsIsDisabled() throws Exception {
        try (Tracker t = TestTrackers.start(Map.of("ws.enabled", "false"))) {
            int p = t.httpAddresses().get(0).getPort();
            assertNull(t.webTorrent());
            CompletionException e = assertThrows(CompletionException.class, () -> WsTestClient.connect(p, "/announce"));
            assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
        }
    }

    @Test
    void shouldExposeWebTorrentMetricsWhenPeersAnnounceAndRelay() throws Exception {
        String hash = newInfoHash();
        double offers = metric("hayate_ws_offers_relayed_total");
        double answers = metric("hayate_ws_answers_relayed_total");
        double started = metric("hayate_ws_announces_total{event=\"started\"}");
        try (WsTestClient a = WsTestClient.connect(port);
                WsTestClient b = WsTestClient.connect(port)) {
            a.send(announce(hash, "ma", "started", "1", 0));
            a.next();
            b.send(announce(hash, "mb", "started", "1", 1));
            b.next();
            Map<String, Object> offer = a.next();
            a.send(answer(hash, "ma", "mb", (String) offer.get("offer_id")));
            b.next();
            assertTrue(metric("hayate_ws_connections") >= 2);
            assertTrue(metric("hayate_ws_leechers") >= 2);
            assertTrue(metric("hayate_ws_torrents") >= 1);
        }
        assertEquals(offers + 1, metric("hayate_ws_offers_relayed_total"));
        assertEquals(answers + 1, metric("hayate_ws_answers_relayed_total"));
        assertEquals(started + 2, metric("hayate_ws_announces_total{event=\"started\"}"));
        HttpResponse<String> status = WsTestClient.HTTP.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + tracker.adminAddress().getPort() + "/"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(status.body().contains("id=\"ws-connections\""), status.body());
        assertTrue(status.body().contains("WebTorrent peers"), status.body());
    }

    @Test
    void shouldNotAnswerFromAnotherSocketWhenAStrangerStopsSomeonesPeerId() throws Exception {
        String hash = newInfoHash();
        try (WsTestClient owner = WsTestClient.connect(port);
                WsTestClient stranger = WsTestClient.connect(port)) {
            owner.send(announce(hash, "own", "started", "1", 0));
            assertReply(owner.next(), hash, 0, 1);
            stranger.send(announce(hash, "own", "stopped", null, 0));
            assertReply(stranger.next(), hash, 0, 1); // not removed: the peer is the owner's socket's
            owner.assertQuiet(200);
        }
    }
}
