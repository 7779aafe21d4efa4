package dev.hayate.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigException;
import dev.hayate.http.TestCertificates.KeyFormat;
import dev.hayate.http.TestCertificates.Leaf;
import dev.hayate.protocol.Bencode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTPS listener on loopback: BEP 3 announces and BEP 48 scrapes over TLS with a JDK client that trusts only the
 * test CA, the same swarm as over HTTP, and a certificate replaced on disk while the tracker runs.
 */
class HttpsTest {
    /** Announce bytes from BEP 3: a 20-byte info_hash, percent-encoded; peer ids are 20 bytes too. */
    private static final String HASH = "%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14";

    private static final byte[] HASH_BYTES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

    @TempDir
    static Path dir;

    private static TestCertificates certs;

    @BeforeAll
    static void ca() throws Exception {
        certs = new TestCertificates(dir);
    }

    private static Tracker start(Leaf leaf, Map<String, String> more) {
        Map<String, String> keys = new HashMap<>();
        keys.put("https.host", "127.0.0.1");
        keys.put("https.port", "0");
        keys.put("tls.cert_file", leaf.fullchain().toString());
        keys.put("tls.key_file", leaf.key().toString());
        keys.put("tls.reload_seconds", "0");
        keys.putAll(more);
        return TestTrackers.start(keys);
    }

