package dev.hayate.swarm;

import static dev.hayate.swarm.V1StoreLayout.*;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.protocol.FailureReason;
import dev.hayate.protocol.ScrapeRequest;
import dev.hayate.protocol.ScrapeResponse;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baseline for {@link SwarmStoreBenchmark}: the format-1 store as it was before Store v2 (main at dee6f77), copied
 * verbatim but for the class names, so both layouts are measured in the same run. Not used by the tracker.
 *
 * <p>The swarm store on three off-heap Chronicle maps of fixed-size entries (see {@link V1StoreLayout}): a peer record per
 * peer (the source of truth), a header per swarm, and dense paged lists of compact peers per swarm, address family
 * and seeder/leecher. An announce costs O(1) map operations plus O(numwant) for the answer, whatever the swarm size,
 * and a swarm has no size limit. Allocation-free after warm-up on the announce and scrape paths.
 *
 * <p><b>Locking.</b> The maps of one swarm change together, so each announce (and each expiry) runs under one of
 * {@value #LOCK_STRIPES} stripe monitors chosen by the info_hash. Only Chronicle's own segment locks are taken inside
 * it, one map operation at a time, never a context held across another map's operation, so there is no lock order to
 * get wrong. Scrape reads one header without the stripe lock (a single Chronicle read is atomic).
 *
 * <p><b>Peer identity</b> is info_hash + peer_id. An announce for an existing entry from the same address (any port,
 * any key) updates it: clients behind one address own their entries, and aria2 sends a fresh {@code key} with every
 * UDP announce. From another address it is accepted only when the stored entry has a key and the announce carries
 * that same key (BEP 3 {@code key}: a client keeps its identity across an IP change); the entry then moves and takes
 * the new address. Otherwise the answer is {@link FailureReason#PEER_ID_IN_USE} and nothing changes, so a stranger
 * who knows a peer_id still cannot move or stop that peer.
 *
 * <p><b>Counting.</b> {@code left == 0} is a seeder whatever the event; an unknown left is a leecher. {@code completed}
 * adds 1 to downloaded once per peer record, and only when the stored record is a leecher. The answer is selected
 * before the announcing peer is written, skipping its own slot, so a peer is never in its own answer. Counts in the
 * answer are those after the announce.
 *
 * <p><b>Expiry.</b> {@link #sweep(long)} removes peers not seen for {@code peerTtlMillis}. A swarm whose last peer
 * leaves (stopped or expired) is removed with its downloaded count: that keeps the torrents capacity from filling with
 * dead swarms, at the cost of the history of torrents nobody shares any more.
 *
 * <p><b>Capacity.</b> {@code maxPeers} and {@code maxTorrents} are enforced with this store's own counters, so
 * {@link FailureReason#TRACKER_FULL} is deterministic; the Chronicle maps are sized with headroom above them. If a map
 * still refuses an insert, the announce is rolled back and answered the same way. One warning is logged when peers
 * pass 90% of {@code maxPeers}, re-armed when they fall below.
 *
 * <p><b>Persistence.</b> With a store path the maps are files there, and a marker file {@value #OPEN_MARKER} exists
 * while the store is open. Finding it at open means the last run did not close cleanly: every map is then opened with
 * {@code recoverPersistedTo} and the swarm headers and pages are rebuilt from the peer records (downloaded counts are
 * kept). Every open also recounts the in-JVM totals from the headers and rebuilds if they disagree with the peers map.
 */
public final class V1ChronicleSwarmStore implements SwarmStore {
    private static final Logger LOG = LoggerFactory.getLogger(V1ChronicleSwarmStore.class);

    static final String OPEN_MARKER = "hayate.open";
    static final String PEERS_FILE = "peers.dat";
    static final String SWARMS_FILE = "swarms.dat";
    static final String PAGES_FILE = "pages.dat";
    /** Stripes of the per-swarm lock; a power of two, enough that two busy swarms rarely share one. */
    static final int LOCK_STRIPES = 1024;
    /** Chronicle may grow a map this far past its configured entries before refusing inserts. */
    private static final double MAX_BLOAT_FACTOR = 2.0;

    private static final double PEER_WARNING_FRACTION = 0.9;

    private final SwarmOptions options;
    private final V1FixedMap peers;
    private final V1FixedMap swarms;
    private final V1FixedMap pages;
    private final Path marker;
    private final Object[] stripes = new Object[LOCK_STRIPES];
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private final AtomicLong peerCount = new AtomicLong();
    private final AtomicLong torrentCount = new AtomicLong();
    private final LongAdder seeders = new LongAdder();
    private final LongAdder leechers = new LongAdder();
    private final long peerWarningThreshold;
    private volatile boolean peerWarningLogged;

    private final Object sweepLock = new Object();
    private final Sweeper sweeper = new Sweeper();
    private volatile boolean closed;
    private boolean recoveredAtOpen;

    /**
     * Per-thread buffers: every announce, scrape and sweep reads and writes through these. Reuse is safe because a
     * thread uses them only inside one synchronous call, and Chronicle copies out of them before the call returns.
     */
    private static final class Scratch {
        final byte[] peerKey = new byte[PEER_KEY_LENGTH];
        final byte[] rec = new byte[REC_LENGTH];
        final byte[] hdr = new byte[HDR_LENGTH];
        final byte[] infoHash = new byte[INFO_HASH_LENGTH];
        final byte[] pageKey = new byte[PAGE_KEY_LENGTH];
        final byte[] page = new byte[PAGE_LENGTH];
        final byte[] pageKey2 = new byte[PAGE_KEY_LENGTH];
        final byte[] page2 = new byte[PAGE_LENGTH];
        final byte[] movedKey = new byte[PEER_KEY_LENGTH];
        final byte[] movedRec = new byte[REC_LENGTH];
        final int[] avail = new int[LIST_COUNT];
        final int[] quota = new int[LIST_COUNT];
    }

    private V1ChronicleSwarmStore(
            SwarmOptions options,
            ChronicleMap<byte[], byte[]> peers,
            ChronicleMap<byte[], byte[]> swarms,
            ChronicleMap<byte[], byte[]> pages,
            Path marker) {
        this.options = options;
        this.peers = new V1FixedMap(peers);
        this.swarms = new V1FixedMap(swarms);
        this.pages = new V1FixedMap(pages);
        this.marker = marker;
        this.peerWarningThreshold = (long) Math.ceil(options.maxPeers() * PEER_WARNING_FRACTION);
        for (int i = 0; i < LOCK_STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    /** Opens (or creates, or recovers) the store described by {@code options}. */
    public static V1ChronicleSwarmStore open(SwarmOptions options) {
        return open(options, 0);
    }

    /**
     * Test hook: {@code chronicleEntries > 0} sizes every Chronicle map to that many entries with no bloat, below the
     * store's own limits, so that Chronicle itself refuses inserts and the rollback path runs.
     */
    static V1ChronicleSwarmStore open(SwarmOptions options, long chronicleEntries) {
        long maxPeers = options.maxPeers();
        long maxPages = Math.min(maxPeers, maxPeers / PAGE_ENTRIES + LIST_COUNT * options.maxTorrents());
        ChronicleMapBuilder<byte[], byte[]> peersB =
                builder("hayate-peers", PEER_KEY_LENGTH, REC_LENGTH, maxPeers, chronicleEntries);
        ChronicleMapBuilder<byte[], byte[]> swarmsB =
                builder("hayate-swarms", INFO_HASH_LENGTH, HDR_LENGTH, options.maxTorrents(), chronicleEntries);
        ChronicleMapBuilder<byte[], byte[]> pagesB =
                builder("hayate-pages", PAGE_KEY_LENGTH, PAGE_LENGTH, maxPages, chronicleEntries);
        Path dir = options.storePath();
        V1ChronicleSwarmStore store;
        boolean recovered = false;
        try {
            if (dir == null) {
                store = new V1ChronicleSwarmStore(options, peersB.create(), swarmsB.create(), pagesB.create(), null);
            } else {
                Files.createDirectories(dir);
                Path marker = dir.resolve(OPEN_MARKER);
                recovered = Files.exists(marker);
                if (recovered) {
                    LOG.warn("{} was not closed cleanly: recovering the swarm store", dir);
                }
                store = new V1ChronicleSwarmStore(
                        options,
                        openFile(peersB, dir.resolve(PEERS_FILE), recovered),
                        openFile(swarmsB, dir.resolve(SWARMS_FILE), recovered),
                        openFile(pagesB, dir.resolve(PAGES_FILE), recovered),
                        marker);
                Files.write(marker, new byte[0]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the swarm store at " + dir, e);
        }
        if (recovered) {
            store.recoveredAtOpen = true;
            store.rebuild();
            LOG.warn(
                    "recovered the swarm store at {}: {} torrents, {} peers",
                    dir,
                    store.torrentCount(),
                    store.peerCount.get());
        } else if (!store.recount()) {
            LOG.warn("swarm store counts disagree with its peer records: rebuilding");
            store.rebuild();
        }
        return store;
    }

    private static ChronicleMapBuilder<byte[], byte[]> builder(
            String name, int keyLength, int valueLength, long n, long chronicleEntries) {
        // Headroom above the enforced limits, so the store's own counters decide "tracker is full".
        long entries = chronicleEntries > 0 ? chronicleEntries : n + n / 4 + 64;
        return ChronicleMapBuilder.of(byte[].class, byte[].class)
                .name(name)
                .constantKeySizeBySample(new byte[keyLength])
                .constantValueSizeBySample(new byte[valueLength])
                .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayAccess())
                .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayAccess())
                .entries(entries)
                .maxBloatFactor(chronicleEntries > 0 ? 1.0 : MAX_BLOAT_FACTOR)
                .putReturnsNull(true)
                .removeReturnsNull(true);
    }

    private static ChronicleMap<byte[], byte[]> openFile(
            ChronicleMapBuilder<byte[], byte[]> builder, Path file, boolean recover) throws IOException {
        File f = file.toFile();
        return recover && f.exists() ? builder.recoverPersistedTo(f, false) : builder.createPersistedTo(f);
    }

    // ------------------------------------------------------------------------------------------------- announce

    @Override
    public FailureReason announce(
            AnnounceRequest request,
            byte[] address,
            int addressLength,
            int numWant,
            int families,
            long nowMillis,
            AnnounceResponse out) {
        if (families != BOTH_FAMILIES) {
            // the format-1 copy is kept for the layout comparison only, which announces over HTTP's both families
            throw new UnsupportedOperationException("the v1 store selects from both families only");
        }
        out.reset();
        if (addressLength != 4 && addressLength != 16) {
            return FailureReason.INVALID_IP;
        }
        int want = Math.min(Math.min(numWant, options.maxNumWant()), out.maxPeers);
        Scratch s = scratch.get();
        peerKey(s.peerKey, request.infoHash, 0, request.peerId, 0);
        synchronized (stripeOf(request.infoHash, 0)) {
            return announceLocked(s, request, address, addressLength, want, nowMillis, out);
        }
    }

    private FailureReason announceLocked(
            Scratch s,
            AnnounceRequest req,
            byte[] address,
            int addressLength,
            int numWant,
            long nowMillis,
            AnnounceResponse out) {
        byte[] ih = req.infoHash;
        byte[] rec = s.rec;
        byte[] hdr = s.hdr;
        boolean exists = peers.get(s.peerKey, rec);
        boolean hasHeader = swarms.get(ih, hdr);
        if (!hasHeader) {
            Arrays.fill(hdr, (byte) 0);
        }
        if (exists && !mayUpdate(rec, req, address, addressLength)) {
            return FailureReason.PEER_ID_IN_USE;
        }
        if (req.event == AnnounceEvent.STOPPED) {
            if (exists) {
                removePeer(s, ih, s.peerKey, rec, hdr);
            }
            fillCounts(out, hdr);
            return null;
        }
        boolean seeder = req.left == 0;
        if (numWant > 0) {
            select(s, ih, seeder, exists ? recList(rec) : -1, exists ? recSlot(rec) : -1, numWant, out);
        }
        int newList = listOf(addressLength, seeder);
        int keyFlag = req.hasKey ? FLAG_HAS_KEY : 0;
        long keyHash = req.hasKey ? req.key : 0;
        if (!exists) {
            int flags = keyFlag | (seeder ? FLAG_SEEDER : 0);
            FailureReason failure =
                    insertPeer(s, req, address, addressLength, newList, flags, keyHash, nowMillis, hasHeader);
            if (failure != null) {
                out.reset();
                return failure;
            }
        } else {
            int flags = recFlags(rec);
            boolean wasSeeder = (flags & FLAG_SEEDER) != 0;
            if (req.event == AnnounceEvent.COMPLETED && !wasSeeder && (flags & FLAG_COMPLETED) == 0) {
                hdrSetDownloaded(hdr, hdrDownloaded(hdr) + 1);
                flags |= FLAG_COMPLETED;
            }
            flags = (flags & FLAG_COMPLETED) | keyFlag | (seeder ? FLAG_SEEDER : 0);
            int oldList = recList(rec);
            int slot = recSlot(rec);
            if (newList != oldList) {
                int newSlot = hdrCount(hdr, newList);
                try {
                    writeEntryAt(s, ih, newList, newSlot, address, addressLength, req.port, req.peerId);
                } catch (IllegalStateException e) {
                    out.reset();
                    return FailureReason.TRACKER_FULL;
                }
                hdrSetCount(hdr, newList, newSlot + 1);
                swapRemove(s, ih, oldList, slot, hdr);
                slot = newSlot;
                if (wasSeeder != seeder) {
                    (seeder ? seeders : leechers).increment();
                    (seeder ? leechers : seeders).decrement();
                }
            } else if (!recSameEndpoint(rec, address, addressLength, req.port)) {
                writeEntryAt(s, ih, oldList, slot, address, addressLength, req.port, req.peerId);
            }
            writeRecord(rec, address, addressLength, req.port, flags, slot, keyHash, nowMillis);
            peers.put(s.peerKey, rec);
            swarms.put(ih, hdr);
        }
        fillCounts(out, hdr);
        return null;
    }

    /**
     * The identity rule of the class javadoc: the same address may always update its own entry (aria2 sends a new
     * {@code key} with every UDP announce); another address only with the key the entry was stored with.
     */
    private static boolean mayUpdate(byte[] rec, AnnounceRequest req, byte[] address, int addressLength) {
        if (sameAddress(rec, address, addressLength)) {
            return true;
        }
        boolean storedKey = (recFlags(rec) & FLAG_HAS_KEY) != 0;
        return storedKey && req.hasKey && recKeyHash(rec) == req.key;
    }

    private FailureReason insertPeer(
            Scratch s,
            AnnounceRequest req,
            byte[] address,
            int addressLength,
            int list,
            int flags,
            long keyHash,
            long nowMillis,
            boolean hasHeader) {
        if (!reservePeer()) {
            return FailureReason.TRACKER_FULL;
        }
        if (!hasHeader && !reserveTorrent()) {
            releasePeer();
            return FailureReason.TRACKER_FULL;
        }
        byte[] ih = req.infoHash;
        byte[] hdr = s.hdr;
        int slot = hdrCount(hdr, list);
        boolean entryWritten = false;
        boolean recordWritten = false;
        try {
            writeEntryAt(s, ih, list, slot, address, addressLength, req.port, req.peerId);
            entryWritten = true;
            writeRecord(s.rec, address, addressLength, req.port, flags, slot, keyHash, nowMillis);
            peers.put(s.peerKey, s.rec);
            recordWritten = true;
            hdrSetCount(hdr, list, slot + 1);
            swarms.put(ih, hdr);
        } catch (IllegalStateException e) {
            // A Chronicle map refused an insert: undo what was written, so the store is as before.
            if (recordWritten) {
                peers.remove(s.peerKey);
            }
            if (entryWritten && slot % PAGE_ENTRIES == 0) {
                pageKey(s.pageKey, ih, list, slot / PAGE_ENTRIES);
                pages.remove(s.pageKey);
            }
            hdrSetCount(hdr, list, slot);
            if (!hasHeader) {
                torrentCount.decrementAndGet();
            }
            releasePeer();
            return FailureReason.TRACKER_FULL;
        }
        (isSeederList(list) ? seeders : leechers).increment();
        return null;
    }

    /** Removes a peer known to exist (its record in {@code rec}) and writes or removes its swarm header. */
    private void removePeer(Scratch s, byte[] ih, byte[] peerKey, byte[] rec, byte[] hdr) {
        int list = recList(rec);
        swapRemove(s, ih, list, recSlot(rec), hdr);
        peers.remove(peerKey);
        if (hdrSeeders(hdr) + hdrLeechers(hdr) == 0) {
            swarms.remove(ih);
            torrentCount.decrementAndGet();
        } else {
            swarms.put(ih, hdr);
        }
        (isSeederList(list) ? seeders : leechers).decrement();
        releasePeer();
    }

    /** Writes one entry of a list, creating its page if needed. The only insert into pages. */
    private void writeEntryAt(
            Scratch s, byte[] ih, int list, int slot, byte[] address, int addressLength, int port, byte[] peerId) {
        int page = slot / PAGE_ENTRIES;
        if (page > MAX_PAGE_NUMBER) {
            throw new IllegalStateException("list too long");
        }
        pageKey(s.pageKey, ih, list, page);
        if (!pages.get(s.pageKey, s.page)) {
            Arrays.fill(s.page, (byte) 0);
        }
        writeEntry(s.page, slot % PAGE_ENTRIES, address, addressLength, port, peerId, 0);
        pages.put(s.pageKey, s.page);
    }

    /**
     * Removes slot {@code slot} of a list: the last entry moves into it and its peer's record learns the new slot.
     * Updates the list count in {@code hdr} (not written). Frees the last page when it empties.
     */
    private void swapRemove(Scratch s, byte[] ih, int list, int slot, byte[] hdr) {
        int last = hdrCount(hdr, list) - 1;
        int lastPage = last / PAGE_ENTRIES;
        if (slot != last) {
            int page = slot / PAGE_ENTRIES;
            pageKey(s.pageKey, ih, list, page);
            pages.get(s.pageKey, s.page);
            byte[] source = s.page;
            if (lastPage != page) {
                pageKey(s.pageKey2, ih, list, lastPage);
                pages.get(s.pageKey2, s.page2);
                source = s.page2;
            }
            int from = (last % PAGE_ENTRIES) * ENTRY_LENGTH;
            System.arraycopy(source, from, s.page, (slot % PAGE_ENTRIES) * ENTRY_LENGTH, ENTRY_LENGTH);
            pages.put(s.pageKey, s.page);
            peerKey(s.movedKey, ih, 0, source, from + ENTRY_PEER_ID_OFFSET);
            if (peers.get(s.movedKey, s.movedRec)) {
                recSetSlot(s.movedRec, slot);
                peers.put(s.movedKey, s.movedRec);
            }
        }
        if (last % PAGE_ENTRIES == 0) {
            pageKey(s.pageKey2, ih, list, lastPage);
            pages.remove(s.pageKey2);
        }
        hdrSetCount(hdr, list, last);
    }

    // ------------------------------------------------------------------------------------------------ selection

    /**
     * Fills {@code out} with up to {@code numWant} peers other than the requester ({@code selfList/selfSlot}, -1 when
     * new). Each candidate list gets a share of numWant proportional to its size (the remainder goes one by one from a
     * random list), and from each list a window of that many consecutive slots at a random start, wrapping around. A
     * seeder's candidates are the leechers only.
     */
    private void select(
            Scratch s,
            byte[] ih,
            boolean seeder,
            int selfList,
            int selfSlot,
            int numWant,
            AnnounceResponse out) {
        byte[] hdr = s.hdr;
        int[] avail = s.avail;
        int[] quota = s.quota;
        long total = 0;
        for (int list = 0; list < LIST_COUNT; list++) {
            int n = seeder && isSeederList(list) ? 0 : hdrCount(hdr, list) - (list == selfList ? 1 : 0);
            avail[list] = n;
            total += n;
        }
        if (total == 0) {
            return;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (total <= numWant) {
            System.arraycopy(avail, 0, quota, 0, LIST_COUNT);
        } else {
            long given = 0;
            for (int list = 0; list < LIST_COUNT; list++) {
                quota[list] = (int) ((long) numWant * avail[list] / total);
                given += quota[list];
            }
            int list = random.nextInt(LIST_COUNT);
            while (given < numWant) {
                if (quota[list] < avail[list]) {
                    quota[list]++;
                    given++;
                }
                list = (list + 1) & (LIST_COUNT - 1);
            }
        }
        for (int list = 0; list < LIST_COUNT; list++) {
            int q = quota[list];
            if (q == 0) {
                continue;
            }
            int count = hdrCount(hdr, list);
            int skip = list == selfList ? selfSlot : -1;
            int pos = q >= avail[list] ? 0 : random.nextInt(count);
            int loadedPage = -1;
            boolean v6 = isV6List(list);
            int wireLength = wireLength(list);
            while (q > 0) {
                if (pos != skip) {
                    int page = pos / PAGE_ENTRIES;
                    if (page != loadedPage) {
                        pageKey(s.pageKey, ih, list, page);
                        if (!pages.get(s.pageKey, s.page)) {
                            break; // only after a crash without recovery; never answer garbage
                        }
                        loadedPage = page;
                    }
                    int base = (pos % PAGE_ENTRIES) * ENTRY_LENGTH;
                    if (v6) {
                        System.arraycopy(s.page, base, out.peers6, out.peers6Count++ * wireLength, wireLength);
                    } else {
                        System.arraycopy(s.page, base, out.peers4, out.peers4Count++ * wireLength, wireLength);
                    }
                    q--;
                }
                pos = pos + 1 == count ? 0 : pos + 1;
            }
        }
    }

    private static void fillCounts(AnnounceResponse out, byte[] hdr) {
        out.complete = hdrSeeders(hdr);
        out.incomplete = hdrLeechers(hdr);
        out.downloaded = (int) Math.min(Integer.MAX_VALUE, hdrDownloaded(hdr));
    }

    // ------------------------------------------------------------------------------------------------ scrape

    @Override
    public void scrape(ScrapeRequest request, ScrapeResponse out) {
        Scratch s = scratch.get();
        int n = Math.min(request.count, out.complete.length);
        for (int i = 0; i < n; i++) {
            System.arraycopy(request.infoHashes, request.offsetOf(i), s.infoHash, 0, INFO_HASH_LENGTH);
            if (swarms.get(s.infoHash, s.hdr)) {
                out.complete[i] = hdrSeeders(s.hdr);
                out.incomplete[i] = hdrLeechers(s.hdr);
                out.downloaded[i] = (int) Math.min(Integer.MAX_VALUE, hdrDownloaded(s.hdr));
            } else {
                out.complete[i] = 0;
                out.incomplete[i] = 0;
                out.downloaded[i] = 0;
            }
        }
        out.count = n;
    }

    // ------------------------------------------------------------------------------------------------ expiry

    /**
     * Collects the keys of expired peers of one segment while holding only that segment's lock, then removes each
     * under its swarm's stripe lock (re-checking it), holding no Chronicle context. The key buffer grows to the largest
     * segment's expired count and is reused, so a steady-state sweep allocates nothing per peer.
     */
    private final class Sweeper implements Consumer<MapEntry<byte[], byte[]>> {
        final byte[] key = new byte[PEER_KEY_LENGTH];
        final byte[] rec = new byte[REC_LENGTH];
        byte[] expired = new byte[PEER_KEY_LENGTH * 256];
        int expiredCount;
        long cutoff;

        @Override
        public void accept(MapEntry<byte[], byte[]> entry) {
            Data<byte[]> value = entry.value();
            value.bytes().read(value.offset(), rec, 0, REC_LENGTH);
            if (recLastSeen(rec) < cutoff) {
                Data<byte[]> k = entry.key();
                k.bytes().read(k.offset(), key, 0, PEER_KEY_LENGTH);
                if ((expiredCount + 1) * PEER_KEY_LENGTH > expired.length) {
                    expired = Arrays.copyOf(expired, expired.length * 2);
                }
                System.arraycopy(key, 0, expired, expiredCount * PEER_KEY_LENGTH, PEER_KEY_LENGTH);
                expiredCount++;
            }
        }
    }

    @Override
    public long sweep(long nowMillis) {
        long cutoff = nowMillis - options.peerTtlMillis();
        long removed = 0;
        Scratch s = scratch.get();
        synchronized (sweepLock) {
            Sweeper sw = sweeper;
            sw.cutoff = cutoff;
            int segments = peers.map.segments();
            for (int segment = 0; segment < segments; segment++) {
                sw.expiredCount = 0;
                try (MapSegmentContext<byte[], byte[], ?> c = peers.map.segmentContext(segment)) {
                    c.forEachSegmentEntry(sw);
                }
                for (int i = 0; i < sw.expiredCount; i++) {
                    System.arraycopy(sw.expired, i * PEER_KEY_LENGTH, s.peerKey, 0, PEER_KEY_LENGTH);
                    System.arraycopy(s.peerKey, 0, s.infoHash, 0, INFO_HASH_LENGTH);
                    synchronized (stripeOf(s.infoHash, 0)) {
                        if (peers.get(s.peerKey, s.rec)
                                && recLastSeen(s.rec) < cutoff
                                && swarms.get(s.infoHash, s.hdr)) {
                            removePeer(s, s.infoHash, s.peerKey, s.rec, s.hdr);
                            removed++;
                        }
                    }
                }
            }
        }
        return removed;
    }

    // ------------------------------------------------------------------------------------------------ counters

    private boolean reservePeer() {
        long n = peerCount.incrementAndGet();
        if (n > options.maxPeers()) {
            peerCount.decrementAndGet();
            return false;
        }
        if (n >= peerWarningThreshold && !peerWarningLogged) {
            peerWarningLogged = true;
            LOG.warn("peers at {} of {} (over 90% of capacity)", n, options.maxPeers());
        }
        return true;
    }

    private void releasePeer() {
        long n = peerCount.decrementAndGet();
        if (peerWarningLogged && n < peerWarningThreshold) {
            peerWarningLogged = false;
        }
    }

    private boolean reserveTorrent() {
        if (torrentCount.incrementAndGet() > options.maxTorrents()) {
            torrentCount.decrementAndGet();
            return false;
        }
        return true;
    }

    @Override
    public long torrentCount() {
        return torrentCount.get();
    }

    @Override
    public long seederCount() {
        return seeders.sum();
    }

    @Override
    public long leecherCount() {
        return leechers.sum();
    }

    /** Peers stored (exact). */
    public long peerCount() {
        return peerCount.get();
    }

    @Override
    public double peerCapacityUsed() {
        return Math.min(1.0, (double) peerCount.get() / options.maxPeers());
    }

    /** True while peers are over 90% of {@code maxPeers} (the warning was logged and is not yet re-armed). */
    boolean peerWarningActive() {
        return peerWarningLogged;
    }

    /** True when open found the last run unclean and recovered the maps (see the class javadoc). */
    public boolean recoveredAtOpen() {
        return recoveredAtOpen;
    }

    public SwarmOptions options() {
        return options;
    }

    private Object stripeOf(byte[] infoHash, int offset) {
        int h = (infoHash[offset] & 0xFF)
                | (infoHash[offset + 1] & 0xFF) << 8
                | (infoHash[offset + 2] & 0xFF) << 16
                | (infoHash[offset + 3] & 0xFF) << 24;
        h ^= h >>> 16;
        h *= 0x45d9f3b;
        h ^= h >>> 16;
        return stripes[h & (LOCK_STRIPES - 1)];
    }

    // ------------------------------------------------------------------------------------------------ open/rebuild

    /**
     * Recomputes the in-JVM totals from the swarm headers. Returns false when they disagree with the peers map (then
     * the derived structures must be rebuilt).
     */
    private boolean recount() {
        long[] totals = new long[3]; // torrents, seeders, leechers
        byte[] hdr = new byte[HDR_LENGTH];
        for (int segment = 0; segment < swarms.map.segments(); segment++) {
            try (MapSegmentContext<byte[], byte[], ?> c = swarms.map.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> {
                    e.value().getUsing(hdr);
                    totals[0]++;
                    totals[1] += hdrSeeders(hdr);
                    totals[2] += hdrLeechers(hdr);
                });
            }
        }
        torrentCount.set(totals[0]);
        seeders.reset();
        seeders.add(totals[1]);
        leechers.reset();
        leechers.add(totals[2]);
        peerCount.set(totals[1] + totals[2]);
        return peers.map.longSize() == totals[1] + totals[2];
    }

    /**
     * Rebuilds swarm headers and pages from the peer records, the source of truth (after a crash, a list may be half
     * updated). Downloaded counts survive; swarms left without peers are dropped. Runs at open only, so it may
     * allocate.
     */
    void rebuild() {
        Map<ByteBuffer, Long> downloaded = new HashMap<>();
        for (int segment = 0; segment < swarms.map.segments(); segment++) {
            try (MapSegmentContext<byte[], byte[], ?> c = swarms.map.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> {
                    byte[] hdr = e.value().getUsing(new byte[HDR_LENGTH]);
                    downloaded.put(ByteBuffer.wrap(e.key().getUsing(new byte[INFO_HASH_LENGTH])), hdrDownloaded(hdr));
                });
            }
        }
        swarms.map.clear();
        pages.map.clear();
        Scratch s = scratch.get();
        for (int segment = 0; segment < peers.map.segments(); segment++) {
            java.util.List<byte[]> keys = new java.util.ArrayList<>();
            try (MapSegmentContext<byte[], byte[], ?> c = peers.map.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> keys.add(e.key().getUsing(new byte[PEER_KEY_LENGTH])));
            }
            for (byte[] key : keys) {
                if (!peers.get(key, s.rec)) {
                    continue;
                }
                System.arraycopy(key, 0, s.infoHash, 0, INFO_HASH_LENGTH);
                if (!swarms.get(s.infoHash, s.hdr)) {
                    Arrays.fill(s.hdr, (byte) 0);
                    Long d = downloaded.get(ByteBuffer.wrap(s.infoHash));
                    hdrSetDownloaded(s.hdr, d == null ? 0 : d);
                }
                int list = recList(s.rec);
                int slot = hdrCount(s.hdr, list);
                int addressLength = recAddressLength(s.rec);
                byte[] address = Arrays.copyOfRange(s.rec, REC_ADDRESS_OFFSET, REC_ADDRESS_OFFSET + addressLength);
                writeEntryAt(
                        s,
                        s.infoHash,
                        list,
                        slot,
                        address,
                        addressLength,
                        recPort(s.rec),
                        Arrays.copyOfRange(key, PEER_KEY_PEER_ID_OFFSET, PEER_KEY_LENGTH));
                recSetSlot(s.rec, slot);
                peers.put(key, s.rec);
                hdrSetCount(s.hdr, list, slot + 1);
                swarms.put(s.infoHash, s.hdr);
            }
        }
        recount();
    }

    /** Test hook: the pages map, to damage the derived lists the way a crash could. */
    ChronicleMap<byte[], byte[]> pagesMap() {
        return pages.map;
    }

    /**
     * Test hook: checks every invariant, returns a description of the first violation or null. Allocates. Each record
     * must point at a slot inside its list whose entry names it back; as slots are then distinct and the lists hold
     * exactly as many entries as there are records, every list entry points at a live record too.
     */
    String verify() {
        long[] recount = new long[2];
        String[] problem = new String[1];
        Scratch s = scratch.get();
        for (int segment = 0; segment < peers.map.segments() && problem[0] == null; segment++) {
            try (MapSegmentContext<byte[], byte[], ?> c = peers.map.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> {
                    byte[] key = e.key().getUsing(new byte[PEER_KEY_LENGTH]);
                    byte[] rec = e.value().getUsing(new byte[REC_LENGTH]);
                    recount[recSeeder(rec) ? 0 : 1]++;
                    byte[] ih = Arrays.copyOf(key, INFO_HASH_LENGTH);
                    byte[] hdr = swarms.map.get(ih);
                    int list = recList(rec);
                    int slot = recSlot(rec);
                    if (hdr == null || slot >= hdrCount(hdr, list)) {
                        problem[0] = "record points past its list";
                        return;
                    }
                    pageKey(s.pageKey, ih, list, slot / PAGE_ENTRIES);
                    byte[] page = pages.map.get(s.pageKey);
                    int base = (slot % PAGE_ENTRIES) * ENTRY_LENGTH;
                    int from = base + ENTRY_PEER_ID_OFFSET;
                    if (page == null
                            || !Arrays.equals(
                                    page, from, from + PEER_ID_LENGTH, key, PEER_KEY_PEER_ID_OFFSET, PEER_KEY_LENGTH)) {
                        problem[0] = "list entry does not point back to its record";
                    }
                });
            }
        }
        if (problem[0] != null) {
            return problem[0];
        }
        long listed = 0;
        for (byte[] hdr : swarms.map.values()) {
            listed += hdrSeeders(hdr) + hdrLeechers(hdr);
            if (hdrSeeders(hdr) + hdrLeechers(hdr) == 0) {
                return "empty swarm kept";
            }
        }
        if (listed != peers.map.longSize()) {
            return "lists hold " + listed + " entries, peers map " + peers.map.longSize();
        }
        if (recount[0] != seederCount() || recount[1] != leecherCount()) {
            return "counters " + seederCount() + "/" + leecherCount() + " but records " + recount[0] + "/" + recount[1];
        }
        if (swarms.map.longSize() != torrentCount() || peers.map.longSize() != peerCount()) {
            return "torrent or peer counter off";
        }
        return null;
    }

    @Override
    public void close() {
        synchronized (sweepLock) {
            if (closed) {
                return;
            }
            closed = true;
            peers.close();
            swarms.close();
            pages.close();
            if (marker != null) {
                try {
                    Files.deleteIfExists(marker);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: the next open will run recovery ({})", marker, e.toString());
                }
            }
        }
    }
}
