package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.BencodeWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in full scrape ({@code scrape.full}, {@code scrape.full_cache_seconds}): a BEP 48 {@code files}
 * dictionary of every torrent the tracker serves, built on one background thread and kept only gzip-compressed.
 *
 * <p><b>Caching.</b> {@link #snapshot()} returns the current snapshot while it is younger than the cache period.
 * Otherwise it starts one build (single flight: every request arriving meanwhile gets the same future) and returns
 * that build's future; nothing is built while nobody asks. So builds start at least a cache period apart, and a
 * thousand requests in one period cost one build. The age counts from the start of the build.
 *
 * <p><b>Memory.</b> Only the compressed bytes are kept, in 1 MiB chunks ({@link Snapshot#gzipBuffers}); a client
 * that does not accept gzip is served by decompressing them as they are sent ({@link Snapshot#openPlain}), which costs
 * CPU per such request but no memory. A stale snapshot is dropped when the next build starts (requests wait for that
 * build, so it would never be served again), so a build never holds two; responses still being written keep their
 * own reference until they finish. The build also uses bounded scratch space: BEP 3 wants dictionary keys in raw byte order and the store is a hash map, so the
 * torrents are visited in passes over ranges of their first two bytes (sized from a counting pass to at most
 * {@value #PASS_ENTRIES} torrents each, about 5 MiB), each pass sorted and streamed into the compressor. Only a range
 * of one two-byte prefix holding more torrents than that (an attacker announcing made-up hashes) makes a larger pass.
 *
 * <p><b>Announces.</b> The store is read through {@link Source}, which copies one Chronicle segment at a time under
 * that segment's lock, as the expiry sweep does; sorting and compressing happen outside every lock. The builder
 * paces itself to at most half a core ({@value #BUILD_SLICE_NANOS} ns slices, each followed by as long a sleep), so
 * on a small machine it leaves the IO threads most of the CPU.
 */
public final class FullScrape implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("hayate.scrape");
    /** Most torrents sorted at once while building: 131,072 x (20 + 12 + 4) bytes, about 5 MiB of scratch. */
    static final int PASS_ENTRIES = 1 << 17;

    private static final int HASH_LENGTH = AnnounceRequest.INFO_HASH_LENGTH;
    private static final int PREFIXES = 1 << 16;
    /**
     * The builder works in slices of this length and then sleeps as long as the slice took, so it uses at most half a
     * core: on a small machine the IO threads keep the other half and more (measured in benchmarks/RESULTS.md).
     */
    static final long BUILD_SLICE_NANOS = 2_000_000;
    /** Work items (swarms visited, entries written, sort steps) between two looks at the clock. */
    private static final int PACE_EVERY = 1024;

    /** The compressed snapshot is kept in chunks of this size: no growth copies, at most one chunk of slack. */
    static final int CHUNK_BYTES = 1 << 20;

    /** One swarm's counts, as the store hands them out; the hash is {@code hashes[offset, offset + 20)}. */
    @FunctionalInterface
    public interface Visitor {
        void swarm(byte[] hashes, int offset, int complete, int incomplete, long downloaded);
    }

    /** Visits every swarm of the store once (see {@link ChronicleSwarmStore#forEachSwarm}). */
    @FunctionalInterface
    public interface Source {
        void forEachSwarm(Visitor visitor);
    }

    /** One built full scrape: the gzip bytes only, in chunks of at most {@value #CHUNK_BYTES} bytes. Immutable. */
    public static final class Snapshot {
        private final byte[][] gzip;
        private final long gzipLength;
        private final long plainLength;
        private final int torrents;
        private final long builtNanos;
        private final CompletableFuture<Snapshot> done;

        Snapshot(byte[][] gzip, long gzipLength, long plainLength, int torrents, long builtNanos) {
            this.gzip = gzip;
            this.gzipLength = gzipLength;
            this.plainLength = plainLength;
            this.torrents = torrents;
            this.builtNanos = builtNanos;
            this.done = CompletableFuture.completedFuture(this);
        }

        /** The compressed body's length in bytes. */
        public long gzipLength() {
            return gzipLength;
        }

        /**
         * The gzip-compressed bencoded body (RFC 1952), as read-only buffers over the shared chunks (new buffer
         * objects on each call, the bytes never copied).
         */
        public ByteBuffer[] gzipBuffers() {
            ByteBuffer[] out = new ByteBuffer[gzip.length];
            for (int i = 0; i < gzip.length; i++) {
                out[i] = ByteBuffer.wrap(gzip[i]).asReadOnlyBuffer();
            }
            return out;
        }

        /** The compressed body as a stream. */
        public InputStream openGzip() {
            List<InputStream> parts = new ArrayList<>(gzip.length);
            for (byte[] chunk : gzip) {
                parts.add(new ByteArrayInputStream(chunk));
            }
            return new SequenceInputStream(Collections.enumeration(parts));
        }

        /** The bencoded body's length, uncompressed. */
        public long plainLength() {
            return plainLength;
        }

        public int torrents() {
            return torrents;
        }

        /** The bencoded body, decompressed while it is read. */
        public InputStream openPlain() {
            try {
                return new GZIPInputStream(openGzip(), 1 << 16);
            } catch (IOException e) {
                throw new UncheckedIOException("our own gzip bytes are unreadable", e);
            }
        }
    }

    private final Source source;
    private final AccessPolicy access;
    private final long cacheNanos;
    private final LongSupplier nanoClock;
    private final ExecutorService builder;
    private final int passEntries;
    private volatile Snapshot current;
    /** The build in progress, or null; guarded by {@code this}. */
    private CompletableFuture<Snapshot> building;

    private volatile long builds;
    /** Builder-thread only: pacing state. */
    private long sliceStartNanos;

    private int sincePace;
    private volatile long lastGzipLength;
    private volatile int lastTorrents;

    /**
     * @param nanoClock {@link System#nanoTime} outside tests
     */
    public FullScrape(Source source, AccessPolicy access, long cacheSeconds, LongSupplier nanoClock) {
        this(source, access, cacheSeconds, nanoClock, PASS_ENTRIES);
    }

    /** @param passEntries most torrents sorted at once (tests use small values to force many passes) */
    FullScrape(Source source, AccessPolicy access, long cacheSeconds, LongSupplier nanoClock, int passEntries) {
        this.passEntries = passEntries;
        this.source = source;
        this.access = access;
        this.cacheNanos = TimeUnit.SECONDS.toNanos(cacheSeconds);
        this.nanoClock = nanoClock;
        this.builder = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hayate-full-scrape");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The snapshot to answer with: completed at once while the current one is fresh, else the future of the one build
     * in progress (started here if none is). Never builds on the calling thread. Completes exceptionally when the
     * build failed; the next call tries again.
     */
    public CompletableFuture<Snapshot> snapshot() {
        Snapshot s = current;
        long now = nanoClock.getAsLong();
        if (s != null && now - s.builtNanos < cacheNanos) {
            return s.done;
        }
        synchronized (this) {
            s = current;
            if (s != null && now - s.builtNanos < cacheNanos) {
                return s.done;
            }
            if (building == null) {
                CompletableFuture<Snapshot> f = new CompletableFuture<>();
                building = f;
                // The stale snapshot will never be served again (requests wait for this build): let it go now, so a
                // build never holds two snapshots.
                current = null;
                builder.execute(() -> runBuild(f));
            }
            return building;
        }
    }

    private void runBuild(CompletableFuture<Snapshot> f) {
        try {
            Snapshot s = build();
            synchronized (this) {
                current = s;
                building = null;
            }
            f.complete(s);
        } catch (RuntimeException | Error e) {
            LOG.error("full scrape build failed: {}", e.toString(), e);
            synchronized (this) {
                building = null;
            }
            f.completeExceptionally(e);
        }
    }

    /** Builds completed so far. */
    public long builds() {
        return builds;
    }

    /** The last built snapshot's compressed size in bytes; 0 before the first build. */
    public long snapshotBytes() {
        return lastGzipLength;
    }

    /** Torrents in the last built snapshot; 0 before the first build. */
    public int snapshotTorrents() {
        return lastTorrents;
    }

    /** Builds a snapshot now, on the calling thread (the builder thread; tests). */
    Snapshot build() {
        long startNanos = nanoClock.getAsLong();
        long wallStart = System.nanoTime();
        // Pass 0: how many torrents each two-byte prefix holds, to cut the key space into sorted passes.
        int[] perPrefix = new int[PREFIXES];
        sliceStartNanos = System.nanoTime();
        source.forEachSwarm((hashes, offset, complete, incomplete, downloaded) -> {
            pace();
            if (access.allows(hashes, offset)) {
                perPrefix[prefix(hashes, offset)]++;
            }
        });
        ChunkedOutput bytes = new ChunkedOutput();
        Pass pass = new Pass();
        try (GZIPOutputStream gz = new FastGzip(bytes)) {
            gz.write(BencodeWriter.FULL_SCRAPE_START);
            pass.plainLength = BencodeWriter.FULL_SCRAPE_START.length;
            int lo = 0;
            while (lo < PREFIXES) {
                int hi = lo;
                long n = 0;
                while (hi < PREFIXES && (hi == lo || n + perPrefix[hi] <= passEntries)) {
                    n += perPrefix[hi++];
                }
                if (n > 0) {
                    pass.run(lo, hi, gz);
                }
                lo = hi;
            }
            gz.write(BencodeWriter.FULL_SCRAPE_END);
            pass.plainLength += BencodeWriter.FULL_SCRAPE_END.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        Snapshot s = new Snapshot(bytes.finish(), bytes.length, pass.plainLength, pass.torrents, startNanos);
        lastGzipLength = s.gzipLength;
        lastTorrents = s.torrents;
        builds++;
        LOG.info(
                "full scrape built: {} torrents, {} bytes gzip ({} plain) in {} ms",
                s.torrents,
                s.gzipLength,
                s.plainLength,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - wallStart));
        return s;
    }

    /**
     * Sleeps as long as the builder has worked once a slice is used up (so at most half a core). Called only where the
     * builder holds no lock: the store calls visitors after releasing the segment.
     */
    private void pace() {
        if (++sincePace < PACE_EVERY) {
            return;
        }
        sincePace = 0;
        long worked = System.nanoTime() - sliceStartNanos;
        if (worked >= BUILD_SLICE_NANOS) {
            LockSupport.parkNanos(worked);
            sliceStartNanos = System.nanoTime();
        }
    }

    private static int prefix(byte[] hashes, int offset) {
        return (hashes[offset] & 0xFF) << 8 | (hashes[offset + 1] & 0xFF);
    }

    /** One pass: collects the torrents of a prefix range, sorts them and writes their entries. */
    private final class Pass implements Visitor {
        byte[] hashes = new byte[1024 * HASH_LENGTH];
        int[] complete = new int[1024];
        int[] incomplete = new int[1024];
        int[] downloaded = new int[1024];
        int[] order = new int[1024];
        int count;
        int lo;
        int hi;
        long plainLength;
        int torrents;
        final byte[] chunk = new byte[1 << 16];

        @Override
        public void swarm(byte[] from, int offset, int c, int i, long d) {
            pace();
            int p = prefix(from, offset);
            if (p < lo || p >= hi || !access.allows(from, offset)) {
                return;
            }
            if (count == complete.length) {
                int size = count * 2;
                hashes = Arrays.copyOf(hashes, size * HASH_LENGTH);
                complete = Arrays.copyOf(complete, size);
                incomplete = Arrays.copyOf(incomplete, size);
                downloaded = Arrays.copyOf(downloaded, size);
                order = Arrays.copyOf(order, size);
            }
            System.arraycopy(from, offset, hashes, count * HASH_LENGTH, HASH_LENGTH);
            complete[count] = c;
            incomplete[count] = i;
            // As the per-hash scrape answers it.
            downloaded[count] = (int) Math.min(Integer.MAX_VALUE, d);
            count++;
        }

        void run(int lo, int hi, GZIPOutputStream gz) throws IOException {
            this.lo = lo;
            this.hi = hi;
            count = 0;
            source.forEachSwarm(this);
            for (int k = 0; k < count; k++) {
                order[k] = k;
            }
            heapSort(order, count);
            int used = 0;
            int previous = -1;
            for (int k = 0; k < count; k++) {
                int index = order[k];
                if (previous >= 0 && compare(previous, index) == 0) {
                    continue; // defensive: BEP 3 forbids a repeated key, and a map key is never visited twice anyway
                }
                previous = index;
                pace();
                if (used + BencodeWriter.FULL_SCRAPE_ENTRY_MAX_LENGTH > chunk.length) {
                    gz.write(chunk, 0, used);
                    plainLength += used;
                    used = 0;
                }
                used = BencodeWriter.writeFullScrapeEntry(
                        hashes,
                        index * HASH_LENGTH,
                        complete[index],
                        downloaded[index],
                        incomplete[index],
                        chunk,
                        used);
                torrents++;
            }
            gz.write(chunk, 0, used);
            plainLength += used;
        }

        private int compare(int a, int b) {
            return Arrays.compareUnsigned(
                    hashes,
                    a * HASH_LENGTH,
                    a * HASH_LENGTH + HASH_LENGTH,
                    hashes,
                    b * HASH_LENGTH,
                    b * HASH_LENGTH + HASH_LENGTH);
        }

        /** In place, O(n log n) whatever the input, no recursion. */
        private void heapSort(int[] a, int n) {
            for (int i = n / 2 - 1; i >= 0; i--) {
                pace();
                siftDown(a, i, n);
            }
            for (int end = n - 1; end > 0; end--) {
                pace();
                int t = a[0];
                a[0] = a[end];
                a[end] = t;
                siftDown(a, 0, end);
            }
        }

        private void siftDown(int[] a, int i, int n) {
            while (true) {
                int child = 2 * i + 1;
                if (child >= n) {
                    return;
                }
                if (child + 1 < n && compare(a[child + 1], a[child]) > 0) {
                    child++;
                }
                if (compare(a[i], a[child]) >= 0) {
                    return;
                }
                int t = a[i];
                a[i] = a[child];
                a[child] = t;
                i = child;
            }
        }
    }

    /**
     * Level 1: info_hashes are random and do not compress; the bencode around them does, nearly as well at level 1 as
     * at 6, for much less of the builder's CPU (which the IO threads share on a small machine).
     */
    private static final class FastGzip extends GZIPOutputStream {
        FastGzip(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(Deflater.BEST_SPEED);
        }
    }

    /** Collects the compressed bytes in {@link #CHUNK_BYTES} chunks; the last one is trimmed by {@link #finish}. */
    private static final class ChunkedOutput extends OutputStream {
        private final List<byte[]> chunks = new ArrayList<>();
        private byte[] current = new byte[CHUNK_BYTES];
        private int used;
        long length;

        @Override
        public void write(int b) {
            if (used == current.length) {
                next();
            }
            current[used++] = (byte) b;
            length++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                if (used == current.length) {
                    next();
                }
                int n = Math.min(len, current.length - used);
                System.arraycopy(b, off, current, used, n);
                used += n;
                off += n;
                len -= n;
                length += n;
            }
        }

        private void next() {
            chunks.add(current);
            current = new byte[CHUNK_BYTES];
            used = 0;
        }

        byte[][] finish() {
            chunks.add(Arrays.copyOf(current, used));
            current = null;
            return chunks.toArray(new byte[0][]);
        }
    }

    /** Stops the builder thread; waits for a build in progress, so the store can be closed after this returns. */
    @Override
    public void close() {
        builder.shutdownNow();
        try {
            if (!builder.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("full scrape build still running at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