    /**
     * A fresh client and client context per call, so every call makes a new connection and a full handshake (a shared
     * context would resume its TLS session, and a resumed session keeps the certificate it was made with).
     */
    private static HttpResponse<byte[]> get(String url) throws Exception {
        HttpClient client = HttpClient.newBuilder()
                .sslContext(certs.clientContext())
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        return client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String https(Tracker t) {
        return "https://127.0.0.1:" + t.httpsAddresses().get(0).getPort();
    }

    private static BigInteger servedSerial(Tracker t) throws Exception {
        HttpResponse<byte[]> r = get(https(t) + "/nothing-here");
        X509Certificate leaf = (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
        return leaf.getSerialNumber();
    }

    private static String announce(int port, int left) {
        return "/announce?info_hash=" + HASH + "&peer_id=-HY0001-" + String.format("%012d", port) + "&port=" + port
                + "&uploaded=0&downloaded=0&left=" + left + "&compact=1";
    }

    @ParameterizedTest
    @ValueSource(strings = {"per_thread", "xnio"})
    void shouldAnnounceAndScrapeOverHttpsInTheSameSwarmAsHttpWhenTheClientTrustsTheCa(String acceptor)
            throws Exception {
        Leaf leaf = certs.leaf("same-" + acceptor, KeyFormat.EC_PKCS8);
        try (Tracker t = start(leaf, Map.of("http.acceptor", acceptor))) {
            assertEquals(1, t.httpsAddresses().size());
            assertFalse(t.httpAddresses().contains(t.httpsAddresses().get(0)), "HTTP and HTTPS are two listeners");
            // A seeder over plain HTTP...
            HttpResponse<byte[]> seed =
                    get("http://127.0.0.1:" + t.httpAddresses().get(0).getPort() + announce(6881, 0));
            assertEquals(200, seed.statusCode());
            // ...is what a leecher over HTTPS gets back.
            HttpResponse<byte[]> r = get(https(t) + announce(6882, 1000));
            assertEquals(200, r.statusCode());
            assertEquals("TLSv1.3", r.sslSession().orElseThrow().getProtocol());
            assertEquals(
                    leaf.serial(),
                    ((X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0]).getSerialNumber());
            assertEquals(2, r.sslSession().orElseThrow().getPeerCertificates().length, "leaf and intermediate");
            Map<String, Object> d = Bencode.dict(Bencode.decode(r.body()));
            assertFalse(d.containsKey("failure reason"), d.toString());
            assertEquals(1800L, d.get("interval"));
            assertArrayEquals(
                    new byte[] {127, 0, 0, 1, (byte) (6881 >> 8), (byte) (6881 & 0xff)},
                    Bencode.string(d.get("peers")).getBytes(StandardCharsets.ISO_8859_1));

            HttpResponse<byte[]> s = get(https(t) + "/scrape?info_hash=" + HASH);
            assertEquals(200, s.statusCode());
            Map<String, Object> files =
                    Bencode.dict(Bencode.dict(Bencode.decode(s.body())).get("files"));
            Map<String, Object> stats = Bencode.dict(files.get(new String(HASH_BYTES, StandardCharsets.ISO_8859_1)));
            assertEquals(1L, stats.get("complete"));
            assertEquals(1L, stats.get("incomplete"));

            assertEquals(404, get(https(t) + "/nothing-here").statusCode());
            HttpResponse<byte[]> bad = get(https(t) + "/announce?info_hash=short");
            assertTrue(
                    new String(bad.body(), StandardCharsets.ISO_8859_1).contains("failure reason"),
                    "a BEP 3 failure over HTTPS too");
        }
    }

    @Test
    void shouldTakeThePeerAddressFromXForwardedForWhenTheHttpsClientIsATrustedProxy() throws Exception {
        Leaf leaf = certs.leaf("proxy", KeyFormat.EC_PKCS8);
        try (Tracker t = start(leaf, Map.of("http.trusted_proxies", "127.0.0.1/32"))) {
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(certs.clientContext())
                    .proxy(HttpClient.Builder.NO_PROXY)
                    .build();
            HttpResponse<byte[]> seed = client.send(
                    HttpRequest.newBuilder(URI.create(https(t) + announce(7001, 0)))
                            .header("X-Forwarded-For", "198.51.100.7")
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, seed.statusCode());
            HttpResponse<byte[]> r = get(https(t) + announce(7002, 1000));
            Map<String, Object> d = Bencode.dict(Bencode.decode(r.body()));
            assertArrayEquals(
                    new byte[] {(byte) 198, 51, 100, 7, (byte) (7001 >> 8), (byte) (7001 & 0xff)},
                    Bencode.string(d.get("peers")).getBytes(StandardCharsets.ISO_8859_1),
                    "the seeder is stored with the forwarded address");
        }
    }

    @Test
    void shouldFailTheHandshakeWhenTheClientDoesNotTrustTheCertificate() throws Exception {
        Leaf leaf = certs.leaf("untrusted", KeyFormat.EC_PKCS8);
        try (Tracker t = start(leaf, Map.of())) {
            HttpClient strict = HttpClient.newBuilder()
                    .proxy(HttpClient.Builder.NO_PROXY)
                    .build(); // the JDK's default trust store: the test CA is not in it
            assertThrows(
                    SSLHandshakeException.class,
                    () -> strict.send(
                            HttpRequest.newBuilder(URI.create(https(t) + "/scrape"))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding()));
        }
    }

    @Test
    void shouldCloseAConnectionWhenItStallsBeforeOrInsideItsHandshake() throws Exception {
        Leaf leaf = certs.leaf("stall", KeyFormat.EC_PKCS8);
        try (Tracker t = start(leaf, Map.of("http.idle_timeout_seconds", "1", "http.request_timeout_seconds", "1"))) {
            InetSocketAddress a = t.httpsAddresses().get(0);
            // Nothing at all, and the first 5 bytes of a TLS handshake record (a ClientHello that never finishes).
            for (byte[] sent : new byte[][] {{}, {0x16, 0x03, 0x01, 0x02, 0x00}}) {
                try (Socket s = new Socket()) {
                    s.connect(a, 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(sent);
                    long start = System.nanoTime();
                    assertEquals(-1, s.getInputStream().read(), "the server closes the stalled connection");
                    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(waitedMillis < 8_000, "closed after " + waitedMillis + " ms");
                }
            }
        }
    }

    @Test
    void shouldNotAnswerPlainHttpWhenItIsSentToTheHttpsPort() throws Exception {
        Leaf leaf = certs.leaf("plain", KeyFormat.EC_PKCS8);
        try (Tracker t = start(leaf, Map.of());
                Socket s = new Socket()) {
            InetSocketAddress a = t.httpsAddresses().get(0);
            s.connect(a, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + announce(6881, 0) + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
            byte[] got = s.getInputStream().readNBytes(5);
            assertFalse(new String(got, StandardCharsets.ISO_8859_1).startsWith("HTTP"), "no plain HTTP answer");
        }
    }

    @Test
    void shouldServeTheNewCertificateWhenTheFilesChangeAndKeepItWhenGarbageFollows() throws Exception {
        Leaf first = certs.leaf("hot-1", KeyFormat.EC_SEC1);
        Leaf second = certs.leaf("hot-2", KeyFormat.RSA_PKCS1);
        Path chain = dir.resolve("hot-fullchain.pem");
        Path key = dir.resolve("hot-privkey.pem");
        Files.copy(first.fullchain(), chain, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(first.key(), key, StandardCopyOption.REPLACE_EXISTING);
        Leaf live = new Leaf(chain, key, first.serial());
        PrintStream out = System.out;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Tracker t = start(live, Map.of("tls.reload_seconds", "1"))) {
            assertEquals(first.serial(), servedSerial(t));
            // As certbot renews: the new pair replaces the files behind the same names.
            Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.fullchain(), chain, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(
                    TestTrackers.await(
                            Duration.ofSeconds(15), () -> servedSerial(t).equals(second.serial())),
                    "the renewed certificate is served without a restart");
            assertEquals(1.0, TestTrackers.metric(t, "hayate_tls_reloads_total{result=\"ok\"}"));
            X509Certificate secondLeaf =
                    TestCertificates.read(second.fullchain()).get(0);
            assertEquals(
                    secondLeaf.getNotAfter().getTime() / 1000.0,
                    TestTrackers.metric(t, "hayate_tls_certificate_not_after_seconds"));
            // Handshakes after the swap still carry the renewed chain, whole.
            HttpResponse<byte[]> r = get(https(t) + announce(6883, 0));
            assertEquals(200, r.statusCode());
            assertEquals(2, r.sslSession().orElseThrow().getPeerCertificates().length);

            System.setOut(new PrintStream(new Tee(out, log), true, StandardCharsets.UTF_8));
            Files.writeString(chain, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
            assertTrue(TestTrackers.await(
                    Duration.ofSeconds(15),
                    () -> TestTrackers.metric(t, "hayate_tls_reloads_total{result=\"failed\"}") == 1.0));
            assertEquals(second.serial(), servedSerial(t), "the old certificate is kept");
            String logged = log.toString(StandardCharsets.UTF_8);
            assertTrue(logged.contains("[ERROR] hayate.tls - TLS reload refused (tls.cert_file:"), logged);
            assertTrue(logged.contains("serial " + second.serial().toString(16)), logged);
        } finally {
            System.setOut(out);
        }
    }

    @Test
    void shouldStopStartUpNamingTheKeyWhenTheCertificateOrKeyIsBad() throws Exception {
        Leaf a = certs.leaf("bad-a", KeyFormat.RSA_PKCS8);
        Leaf b = certs.leaf("bad-b", KeyFormat.RSA_PKCS8);
        ConfigException mismatch = assertThrows(
                ConfigException.class, () -> start(new Leaf(a.fullchain(), b.key(), a.serial()), Map.of()));
        assertTrue(mismatch.getMessage().startsWith("tls.key_file:"), mismatch.getMessage());
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "hello");
        ConfigException cert =
                assertThrows(ConfigException.class, () -> start(new Leaf(garbage, a.key(), a.serial()), Map.of()));
        assertTrue(cert.getMessage().startsWith("tls.cert_file:"), cert.getMessage());
        ConfigException missing = assertThrows(
                ConfigException.class,
                () -> start(new Leaf(dir.resolve("no-such.pem"), a.key(), a.serial()), Map.of()));
        assertTrue(missing.getMessage().startsWith("tls.cert_file:"), missing.getMessage());
        // A failed start leaves nothing bound: the same ports work again at once.
        try (Tracker t = start(a, Map.of())) {
            assertEquals(a.serial(), servedSerial(t));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"per_thread", "xnio"})
    void shouldFailStartUpSayingHttpsWhenTheHttpsPortIsTaken(String acceptor) throws Exception {
        Leaf leaf = certs.leaf("taken-" + acceptor, KeyFormat.EC_PKCS8);
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            RuntimeException e = assertThrows(
                    RuntimeException.class,
                    () -> start(
                            leaf,
                            Map.of("https.port", Integer.toString(taken.getLocalPort()), "http.acceptor", acceptor)));
            String all = e + " " + e.getCause();
            assertTrue(all.contains("HTTPS") || all.contains("Address already in use"), all);
        }
    }

    /** Copies log output to the real stdout and to a buffer the test reads. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final ByteArrayOutputStream b;

        Tee(OutputStream a, ByteArrayOutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
