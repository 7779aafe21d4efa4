package dev.hayate.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import dev.hayate.config.TrackerConfig;
import dev.hayate.protocol.Bencode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Loopback integration over real HTTP, on ephemeral ports, IPv4 (127.0.0.1) and IPv6 ([::1]). */
class TrackerHttpTest {
    /**
     * Which {@code http.acceptor} the HTTP tests run on: the build runs {@code TrackerHttpTest} and {@code
     * HostileHttpTest} once with the default ({@code per_thread}) and once more with {@code xnio} (pom.xml).
     */
    static final String ACCEPTOR = System.getProperty("hayate.test.http.acceptor", "per_thread");

    private static Tracker tracker;
    private static InetSocketAddress v4;
    private static InetSocketAddress v6;
    private static int hashCounter;

    @BeforeAll
    static void start() {
        TrackerConfig config = ConfigLoader.load(
                new Properties(),
                Map.of(
                        "http.host",
                        "127.0.0.1,::1",
                        "http.port",
                        "0",
                        "http.io_threads",
                        "2",
                        "store.max_peers",
                        "100000",
                        "store.max_torrents",
                        "10000",
                        "http.trusted_proxies",
                        "127.0.0.2/32",
                        "admin.enabled",
                        "false",
                        "http.acceptor",
                        ACCEPTOR));
        assertEquals(ACCEPTOR, config.httpAcceptor().name().toLowerCase(java.util.Locale.ROOT));
        tracker = Tracker.start(config, new SimpleMeterRegistry());
        for (InetSocketAddress a : tracker.httpAddresses()) {
            if (a.getAddress() instanceof Inet6Address) {
                v6 = a;
            } else {
                v4 = a;
            }
        }
        assertNotNull(v4);
        assertNotNull(v6);
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    static byte[] newHash() {
        byte[] h = new byte[20];
        int n = ++hashCounter;
        for (int i = 0; i < 20; i++) {
            h[i] = (byte) (n * 31 + i * 7);
        }
        return h;
    }

    static byte[] peerId(int n) {
        byte[] id = "-HY0001-000000000000".getBytes(StandardCharsets.ISO_8859_1);
        String num = String.format("%012d", n);
        System.arraycopy(num.getBytes(StandardCharsets.ISO_8859_1), 0, id, 8, 12);
        return id;
    }

    static String enc(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }

    static String announce(byte[] hash, byte[] peerId, int port, long left, String extra) {
        return "/announce?info_hash=" + enc(hash) + "&peer_id=" + enc(peerId) + "&port=" + port
                + "&uploaded=0&downloaded=0&left=" + left + "&compact=1" + extra;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> decode(RawHttpClient.Response r) {
        assertEquals(200, r.status(), r.bodyText());
        assertEquals("text/plain", r.header("Content-Type"));
        assertNull(r.header("Server"), "no server banner");
        return (Map<String, Object>) Bencode.decode(r.body());
    }

    static List<String> compactPeers4(Map<String, Object> d) {
        byte[] peers = (byte[]) d.get("peers");
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 6 <= peers.length; i += 6) {
            out.add((peers[i] & 0xFF) + "." + (peers[i + 1] & 0xFF) + "." + (peers[i + 2] & 0xFF) + "."
                    + (peers[i + 3] & 0xFF) + ":" + (((peers[i + 4] & 0xFF) << 8) | (peers[i + 5] & 0xFF)));
        }
        return out;
    }

    @Test
    void shouldIntroducePeersToEachOtherWhenTheyAnnounceTheSameTorrent() throws Exception {
        byte[] hash = newHash();
        try (RawHttpClient c = new RawHttpClient(v4)) {
            Map<String, Object> first = decode(c.get(announce(hash, peerId(1), 6881, 0, "&event=started")));
            assertEquals(1L, first.get("complete"));
            assertEquals(0L, first.get("incomplete"));
            assertEquals(0, ((byte[]) first.get("peers")).length, "the requester is never in its own answer");
            assertEquals(1800L, first.get("interval"));
            assertEquals(900L, first.get("min interval"));
            assertArrayEquals(new byte[] {127, 0, 0, 1}, (byte[]) first.get("external ip"));

            // Same keep-alive connection, a second peer.
            Map<String, Object> second = decode(c.get(announce(hash, peerId(2), 6882, 1000, "&event=started")));
            assertEquals(1L, second.get("complete"));
            assertEquals(1L, second.get("incomplete"));
            assertEquals(List.of("127.0.0.1:6881"), compactPeers4(second));
        }
    }

    @Test
    void shouldKeepFamiliesApartWhenPeersAnnounceOverIpv4AndIpv6() throws Exception {
        byte[] hash = newHash();
        try (RawHttpClient c4 = new RawHttpClient(v4);
                RawHttpClient c6 = new RawHttpClient(v6)) {
            decode(c4.get(announce(hash, peerId(1), 7001, 0, "")));
            // A leecher over IPv6 (seeders are sent leechers only).
            Map<String, Object> fromV6 = decode(c6.get(announce(hash, peerId(2), 7002, 9, "")));
            assertArrayEquals(loopback6(), (byte[]) fromV6.get("external ip"));
            assertEquals(List.of("127.0.0.1:7001"), compactPeers4(fromV6));
            assertNull(fromV6.get("peers6"), "no IPv6 peers yet besides the requester");

            Map<String, Object> leecher = decode(c4.get(announce(hash, peerId(3), 7003, 5, "&numwant=10")));
            byte[] peers6 = (byte[]) leecher.get("peers6");
            assertNotNull(peers6);
            assertEquals(18, peers6.length);
            assertArrayEquals(loopback6(), Arrays.copyOf(peers6, 16));
            assertEquals(7002, ((peers6[16] & 0xFF) << 8) | (peers6[17] & 0xFF));
            assertEquals(List.of("127.0.0.1:7001"), compactPeers4(leecher));
        }
    }

    private static byte[] loopback6() {
        byte[] a = new byte[16];
        a[15] = 1;
        return a;
    }

    @Test
    void shouldScrapeEveryByteValueWhenHashesCoverAllOfThem() throws Exception {
        List<byte[]> hashes = new ArrayList<>();
        for (int start = 0; start < 256; start += 20) {
            byte[] h = new byte[20];
            for (int i = 0; i < 20; i++) {
                h[i] = (byte) ((start + i) & 0xFF);
            }
            hashes.add(h);
        }
        StringBuilder scrape = new StringBuilder("/scrape?");
        try (RawHttpClient c = new RawHttpClient(v4)) {
            int n = 0;
            for (byte[] h : hashes) {
                Map<String, Object> d = decode(c.get(announce(h, peerId(100 + n), 6000 + n, n % 2, "")));
                assertEquals(n % 2 == 0 ? 1L : 0L, d.get("complete"));
                scrape.append(n == 0 ? "" : "&").append("info_hash=").append(enc(h));
                n++;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> files =
                    (Map<String, Object>) decode(c.get(scrape.toString())).get("files");
            assertEquals(hashes.size(), files.size());
            int i = 0;
            for (byte[] h : hashes) {
                @SuppressWarnings("unchecked")
                Map<String, Object> counts =
                        (Map<String, Object>) files.get(new String(h, StandardCharsets.ISO_8859_1));
                assertNotNull(counts, "hash " + i);
                assertEquals(i % 2 == 0 ? 1L : 0L, counts.get("complete"));
                assertEquals(i % 2 == 0 ? 0L : 1L, counts.get("incomplete"));
                assertEquals(0L, counts.get("downloaded"));
                i++;
            }
        }
    }

    @Test
    void shouldCountCompletedOnceAndForgetStoppedPeers() throws Exception {
        byte[] hash = newHash();
        try (RawHttpClient c = new RawHttpClient(v6)) {
            decode(c.get(announce(hash, peerId(1), 6881, 0, "")));
            decode(c.get(announce(hash, peerId(2), 6882, 100, "&event=started")));
            Map<String, Object> done = decode(c.get(announce(hash, peerId(2), 6882, 0, "&event=completed")));
            assertEquals(2L, done.get("complete"));
            assertEquals(1L, done.get("downloaded"));
            Map<String, Object> again = decode(c.get(announce(hash, peerId(2), 6882, 0, "&event=completed")));
            assertEquals(1L, again.get("downloaded"));
            Map<String, Object> stopped = decode(c.get(announce(hash, peerId(2), 6882, 0, "&event=stopped")));
            assertEquals(0, ((byte[]) stopped.get("peers")).length);
            assertNull(stopped.get("peers6"));
            assertEquals(1L, stopped.get("complete"));
            Map<String, Object> none = decode(c.get(announce(hash, peerId(3), 6883, 5, "&numwant=0")));
            assertEquals(0, ((byte[]) none.get("peers")).length);
            assertNull(none.get("peers6"));
        }
    }

    @Test
    void shouldServeTheDictionaryModelWithoutPeerIdsWhenCompactIsZero() throws Exception {
        // The store keeps a 64-bit hash of each peer_id, not the id: a compact=0 answer is BEP 23's no_peer_id form,
        // a list of {ip, port} dictionaries, whether or not the client sent no_peer_id=1.
        byte[] hash = newHash();
        try (RawHttpClient c = new RawHttpClient(v4)) {
            decode(c.get(announce(hash, peerId(1), 6881, 0, "")));
            for (String extra : List.of("&compact=0", "&compact=0&no_peer_id=1", "&compact=0&no_peer_id=0")) {
                Map<String, Object> d = decode(c.get(announce(hash, peerId(2), 6882, 10, extra)));
                assertNull(d.get("peers6"), extra);
                List<?> peers = (List<?>) d.get("peers");
                assertEquals(1, peers.size(), extra);
                @SuppressWarnings("unchecked")
                Map<String, Object> p = (Map<String, Object>) peers.get(0);
                assertEquals(List.of("ip", "port"), List.copyOf(p.keySet()), extra);
                assertEquals("127.0.0.1", new String((byte[]) p.get("ip"), StandardCharsets.ISO_8859_1));
                assertEquals(6881L, p.get("port"));
            }
        }
    }

    @Test
    void shouldTakeTheRightmostUntrustedAddressWhenATrustedProxyForwards() throws Exception {
        byte[] hash = newHash();
        // 127.0.0.2 is the configured trusted proxy; bind the client socket there.
        try (RawHttpClient proxy = RawHttpClientFrom.bound("127.0.0.2", v4);
                RawHttpClient direct = new RawHttpClient(v4)) {
            decode(proxy.request(
                    "GET",
                    announce(hash, peerId(1), 6881, 0, ""),
                    Map.of("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 127.0.0.2")));
            // An untrusted sender's header is ignored.
            decode(direct.request(
                    "GET", announce(hash, peerId(2), 6882, 0, ""), Map.of("X-Forwarded-For", "198.51.100.1")));
            Map<String, Object> d = decode(direct.get(announce(hash, peerId(3), 6883, 5, "")));
            Set<String> peers = new HashSet<>(compactPeers4(d));
            assertEquals(Set.of("203.0.113.7:6881", "127.0.0.1:6882"), peers);
        }
    }

    static Stream<Arguments> badAnnounces() {
        String hash = enc(new byte[20]);
        String id = enc(peerId(9));
        String ok = "info_hash=" + hash + "&peer_id=" + id + "&port=6881&uploaded=0&downloaded=0&left=0";
        return Stream.of(
                Arguments.of("/announce?" + ok.replace("info_hash=" + hash + "&", ""), "missing info_hash"),
                Arguments.of("/announce?" + ok.replace(hash, enc(new byte[19])), "invalid info_hash"),
                Arguments.of("/announce?" + ok.replace(hash, enc(new byte[21])), "invalid info_hash"),
                Arguments.of("/announce?" + ok.replace("peer_id=" + id + "&", ""), "missing peer_id"),
                Arguments.of("/announce?" + ok.replace("&port=6881", ""), "missing port"),
                Arguments.of("/announce?" + ok.replace("port=6881", "port=0"), "invalid port"),
                Arguments.of("/announce?" + ok.replace("port=6881", "port=65536"), "invalid port"),
                Arguments.of("/announce?" + ok.replace("port=6881", "port=http"), "invalid port"),
                Arguments.of("/announce?" + ok.replace("left=0", "left=-1"), "invalid number"),
                Arguments.of("/announce?" + ok.replace("left=0", "left=ten"), "invalid number"),
                Arguments.of(
                        "/announce?" + ok.replace("uploaded=0", "uploaded=99999999999999999999"), "invalid number"),
                Arguments.of("/announce?" + ok + "&numwant=-5", "invalid number"),
                Arguments.of("/announce?" + ok + "&event=exploded", "invalid event"),
                Arguments.of("/announce?" + ok + "&pad=" + "a".repeat(9000), "query too long"),
                Arguments.of("/announce", "missing info_hash"),
                Arguments.of("/scrape", "missing info_hash"),
                Arguments.of("/scrape?info_hash=" + enc(new byte[5]), "invalid info_hash"),
                Arguments.of("/scrape?" + ("info_hash=" + hash + "&").repeat(75), "too many info_hash"),
                Arguments.of("/nothing-here", "not found"));
    }

    @ParameterizedTest
    @MethodSource("badAnnounces")
    void shouldAnswerAFailureReasonAndKeepServingWhenInputIsBad(String request, String expectedReason)
            throws Exception {
        try (RawHttpClient c = new RawHttpClient(v4)) {
            RawHttpClient.Response r = c.get(request);
            assertEquals(request.startsWith("/nothing") ? 404 : 200, r.status());
            assertEquals("text/plain", r.header("Content-Type"));
            @SuppressWarnings("unchecked")
            Map<String, Object> d = (Map<String, Object>) Bencode.decode(r.body());
            String reason = new String((byte[]) d.get("failure reason"), StandardCharsets.ISO_8859_1);
            assertTrue(reason.startsWith(expectedReason), reason + " should start with " + expectedReason);
            assertEquals(1, d.size());

            // The same connection still gets a correct answer, and the state is intact.
            byte[] hash = newHash();
            decode(c.get(announce(hash, peerId(1), 6881, 0, "")));
            Map<String, Object> ok = decode(c.get(announce(hash, peerId(2), 6882, 7, "")));
            assertEquals(1L, ok.get("complete"));
            assertEquals(1L, ok.get("incomplete"));
            assertEquals(List.of("127.0.0.1:6881"), compactPeers4(ok));
        }
    }

    /**
     * Undertow 2.4's request-line parser refuses a malformed percent escape itself (400, no body, connection closed)
     * before any handler runs, so these never reach the scanner (which would say "malformed query"). The tracker
     * must stay up and keep answering on new connections.
     */
    @ParameterizedTest
    @MethodSource("badEscapes")
    void shouldRefuseAndKeepServingWhenAPercentEscapeIsMalformed(String request) throws Exception {
        try (RawHttpClient c = new RawHttpClient(v4)) {
            RawHttpClient.Response r = c.get(request);
            assertEquals(400, r.status());
            assertTrue(c.isClosedByPeer(), "Undertow closes the connection after a 400");
        }
        try (RawHttpClient c = new RawHttpClient(v4)) {
            byte[] hash = newHash();
            decode(c.get(announce(hash, peerId(1), 6881, 0, "")));
            assertEquals(
                    1L, decode(c.get(announce(hash, peerId(2), 6882, 7, ""))).get("complete"));
        }
    }

    static Stream<String> badEscapes() {
        String ok = announce(new byte[20], peerId(9), 6881, 0, "");
        return Stream.of(ok.replaceFirst("info_hash=%00", "info_hash=%ZZ"), ok + "&x=%4", ok + "&x=%", ok + "&x=%G1");
    }

    @Test
    void shouldAnswerWithABencodedFailureWhenTheMethodIsNotGet() throws Exception {
        try (RawHttpClient c = new RawHttpClient(v4)) {
            RawHttpClient.Response r =
                    c.request("POST", announce(newHash(), peerId(1), 1, 0, ""), Map.of("Content-Length", "0"));
            assertEquals(405, r.status());
            assertTrue(r.bodyText().contains("failure reason"));
        }
    }
}
