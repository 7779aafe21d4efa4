package dev.hayate.http;

import static dev.hayate.http.TrackerHttpTest.announce;
import static dev.hayate.http.TrackerHttpTest.compactPeers4;
import static dev.hayate.http.TrackerHttpTest.decode;
import static dev.hayate.http.TrackerHttpTest.enc;
import static dev.hayate.http.TrackerHttpTest.peerId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import dev.hayate.protocol.Bencode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile HTTP clients over real sockets on 127.0.0.1: oversized and malformed requests, odd methods and versions,
 * pipelining, slow and idle clients, connection floods. After every case a well-formed announce must still work and
 * the swarm state must be intact. (Bad info_hash lengths, ports, numbers and percent escapes are also covered one by
 * one in {@link TrackerHttpTest}.)
 */
class HostileHttpTest {
    private static final int MAX_HEADER_BYTES = 8192;
    private static final int NUMWANT_MAX = 5;
    private static Tracker tracker;
    private static InetSocketAddress server;
    /** A torrent with one seeder, announced once at start; every case checks it is still there. */
    private static final byte[] SENTINEL = TrackerHttpTest.newHash();

    private static int nextHash = 1;

    @BeforeAll
    static void start() throws IOException {
        tracker = start(Map.of(
                "http.max_header_bytes",
                Integer.toString(MAX_HEADER_BYTES),
                "announce.numwant_max",
                Integer.toString(NUMWANT_MAX),
                "announce.numwant_default",
                "5"));
        server = tracker.httpAddresses().get(0);
        try (RawHttpClient c = new RawHttpClient(server)) {
            decode(c.get(announce(SENTINEL, peerId(1), 7001, 0, "")));
        }
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    static Tracker start(Map<String, String> extra) {
        Map<String, String> overrides = new HashMap<>(Map.of(
                "http.host", "127.0.0.1",
                "http.port", "0",
                "http.io_threads", "1",
                "udp.enabled", "false",
                "store.max_peers", "200000",
                "store.max_torrents", "100000",
                "admin.enabled", "false",
                "http.acceptor", TrackerHttpTest.ACCEPTOR));
        overrides.putAll(extra);
        return Tracker.start(ConfigLoader.load(new Properties(), overrides), new SimpleMeterRegistry());
    }

    static byte[] hash() {
        byte[] h = new byte[20];
        h[0] = (byte) 0xAB;
        h[1] = (byte) (nextHash >> 8);
        h[2] = (byte) nextHash++;
        return h;
    }

    /** A new connection can announce, and the sentinel torrent still has exactly its one seeder. */
    static void assertStillServing(InetSocketAddress address) throws IOException {
        assertStillServing(address, SENTINEL);
    }

    /** As above, with the given torrent (announced earlier by one seeder) as the sentinel. */
    static void assertStillServing(InetSocketAddress address, byte[] sentinelHash) throws IOException {
        try (RawHttpClient c = new RawHttpClient(address)) {
            byte[] h = hash();
            decode(c.get(announce(h, peerId(2), 7002, 0, "")));
            Map<String, Object> d = decode(c.get(announce(h, peerId(3), 7003, 9, "")));
            assertTrue(
                    d.containsKey("peers"),
                    () -> "not an announce answer: "
                            + (d.containsKey("failure reason") ? Bencode.string(d.get("failure reason")) : d.keySet()));
            assertEquals(List.of("127.0.0.1:7002"), compactPeers4(d));
            Map<String, Object> files = Bencode.dict(
                    decode(c.get("/scrape?info_hash=" + enc(sentinelHash))).get("files"));
            Map<String, Object> sentinel =
                    Bencode.dict(files.values().iterator().next());
            assertEquals(1L, sentinel.get("complete"));
            assertEquals(0L, sentinel.get("incomplete"));
        }
    }

    static String reason(RawHttpClient.Response r) {
        return Bencode.string(Bencode.dict(Bencode.decode(r.body())).get("failure reason"));
    }

    // ---- the table: raw request bytes, and what the server does with them ----

    static Stream<Arguments> hostileRequests() {
        String ok = "info_hash=" + enc(new byte[20]) + "&peer_id=" + enc(peerId(9)) + "&uploaded=0&downloaded=0&left=0";
        String bigHeaders = ("X-Padding: " + "p".repeat(1000) + "\r\n").repeat(MAX_HEADER_BYTES / 1000 + 2);
        return Stream.of(
                // Undertow refuses a request line or header block over http.max_header_bytes before Hayate sees it:
                // it answers 400 without a body and closes the connection.
                Arguments.of(
                        "request line over max_header_bytes",
                        "GET /announce?" + ok + "&port=1&pad=" + "a".repeat(MAX_HEADER_BYTES + 100)
                                + " HTTP/1.1\r\nHost: t\r\n\r\n",
                        400,
                        null),
                Arguments.of(
                        "headers over max_header_bytes",
                        "GET /announce?" + ok + "&port=1 HTTP/1.1\r\nHost: t\r\n" + bigHeaders + "\r\n",
                        400,
                        null),
                Arguments.of(
                        "info_hash of 19 bytes",
                        get(ok.replace(enc(new byte[20]), enc(new byte[19])) + "&port=1"),
                        200,
                        "invalid info_hash"),
                Arguments.of(
                        "info_hash of 21 bytes",
                        get(ok.replace(enc(new byte[20]), enc(new byte[21])) + "&port=1"),
                        200,
                        "invalid info_hash"),
                Arguments.of("port 0", get(ok + "&port=0"), 200, "invalid port"),
                Arguments.of("port 65536", get(ok + "&port=65536"), 200, "invalid port"),
                Arguments.of("negative port", get(ok + "&port=-1"), 200, "invalid port"),
                Arguments.of("negative left", get(ok.replace("left=0", "left=-5") + "&port=1"), 200, "invalid number"),
                Arguments.of(
                        "non-numeric uploaded",
                        get(ok.replace("uploaded=0", "uploaded=1e9") + "&port=1"),
                        200,
                        "invalid number"),
                Arguments.of(
                        "malformed percent escape (Undertow's parser refuses it)",
                        get(ok + "&port=1&x=%G0"),
                        400,
                        null),
                Arguments.of(
                        "garbage instead of HTTP (a TLS ClientHello's first bytes)",
                        "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\r\n\r\n",
                        400,
                        null),
                Arguments.of(
                        "unknown method",
                        "BREW /announce?" + ok + "&port=1 HTTP/1.1\r\nHost: t\r\n\r\n",
                        405,
                        "method not allowed"),
                Arguments.of(
                        "POST with a body",
                        "POST /announce?" + ok + "&port=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
                        405,
                        "method not allowed"));
    }

    private static String get(String query) {
        return "GET /announce?" + query + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileRequests")
    void shouldAnswerAsDocumentedAndKeepStateWhenARequestIsHostile(String name, String raw, int status, String reason)
            throws IOException {
        try (RawHttpClient c = new RawHttpClient(server)) {
            c.sendRaw(raw.getBytes(StandardCharsets.ISO_8859_1));
            RawHttpClient.Response r = c.read(true);
            assertEquals(status, r.status(), name);
            assertNull(r.header("Server"), "no server banner");
            if (reason != null) {
                assertEquals("text/plain", r.header("Content-Type"));
                assertTrue(reason(r).startsWith(reason), reason(r));
            } else {
                assertEquals(0, r.body().length, "Undertow's own refusals have no body: nothing is reflected");
                assertTrue(c.isClosedByPeer(), name + ": the connection is closed after a " + status);
            }
        }
        assertStillServing(server);
    }

    @Test
    void shouldCapPeersAtNumwantMaxWhenNumwantIsHuge() throws IOException {
        byte[] h = hash();
        try (RawHttpClient c = new RawHttpClient(server)) {
            for (int i = 0; i < NUMWANT_MAX + 3; i++) {
                decode(c.get(announce(h, peerId(100 + i), 8000 + i, 0, "")));
            }
            for (String numwant : new String[] {"1000000", "2147483647", "99999999999999999999"}) {
                Map<String, Object> d = decode(c.get(announce(h, peerId(99), 7999, 5, "&numwant=" + numwant)));
                assertEquals(NUMWANT_MAX, compactPeers4(d).size(), numwant);
            }
        }
        assertStillServing(server);
    }

    @Test
    void shouldTakeTheLastValueWhenAKeyIsRepeated() throws IOException {
        byte[] h = hash();
        try (RawHttpClient c = new RawHttpClient(server)) {
            // port: 1 then 7777; left: 0 (seeder) then 5 (leecher)
            decode(c.get(announce(h, peerId(1), 1, 0, "&port=7777&left=5&numwant=0")));
            Map<String, Object> d = decode(c.get(announce(h, peerId(2), 7778, 0, "")));
            assertEquals(List.of("127.0.0.1:7777"), compactPeers4(d));
            assertEquals(1L, d.get("incomplete"));
            assertEquals(1L, d.get("complete"));
        }
    }

    @Test
    void shouldAnswer405WithoutABodyWhenTheMethodIsHead() throws IOException {
        try (RawHttpClient c = new RawHttpClient(server)) {
            RawHttpClient.Response head = c.request("HEAD", announce(hash(), peerId(1), 1, 0, ""), Map.of());
            assertEquals(405, head.status());
            assertEquals("GET", head.header("Allow"));
            // Had a body followed, it would be read as the next response's status line.
            Map<String, Object> d = decode(c.get(announce(hash(), peerId(1), 1, 0, "")));
            assertEquals(1L, d.get("complete"));
        }
        try (RawHttpClient c = new RawHttpClient(server)) {
            RawHttpClient.Response post =
                    c.request("POST", announce(hash(), peerId(1), 1, 0, ""), Map.of("Content-Length", "0"));
            assertEquals(405, post.status());
            assertEquals("method not allowed: use GET", reason(post));
        }
        assertStillServing(server);
    }

    @Test
    void shouldCloseAfterTheAnswerWhenTheRequestIsHttp10WithoutKeepAlive() throws IOException {
        String query = announce(hash(), peerId(1), 1, 0, "");
        try (RawHttpClient c = new RawHttpClient(server)) {
            c.sendRaw(("GET " + query + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            decode(c.read(true));
            assertTrue(c.isClosedByPeer(), "HTTP/1.0 without keep-alive is closed after the answer");
        }
        try (RawHttpClient c = new RawHttpClient(server)) {
            for (int i = 0; i < 3; i++) {
                c.sendRaw(("GET " + query + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                RawHttpClient.Response r = c.read(true);
                decode(r);
                assertEquals("keep-alive", r.header("Connection").toLowerCase());
            }
        }
        assertStillServing(server);
    }

    @Test
    void shouldAnswerEveryRequestInOrderWhenRequestsArePipelined() throws IOException {
        byte[] h = hash();
        String[] requests = {
            announce(h, peerId(1), 9001, 0, ""),
            "/nothing-here",
            announce(h, peerId(2), 0, 0, ""),
            "/scrape?info_hash=" + enc(h),
            announce(h, peerId(3), 9003, 7, ""),
        };
        StringBuilder all = new StringBuilder();
        for (String r : requests) {
            all.append("GET ").append(r).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
        }
        try (RawHttpClient c = new RawHttpClient(server)) {
            c.sendRaw(all.toString().getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(1L, decode(c.read(true)).get("complete"));
            RawHttpClient.Response notFound = c.read(true);
            assertEquals(404, notFound.status());
            assertTrue(reason(notFound).startsWith("not found"));
            assertTrue(reason(c.read(true)).startsWith("invalid port"));
            Map<String, Object> files = Bencode.dict(decode(c.read(true)).get("files"));
            assertEquals(1L, Bencode.dict(files.values().iterator().next()).get("complete"));
            Map<String, Object> last = decode(c.read(true));
            assertEquals(List.of("127.0.0.1:9001"), compactPeers4(last));
            assertEquals(1L, last.get("incomplete"));
        }
        assertStillServing(server);
    }

    @Test
    void shouldCloseASlowClientWhenItsRequestTakesLongerThanTheTimeout() throws Exception {
        try (Tracker slow = start(Map.of("http.request_timeout_seconds", "2", "http.idle_timeout_seconds", "3"))) {
            InetSocketAddress address = slow.httpAddresses().get(0);
            byte[] sentinel = hash();
            try (RawHttpClient c = new RawHttpClient(address)) {
                decode(c.get(announce(sentinel, peerId(1), 7001, 0, "")));
            }
            long start = System.nanoTime();
            try (RawHttpClient c = new RawHttpClient(address)) {
                byte[] request = get("info_hash=" + enc(new byte[20])).getBytes(StandardCharsets.ISO_8859_1);
                boolean closed = false;
                // One byte a second, at most 10 s: the request never completes.
                for (int i = 0; i < 10 && !closed; i++) {
                    try {
                        c.sendRaw(new byte[] {request[i]});
                        Thread.sleep(1_000);
                    } catch (IOException e) {
                        closed = true;
                    }
                }
                assertTrue(closed || c.isClosedByPeer(), "the slow client is disconnected");
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds <= 6, "closed after about the 2 s request timeout, took " + seconds + " s");

            // An idle connection (no request at all) is closed after the idle timeout.
            start = System.nanoTime();
            try (RawHttpClient c = new RawHttpClient(address)) {
                assertTrue(c.isClosedByPeer(), "the idle client is disconnected");
            }
            long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(idleMillis >= 2_000 && idleMillis <= 8_000, "idle close after " + idleMillis + " ms");
            assertStillServing(address, sentinel);
        }
    }

    /**
     * 10,000 idle connections, held by a child process (so this JVM's file descriptors go to the server side; the
     * open-files limit here is 20,000), while other clients keep being served.
     */
    @Test
    void shouldKeepServingWhenTenThousandIdleConnectionsAreOpen() throws Exception {
        int idle = 10_000;
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx64m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        IdleConnectionsMain.class.getName(),
                        server.getAddress().getHostAddress(),
                        Integer.toString(server.getPort()),
                        Integer.toString(idle))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream in = child.getOutputStream()) {
            long start = System.nanoTime();
            // Serve other clients while the child connects.
            List<Long> latenciesMillis = new ArrayList<>();
            while (!out.ready() && child.isAlive() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60)) {
                long t = System.nanoTime();
                assertStillServing(server);
                latenciesMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
            }
            assertEquals("OPEN " + idle, out.readLine());
            for (int i = 0; i < 20; i++) {
                long t = System.nanoTime();
                assertStillServing(server);
                latenciesMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
            }
            in.write("check\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertEquals("CLOSED 0", out.readLine(), "the server holds every idle connection open");
            long worst =
                    latenciesMillis.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(worst < 2_000, "slowest check took " + worst + " ms");
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        assertStillServing(server);
    }

    @Test
    void shouldStopAcceptingAboveMaxConnectionsAndKeepServingOpenOnes() throws Exception {
        int max = 20;
        try (Tracker limited = start(Map.of("http.max_connections", Integer.toString(max)))) {
            InetSocketAddress address = limited.httpAddresses().get(0);
            byte[] sentinel = hash();
            List<RawHttpClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < max; i++) {
                    RawHttpClient c = new RawHttpClient(address);
                    open.add(c);
                    c.setTimeoutMillis(3_000);
                    decode(c.get(announce(i == 0 ? sentinel : hash(), peerId(i), 1000 + i, 0, "")));
                }
                // The kernel completes the handshake (backlog), but Hayate does not accept: no answer.
                RawHttpClient extra = new RawHttpClient(address);
                open.add(extra);
                extra.sendRaw(get("info_hash=" + enc(hash()) + "&peer_id=" + enc(peerId(1)) + "&port=2")
                        .getBytes(StandardCharsets.ISO_8859_1));
                extra.setTimeoutMillis(1_500);
                assertThrows(SocketTimeoutException.class, () -> extra.read(true), "over the limit: not served");

                // Connections already open keep working.
                for (int i = 1; i < max; i++) {
                    decode(open.get(i).get(announce(hash(), peerId(i), 2000 + i, 0, "")));
                }
                // Below the low-water mark (90%), accepting resumes and the waiting connection is answered.
                for (int i = 1; i <= max / 10 + 1; i++) {
                    open.get(i).close();
                }
                extra.setTimeoutMillis(10_000);
                assertTrue(decode(extra.read(true)).containsKey("interval"), "the waiting announce is served");
            } finally {
                for (RawHttpClient c : open) {
                    c.close();
                }
            }
            assertStillServing(address, sentinel);
        }
    }
}
