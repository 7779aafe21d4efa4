package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.Bencode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FullScrapeTest {
    /** A store stand-in: hash (ISO-8859-1 string) -> {complete, incomplete, downloaded}. */
    private final Map<String, long[]> swarms = new LinkedHashMap<>();

    private final AtomicInteger visits = new AtomicInteger();

    private final FullScrape.Source source = visitor -> {
        visits.incrementAndGet();
        for (Map.Entry<String, long[]> e : swarms.entrySet()) {
            byte[] buf = new byte[40];
            byte[] hash = e.getKey().getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(hash, 0, buf, 7, 20); // at an offset, as the store hands them out
            long[] c = e.getValue();
            visitor.swarm(buf, 7, (int) c[0], (int) c[1], c[2]);
        }
    };

    private long nowNanos = 1_000;

    private void add(byte[] hash, long complete, long incomplete, long downloaded) {
        swarms.put(new String(hash, StandardCharsets.ISO_8859_1), new long[] {complete, incomplete, downloaded});
    }

    private static byte[] gunzip(FullScrape.Snapshot s) throws Exception {
        try (InputStream in = new GZIPInputStream(s.openGzip())) {
            return in.readAllBytes();
        }
    }

    /** Decodes a full scrape strictly (keys in raw byte order, BEP 3) into hash -> counts. */
    private static Map<String, long[]> decodeFiles(byte[] plain) {
        Map<String, Object> files =
                Bencode.dict(Bencode.dict(Bencode.decode(plain)).get("files"));
        Map<String, long[]> out = new LinkedHashMap<>();
        files.forEach((hash, v) -> {
            Map<String, Object> d = Bencode.dict(v);
            out.put(hash, new long[] {(Long) d.get("complete"), (Long) d.get("incomplete"), (Long) d.get("downloaded")
            });
        });
        return out;
    }

    private FullScrape fullScrape(AccessPolicy access, int passEntries) {
        return new FullScrape(source, access, 60, () -> nowNanos, passEntries);
    }

    @Test
    void shouldListEveryTorrentWithItsCountsInRawByteOrderWhenBuiltInManyPasses() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            byte[] h = new byte[20];
            random.nextBytes(h);
            if (i % 5 == 0) {
                h[0] = (byte) 0xAB; // a crowded two-byte prefix: one pass holds more than passEntries
                h[1] = (byte) 0xCD;
            }
            if (i % 7 == 0) {
                h[0] = (byte) 0x80; // bytes >= 0x80 must sort after 0x7F (unsigned order)
            }
            add(h, random.nextInt(50), random.nextInt(50), random.nextInt(1_000));
        }
        try (FullScrape f = fullScrape(AccessPolicy.OPEN, 64)) {
            FullScrape.Snapshot s = f.build();
            byte[] plain = gunzip(s);
            assertEquals(s.plainLength(), plain.length);
            Map<String, long[]> decoded = decodeFiles(plain); // the strict decoder refuses keys out of order
            assertEquals(swarms.size(), decoded.size());
            assertEquals(swarms.size(), s.torrents());
            swarms.forEach((hash, counts) -> assertArrayEquals(
                    counts, decoded.get(hash), HexFormat.of().formatHex(hash.getBytes(StandardCharsets.ISO_8859_1))));
            assertTrue(visits.get() > 10, "many passes: " + visits.get());
        }
    }

    @Test
    void shouldKeepEveryByteWhenTheCompressedSnapshotSpansManyChunks() throws Exception {
        Random random = new Random(11);
        for (int i = 0; i < 120_000; i++) {
            byte[] h = new byte[20];
            random.nextBytes(h);
            add(h, i % 7, i % 5, i % 3);
        }
        try (FullScrape f = fullScrape(AccessPolicy.OPEN, FullScrape.PASS_ENTRIES)) {
            FullScrape.Snapshot s = f.build();
            assertTrue(s.gzipLength() > 2L * FullScrape.CHUNK_BYTES, "several chunks: " + s.gzipLength());
            long total = 0;
            for (java.nio.ByteBuffer b : s.gzipBuffers()) {
                total += b.remaining();
            }
            assertEquals(s.gzipLength(), total);
            assertEquals(s.gzipLength(), s.openGzip().readAllBytes().length);
            byte[] plain = gunzip(s);
            assertEquals(s.plainLength(), plain.length);
            assertEquals(120_000, decodeFiles(plain).size());
        }
    }

    @Test
    void shouldAnswerAnEmptyFilesDictionaryWhenTheStoreIsEmpty() throws Exception {
        try (FullScrape f = fullScrape(AccessPolicy.OPEN, 64)) {
            FullScrape.Snapshot s = f.build();
            assertEquals("d5:filesdee", new String(gunzip(s), StandardCharsets.US_ASCII));
            assertEquals(0, s.torrents());
        }
    }

    @Test
    void shouldLeaveOutRefusedTorrentsWhenAnAccessListIsOn(@TempDir Path dir) throws Exception {
        byte[] refused = new byte[20];
        refused[0] = 1;
        byte[] allowed = new byte[20];
        allowed[0] = 2;
        add(refused, 1, 1, 1);
        add(allowed, 2, 2, 2);
        Path list = dir.resolve("deny.txt");
        Files.writeString(list, HexFormat.of().formatHex(refused) + "\n");
        try (FullScrape f = fullScrape(AccessPolicy.load(AccessPolicy.Mode.DENY, list), 64)) {
            Map<String, long[]> decoded = decodeFiles(gunzip(f.build()));
            assertEquals(List.of(new String(allowed, StandardCharsets.ISO_8859_1)), new ArrayList<>(decoded.keySet()));
        }
    }

    @Test
    void shouldDecompressThePlainFormToTheSameBytesWhenTheClientTakesNoGzip() throws Exception {
        for (int i = 0; i < 500; i++) {
            byte[] h = new byte[20];
            h[0] = (byte) i;
            h[1] = (byte) (i >> 8);
            add(h, i, i + 1, i + 2);
        }
        try (FullScrape f = fullScrape(AccessPolicy.OPEN, 64)) {
            FullScrape.Snapshot s = f.build();
            try (InputStream plain = s.openPlain()) {
                assertArrayEquals(gunzip(s), plain.readAllBytes());
            }
            assertTrue(s.gzipLength() < s.plainLength(), "compressed");
        }
    }

    @Test
    void shouldBuildOnceForManyRequestsWhenTheyComeWithinTheCachePeriod() throws Exception {
        add(new byte[20], 1, 0, 0);
        try (FullScrape f = fullScrape(AccessPolicy.OPEN, 64)) {
            FullScrape.Snapshot first = f.snapshot().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 1_000; i++) {
                nowNanos += TimeUnit.MILLISECONDS.toNanos(59); // 59 s in all: still inside the 60 s period
                assertSame(first, f.snapshot().getNow(null));
            }
            assertEquals(1, f.builds());
            nowNanos += TimeUnit.SECONDS.toNanos(1);
            FullScrape.Snapshot second = f.snapshot().get(10, TimeUnit.SECONDS);
            assertEquals(2, f.builds(), "a new build once the period is over");
            assertFalse(first == second);
        }
    }

    @Test
    void shouldShareOneBuildWhenRequestsArriveWhileItRuns() throws Exception {
        add(new byte[20], 1, 0, 0);
        CountDownLatch release = new CountDownLatch(1);
        FullScrape.Source slow = visitor -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            source.forEachSwarm(visitor);
        };
        try (FullScrape f = new FullScrape(slow, AccessPolicy.OPEN, 60, () -> nowNanos, 64)) {
            List<CompletableFuture<FullScrape.Snapshot>> waiting = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                waiting.add(f.snapshot());
            }
            assertFalse(waiting.get(0).isDone(), "the caller never builds: it gets a future");
            release.countDown();
            FullScrape.Snapshot s = waiting.get(0).get(10, TimeUnit.SECONDS);
            for (CompletableFuture<FullScrape.Snapshot> w : waiting) {
                assertSame(s, w.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, f.builds());
        }
    }
}
