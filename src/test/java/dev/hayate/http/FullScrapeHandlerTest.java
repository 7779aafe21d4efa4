package dev.hayate.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.Bencode;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.FullScrape;
import io.undertow.Undertow;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FullScrapeHandler} on its own Undertow listener with large snapshots (many MiB, many socket writes), a build
 * that is still running when requests arrive, and a build that fails.
 */
class FullScrapeHandlerTest {
    private static final int TORRENTS = 100_000;

    private Undertow server;
    private FullScrape fullScrape;
    private final ExecutorService clients = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        clients.shutdownNow();
        if (server != null) {
            server.stop();
        }
        if (fullScrape != null) {
            fullScrape.close();
        }
    }

    /** 100,000 random torrents: about 7 MB plain, 2 MB compressed. */
    private static void visitAll(FullScrape.Visitor visitor) {
        Random random = new Random(3);
        byte[] hash = new byte[20];
        for (int i = 0; i < TORRENTS; i++) {
            random.nextBytes(hash);
            visitor.swarm(hash, 0, i % 11, i % 13, i % 17);
        }
    }

    private InetSocketAddress start(FullScrape.Source source) {
        fullScrape = new FullScrape(source, AccessPolicy.OPEN, 3600, System::nanoTime);
        server = Undertow.builder()
                .setIoThreads(1)
                .setWorkerThreads(1)
                .addHttpListener(0, "127.0.0.1")
                .setHandler(new FullScrapeHandler(fullScrape))
                .build();
        server.start();
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    private static RawHttpClient.Response get(InetSocketAddress address, Map<String, String> headers) throws Exception {
        try (RawHttpClient c = new RawHttpClient(address)) {
            return c.request("GET", "/scrape", headers);
        }
    }

    private static byte[] gunzip(byte[] gzip) throws Exception {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }

    @Test
    void shouldServeTheSameBytesGzipAndPlainWhenTheSnapshotIsManyMegabytes() throws Exception {
        InetSocketAddress address = start(FullScrapeHandlerTest::visitAll);
        RawHttpClient.Response gz = get(address, Map.of("Accept-Encoding", "gzip"));
        assertEquals(200, gz.status());
        assertEquals("gzip", gz.header("Content-Encoding"));
        byte[] plain = gunzip(gz.body());
        assertTrue(plain.length > 5_000_000, "a large body: " + plain.length);
        assertEquals(
                TORRENTS,
                Bencode.dict(Bencode.dict(Bencode.decode(plain)).get("files")).size());
        List<Future<RawHttpClient.Response>> identity = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            identity.add(clients.submit(() -> get(address, Map.of())));
        }
        for (Future<RawHttpClient.Response> f : identity) {
            RawHttpClient.Response r = f.get(60, TimeUnit.SECONDS);
            assertNull(r.header("Content-Encoding"));
            assertEquals(String.valueOf(plain.length), r.header("Content-Length"));
            assertArrayEquals(plain, r.body(), "streamed inflate, three at once");
        }
        assertEquals(1, fullScrape.builds());
    }

    @Test
    void shouldAnswerRequestsThatArriveDuringTheBuildWhenItCompletes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        InetSocketAddress address = start(visitor -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            visitAll(visitor);
        });
        List<Future<RawHttpClient.Response>> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Map<String, String> headers = i % 2 == 0 ? Map.of("Accept-Encoding", "gzip") : Map.of();
            waiting.add(clients.submit(() -> get(address, headers)));
        }
        // The build cannot finish before the release: whoever asks meanwhile gets the same unfinished build.
        assertFalse(fullScrape.snapshot().isDone());
        assertEquals(0, fullScrape.builds());
        release.countDown();
        byte[] first = null;
        for (int i = 0; i < waiting.size(); i++) {
            RawHttpClient.Response r = waiting.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(200, r.status());
            byte[] plain = i % 2 == 0 ? gunzip(r.body()) : r.body();
            if (first == null) {
                first = plain;
            }
            assertArrayEquals(first, plain);
        }
        assertEquals(1, fullScrape.builds());
    }

    @Test
    void shouldAnswerAnInternalErrorFailureWhenTheBuildFails() throws Exception {
        InetSocketAddress address = start(visitor -> {
            throw new IllegalStateException("store closed");
        });
        RawHttpClient.Response r = get(address, Map.of("Accept-Encoding", "gzip"));
        assertEquals(200, r.status());
        assertEquals(
                "internal error",
                Bencode.string(Bencode.dict(Bencode.decode(r.body())).get("failure reason")));
        assertEquals(0, fullScrape.builds());
    }
}
