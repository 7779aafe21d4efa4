package dev.hayate.swarm;

import static dev.hayate.swarm.StoreLayout.*;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.protocol.FailureReason;
import dev.hayate.protocol.ScrapeRequest;
import dev.hayate.protocol.ScrapeResponse;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swarm store (format 3) on two off-heap Chronicle maps (see {@link StoreLayout}): one entry per swarm, holding its
 * counts and, while it has at most {@value StoreLayout#INLINE_MAX_PEERS} peers, all its peers inline; larger swarms
 * keep their peers in blocks of a second map, one linear-hashing table per list, placed by the seeded 64-bit hash of
 * the peer_id that also identifies the peer. A peer is stored once. An announce on a small swarm is one map read and
 * one write; on a large one a few block reads, whatever its size: O(1) map operations plus O(numwant) for the answer,
 * and a swarm has no size limit. Allocation-free after warm-up on the announce and scrape paths.
 *
 * <p><b>Locking.</b> The parts of one swarm change together, so each announce (and each expiry) runs under one of
 * {@value #LOCK_STRIPES} stripe monitors chosen by the info_hash. Only Chronicle's own segment locks are taken inside
 * it, one map operation at a time. Scrape reads one swarm entry without the stripe lock (a single Chronicle read is
 * atomic).
 *
 * <p><b>Peer identity</b> is info_hash + peer_id, compared as the peer_id's seeded 64-bit hash ({@link
 * StoreLayout#peerIdHash}; the store keeps no peer_id, so answers carry none). An announce for an existing entry from
 * the same address (any port, any key) updates it: clients behind one address own their entries, and aria2 sends a
 * fresh {@code key} with every UDP announce. From another address it is accepted only when the stored entry has a key
 * and the announce carries that same key (32-bit hash of BEP 3 {@code key}); the entry then moves and takes the new
 * address. Otherwise the answer is {@link FailureReason#PEER_ID_IN_USE} and nothing changes.
 *
 * <p><b>Counting.</b> {@code left == 0} is a seeder whatever the event; an unknown left is a leecher. {@code completed}
 * adds 1 to downloaded once per peer, and only when the stored peer is a leecher. The answer is selected before the
 * announcing peer is written, skipping the peer itself. Counts in the answer are those after the announce.
 *
 * <p><b>Selection.</b> Each candidate list (seeders get leechers only, and only lists of an address family the answer
 * carries: {@code families}) gets a share of numwant proportional to its
 * size; from each list the store takes a run of consecutive entries starting at a random position and wrapping
 * around (in a large swarm: from a random entry of a random block on through the following blocks). Every peer can be
 * chosen; the peers of one answer are neighbours in their list, not an independent sample.
 *
 * <p><b>Expiry.</b> {@link #sweep(long)} removes peers not seen for {@code peerTtlMillis}. A swarm whose last peer
 * leaves is removed with its downloaded count.
 *
 * <p><b>Capacity.</b> {@code maxPeers} and {@code maxTorrents} are enforced with this store's own counters, so
 * {@link FailureReason#TRACKER_FULL} comes at exactly those limits; the Chronicle maps are sized (entries and
 * {@code maxBloatFactor}, extra segment tiers allocated only when used) to hold the worst case the limits allow.
 *
 * <p><b>Persistence.</b> With a store path the maps are files there, {@value #FORMAT_FILE} names the format and the
 * peer_id hash seed, and a marker file {@value #OPEN_MARKER} exists while the store is open. Finding it at open means
 * the last run did not close cleanly: the maps are opened with {@code recoverPersistedTo} (which also frees segment
 * locks a killed process held) and {@link #repair()} makes every large swarm's blocks and counts agree again. A small
 * swarm is one Chronicle entry, written in one put, so it needs no repair. A store of an older format (1 or 2) is
 * refused at open with a message saying how to start fresh: its entries would be misread.
 */
public final class ChronicleSwarmStore implements SwarmStore {
    private static final Logger LOG = LoggerFactory.getLogger(ChronicleSwarmStore.class);

    static final String OPEN_MARKER = "hayate.open";
    static final String FORMAT_FILE = "store.format";
    static final String SWARMS_FILE = "swarms-v3.dat";
    static final String BLOCKS_FILE = "blocks-v3.dat";
    /** The files of the format-1 store (peer records, swarm headers, pages). */
    static final List<String> V1_FILES = List.of("peers.dat", "swarms.dat", "pages.dat");
    /** The files of the format-2 store (entries with the full 20-byte peer_id). */
    static final List<String> V2_FILES = List.of("swarms-v2.dat", "blocks-v2.dat");

    /** Stripes of the per-swarm lock; a power of two, enough that two busy swarms rarely share one. */
    static final int LOCK_STRIPES = 1024;
    /**
     * Forced splits tried when a peer's block is full. Linear hashing reaches any given block within one round of
     * splits, so this bound is only for peer_ids whose hashes collide in more than 24 bits.
     */
    private static final int MAX_FORCED_SPLITS = MAX_BLOCKS;

    private static final double PEER_WARNING_FRACTION = 0.9;
    /** Chunk size of the swarm map (see {@link #swarmsBuilder}). */
    static final int SWARM_CHUNK_BYTES = 32;

    /** Block map first tier: one block per this many peers of the limit (see {@link #blocksBuilder}). */
    static final long PEERS_PER_FIRST_TIER_BLOCK = 32;

    /** Test hook: runs after each block write, before the swarm entry is written (crash-recovery tests). */
    static volatile Runnable afterBlockWrite;

    private final SwarmOptions options;
    private final ChronicleMap<byte[], SwarmValue> swarms;
    private final ChronicleMap<byte[], byte[]> blocks;
    private final long seed;
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
        final SwarmValue swarm = new SwarmValue();
        final byte[] infoHash = new byte[INFO_HASH_LENGTH];
        /** The block holding the announcing peer (found by {@link #find}). */
        final byte[] foundKey = new byte[BLOCK_KEY_LENGTH];

        final byte[] found = new byte[BLOCK_LENGTH];
        /** Blocks being written by an insert, split or merge. */
        final byte[] key1 = new byte[BLOCK_KEY_LENGTH];

        final byte[] block1 = new byte[BLOCK_LENGTH];
        final byte[] key2 = new byte[BLOCK_KEY_LENGTH];
        final byte[] block2 = new byte[BLOCK_LENGTH];
        /** Blocks read by selection. */
        final byte[] selKey = new byte[BLOCK_KEY_LENGTH];

        final byte[] sel = new byte[BLOCK_LENGTH];
        final byte[] entry = new byte[ENTRY6_LENGTH];
        /** One entry moving inline to blocks (not {@link #entry}, which holds the peer being inserted). */
        final byte[] moving = new byte[ENTRY6_LENGTH];
        /** Entries of a swarm moving between inline and blocks. */
        final byte[] gather = new byte[(INLINE_MAX_PEERS + 1) * ENTRY6_LENGTH];

        final int[] gatherCounts = new int[LIST_COUNT];
        /** The announcing peer's {@link StoreLayout#peerIdHash}: its identity and block placement. */
        long idHash;

        final int[] avail = new int[LIST_COUNT];
        final int[] quota = new int[LIST_COUNT];
        // where find() found the peer
        int fList;
        int fBlock; // -1: inline
        int fIndex;
        int fOff;
    }

    private ChronicleSwarmStore(
            SwarmOptions options,
            ChronicleMap<byte[], SwarmValue> swarms,
            ChronicleMap<byte[], byte[]> blocks,
            long seed,
            Path marker) {
        this.options = options;
        this.swarms = swarms;
        this.blocks = blocks;
        this.seed = seed;
        this.marker = marker;
        this.peerWarningThreshold = (long) Math.ceil(options.maxPeers() * PEER_WARNING_FRACTION);
        for (int i = 0; i < LOCK_STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    /** Opens (or creates, or recovers) the store described by {@code options}. */
    public static ChronicleSwarmStore open(SwarmOptions options) {
        ChronicleMapBuilder<byte[], SwarmValue> swarmsB = swarmsBuilder(options);
        ChronicleMapBuilder<byte[], byte[]> blocksB = blocksBuilder(options);
        Path dir = options.storePath();
        ChronicleSwarmStore store;
        boolean unclean = false;
        try {
            if (dir == null) {
                store = new ChronicleSwarmStore(
                        options, swarmsB.create(), blocksB.create(), new SecureRandom().nextLong(), null);
            } else {
                Files.createDirectories(dir);
                refuseOtherFormats(dir);
                long seed = readOrCreateFormatFile(dir);
                Path marker = dir.resolve(OPEN_MARKER);
                unclean = Files.exists(marker);
                if (unclean) {
                    LOG.warn("{} was not closed cleanly: recovering the swarm store", dir);
                }
                store = new ChronicleSwarmStore(
                        options,
                        openFile(swarmsB, dir.resolve(SWARMS_FILE), unclean),
                        openFile(blocksB, dir.resolve(BLOCKS_FILE), unclean),
                        seed,
                        marker);
                Files.write(marker, new byte[0]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the swarm store at " + dir, e);
        }
        if (unclean) {
            store.recoveredAtOpen = true;
            long repaired = store.repair();
            LOG.warn(
                    "recovered the swarm store at {}: {} torrents, {} peers ({} swarms repaired)",
                    dir,
                    store.torrentCount(),
                    store.peerCount.get(),
                    repaired);
        } else {
            store.recount();
        }
        return store;
    }

    private static void refuseOtherFormats(Path dir) {
        for (String name : V1_FILES) {
            if (Files.exists(dir.resolve(name))) {
                throw new IllegalStateException(dir + " holds a swarm store of format 1 (" + name
                        + "), which this version cannot read. To start fresh, stop the tracker and delete "
                        + String.join(", ", V1_FILES) + " and " + OPEN_MARKER + " from " + dir
                        + " (or set store.path to an empty directory): clients re-announce within one interval.");
            }
        }
    }

    /**
     * The format file: {@code hayate-swarm-store <version>} and the peer_id hash seed, written at creation. A store of
     * another format is refused with a message naming the directory, the format found and how to start fresh.
     */
    private static long readOrCreateFormatFile(Path dir) throws IOException {
        Path file = dir.resolve(FORMAT_FILE);
        if (!Files.exists(file)) {
            for (String name : List.of(SWARMS_FILE, BLOCKS_FILE, V2_FILES.get(0), V2_FILES.get(1))) {
                if (Files.exists(dir.resolve(name))) {
                    throw new IllegalStateException(dir + " holds swarm store files (" + name + ") but no "
                            + FORMAT_FILE + ", so their format is unknown. To start fresh, stop the tracker and"
                            + " delete the store's .dat files (" + name + " and the others) and " + OPEN_MARKER
                            + " from " + dir
                            + " (or set store.path to an empty directory): clients re-announce within one interval.");
                }
            }
            long seed = new SecureRandom().nextLong();
            Files.writeString(file, "hayate-swarm-store " + FORMAT_VERSION + "\nseed " + Long.toHexString(seed) + "\n");
            return seed;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.size() < 2
                || !lines.get(0).equals("hayate-swarm-store " + FORMAT_VERSION)
                || !lines.get(1).startsWith("seed ")) {
            String found = lines.isEmpty() ? "(empty)" : lines.get(0);
            String files = found.equals("hayate-swarm-store 2")
                    ? FORMAT_FILE + ", " + String.join(", ", V2_FILES) + " and " + OPEN_MARKER
                    : "its contents";
            throw new IllegalStateException(dir + " holds a swarm store of another format (" + FORMAT_FILE + ": "
                    + found + "), which this version cannot read: it reads format " + FORMAT_VERSION
                    + " only (a peer is identified by a 64-bit hash of its peer_id). To start fresh, stop the tracker"
                    + " and delete " + files + " from " + dir + " (or set store.path to an empty directory): clients"
                    + " re-announce within one interval.");
        }
        return Long.parseUnsignedLong(lines.get(1).substring(5).trim(), 16);
    }

    /**
     * Swarm map sizing. Configured for {@code maxTorrents} entries of the average size the limits imply; {@code
     * maxBloatFactor} lets Chronicle add segment tiers (allocated only when used) up to the worst case the limits
     * allow: every swarm at its largest inline size, so that only the store's own counters say "full". Chunks are
     * {@value #SWARM_CHUNK_BYTES} B whatever the average (Chronicle would pick 16-128 B from it): inline values grow
     * and shrink by one peer entry at a time and move inside their segment when they outgrow their chunks, and at the
     * churn soak's plateau 32 B chunks left 57 B resident per peer against 62 B with Chronicle's 128 B (RESULTS.md,
     * "Churn soak and store sizing"); 600k swarms of 3 peers take the same space as with Chronicle's 16 B.
     */
    static ChronicleMapBuilder<byte[], SwarmValue> swarmsBuilder(SwarmOptions o) {
        long torrents = o.maxTorrents();
        long perTorrent = Math.max(1, Math.min(INLINE_MAX_PEERS, ceilDiv(o.maxPeers(), torrents)));
        double average = HEADER_LENGTH + perTorrent * ENTRY4_LENGTH;
        long entries = torrents + 64;
        // worst case: every inline peer IPv6, as many swarms at the largest size as the peer limit allows
        double worstBytes = (double) torrents * BLOCKS_HEADER_LENGTH
                + Math.min(o.maxPeers(), torrents * INLINE_MAX_PEERS) * (double) ENTRY6_LENGTH;
        double configuredBytes = entries * average;
        double bloat = Math.min(1000, Math.max(4, 2 * worstBytes / configuredBytes + 2));
        return ChronicleMapBuilder.of(byte[].class, SwarmValue.class)
                .name("hayate-swarms")
                .constantKeySizeBySample(new byte[INFO_HASH_LENGTH])
                .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayAccess())
                .valueReaderAndDataAccess(new SwarmValue.Reader(), new SwarmValue.Access())
                .averageValueSize(average)
                .actualChunkSize(SWARM_CHUNK_BYTES)
                // the largest inline value, its key and Chronicle's size prefix
                .maxChunksPerEntry((int) ceilDiv(MAX_SWARM_VALUE + INFO_HASH_LENGTH + 8, SWARM_CHUNK_BYTES))
                .checksumEntries(false) // see repair(): a torn entry is better salvaged than dropped
                .entries(entries)
                .maxBloatFactor(bloat)
                .putReturnsNull(true)
                .removeReturnsNull(true);
    }

    /**
     * Block map sizing. The first tier holds {@code peers / }{@value #PEERS_PER_FIRST_TIER_BLOCK} blocks, about half
     * of what the limit needs with every peer in a large swarm (blocks are a quarter to half full): a lookup walks a
     * segment's tiers one after another, so a small first tier makes every block read slow once big swarms fill it
     * (at {@code peers / 256}, 5k blocks of a 100k-peer swarm made 13 tiers, and the tier walk was 57% of an announce;
     * see RESULTS.md "Store reads"). In memory the untouched tier costs no RSS; a persisted store allocates it on disk
     * up front (110 MB at the default 2M peers). {@code maxBloatFactor} lets it grow, tier by tier, to the worst case
     * the limits allow.
     */
    static ChronicleMapBuilder<byte[], byte[]> blocksBuilder(SwarmOptions o) {
        long peers = o.maxPeers();
        long entries = Math.max(256, peers / PEERS_PER_FIRST_TIER_BLOCK);
        // worst case: every big swarm just above the demotion limit, with 4 non-empty lists at a quarter load
        double worst = 4.0 * peers / (DEMOTE_PEERS + 1) + 4.0 * peers / blockCapacity(LIST_V6_LEECHERS) + 1024;
        double bloat = Math.min(1000, Math.max(4, 2 * worst / entries + 2));
        return ChronicleMapBuilder.of(byte[].class, byte[].class)
                .name("hayate-blocks")
                .constantKeySizeBySample(new byte[BLOCK_KEY_LENGTH])
                .constantValueSizeBySample(new byte[BLOCK_LENGTH])
                .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayAccess())
                .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayAccess())
                .checksumEntries(false) // see repair(): a torn block is better salvaged than dropped
                .entries(entries)
                .maxBloatFactor(bloat)
                .putReturnsNull(true)
                .removeReturnsNull(true);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static <V> ChronicleMap<byte[], V> openFile(
            ChronicleMapBuilder<byte[], V> builder, Path file, boolean recover) throws IOException {
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
        out.reset();
        if (addressLength != 4 && addressLength != 16) {
            return FailureReason.INVALID_IP;
        }
        int want = Math.min(Math.min(numWant, options.maxNumWant()), out.maxPeers);
        Scratch s = scratch.get();
        synchronized (stripeOf(request.infoHash)) {
            try {
                return announceLocked(s, request, address, addressLength, want, families, nowMillis, out);
            } catch (IllegalStateException e) {
                // Chronicle refused an insert: the sizing above makes this a bug, not a user-facing limit.
                LOG.error("swarm store map refused a write below the configured limits", e);
                out.reset();
                return FailureReason.TRACKER_FULL;
            }
        }
    }

    private FailureReason announceLocked(
            Scratch s,
            AnnounceRequest req,
            byte[] address,
            int addressLength,
            int numWant,
            int families,
            long nowMillis,
            AnnounceResponse out) {
        byte[] ih = req.infoHash;
        SwarmValue sv = s.swarm;
        byte[] v = sv.bytes;
        s.idHash = peerIdHash(req.peerId, 0, seed);
        boolean hasSwarm = swarms.getUsing(ih, sv) != null;
        if (!hasSwarm) {
            Arrays.fill(v, 0, HEADER_LENGTH, (byte) 0);
            sv.length = HEADER_LENGTH;
        }
        boolean exists = hasSwarm && find(s, ih, v, listOf(addressLength, req.left == 0));
        if (exists) {
            byte[] fb = s.fBlock < 0 ? v : s.found;
            if (!mayUpdate(fb, s.fOff, wireLength(s.fList), req, address, addressLength)) {
                return FailureReason.PEER_ID_IN_USE;
            }
        }
        if (req.event == AnnounceEvent.STOPPED) {
            if (exists) {
                removeFound(s, ih, sv);
                (isSeederList(s.fList) ? seeders : leechers).decrement();
                releasePeer();
                finish(s, ih, sv);
            }
            fillCounts(out, v);
            return null;
        }
        boolean seeder = req.left == 0;
        if (numWant > 0) {
            select(s, ih, v, seeder, exists ? s.fList : -1, exists ? s.fIndex : -1, numWant, families, out);
        }
        int newList = listOf(addressLength, seeder);
        int keyFlag = req.hasKey ? FLAG_HAS_KEY : 0;
        int keyHash = req.hasKey ? keyHash(req.key) : 0;
        int seen = seconds(nowMillis);
        if (!exists) {
            if (!reservePeer()) {
                out.reset();
                return FailureReason.TRACKER_FULL;
            }
            if (!hasSwarm && !reserveTorrent()) {
                releasePeer();
                out.reset();
                return FailureReason.TRACKER_FULL;
            }
            writeEntry(s.entry, 0, address, addressLength, req.port, s.idHash, seen, keyHash, keyFlag);
            if (!insert(s, ih, sv, newList, s.entry)) {
                releasePeer();
                if (hasSwarm) {
                    finish(s, ih, sv); // the swarm may have moved to blocks: write it as it now is
                } else {
                    torrentCount.decrementAndGet();
                }
                out.reset();
                return FailureReason.TRACKER_FULL; // a hash far from uniform; never seen in practice
            }
            (seeder ? seeders : leechers).increment();
        } else {
            int oldList = s.fList;
            byte[] fb = s.fBlock < 0 ? v : s.found;
            int flags = flags(fb, s.fOff, wireLength(oldList));
            boolean wasSeeder = isSeederList(oldList);
            boolean counted = req.event == AnnounceEvent.COMPLETED && !wasSeeder && (flags & FLAG_COMPLETED) == 0;
            if (counted) {
                setDownloaded(v, downloaded(v) + 1);
                flags |= FLAG_COMPLETED;
            }
            flags = (flags & FLAG_COMPLETED) | keyFlag;
            if (newList == oldList) {
                writeEntry(fb, s.fOff, address, addressLength, req.port, s.idHash, seen, keyHash, flags);
                if (s.fBlock >= 0) {
                    writeFoundInPlace(s, entryLength(oldList));
                    if (!counted) {
                        // a re-announce in blocks changes only its block: the swarm entry is as it was
                        fillCounts(out, v);
                        return null;
                    }
                }
            } else {
                removeFound(s, ih, sv);
                writeEntry(s.entry, 0, address, addressLength, req.port, s.idHash, seen, keyHash, flags);
                if (!insert(s, ih, sv, newList, s.entry)) {
                    // the peer is gone from its old list: account for it as removed
                    (wasSeeder ? seeders : leechers).decrement();
                    releasePeer();
                    finish(s, ih, sv);
                    out.reset();
                    return FailureReason.TRACKER_FULL;
                }
                if (wasSeeder != seeder) {
                    (seeder ? seeders : leechers).increment();
                    (seeder ? leechers : seeders).decrement();
                }
            }
        }
        finish(s, ih, sv);
        fillCounts(out, v);
        return null;
    }

    /**
     * The identity rule of the class javadoc: the same address may always update its own entry (aria2 sends a new
     * {@code key} with every UDP announce); another address only with the key the entry was stored with.
     */
    private static boolean mayUpdate(
            byte[] b, int off, int wireLength, AnnounceRequest req, byte[] address, int addressLength) {
        if (sameAddress(b, off, wireLength, address, addressLength)) {
            return true;
        }
        boolean storedKey = (flags(b, off, wireLength) & FLAG_HAS_KEY) != 0;
        return storedKey && req.hasKey && keyHash(b, off, wireLength) == keyHash(req.key);
    }

    /**
     * Finds the announcing peer ({@code s.idHash}) in the swarm; sets {@code s.f*} (in blocks, copies the entry alone
     * into {@code s.found} at {@code s.fOff}, its offset in the block; the block itself is read in place). In blocks,
     * the list the announce names ({@code likely}) is looked at first: a re-announce usually finds its peer in one
     * read.
     */
    private boolean find(Scratch s, byte[] ih, byte[] v, int likely) {
        if (mode(v) == MODE_INLINE) {
            int off = HEADER_LENGTH;
            for (int list = 0; list < LIST_COUNT; list++) {
                int n = count(v, list);
                int len = entryLength(list);
                int wire = wireLength(list);
                for (int i = 0; i < n; i++, off += len) {
                    if (idHash(v, off, wire) == s.idHash) {
                        s.fList = list;
                        s.fBlock = -1;
                        s.fIndex = i;
                        s.fOff = off;
                        return true;
                    }
                }
            }
            return false;
        }
        if (findInBlocks(s, ih, v, likely)) {
            return true;
        }
        for (int list = 0; list < LIST_COUNT; list++) {
            if (list != likely && findInBlocks(s, ih, v, list)) {
                return true;
            }
        }
        return false;
    }

    private boolean findInBlocks(Scratch s, byte[] ih, byte[] v, int list) {
        int nb = blockCount(v, list);
        if (nb == 0) {
            return false;
        }
        long h = s.idHash;
        int b = blockOf(h, nb);
        blockKey(s.foundKey, ih, list, b);
        if (blocks.getUsing(s.foundKey, s.found) == null) {
            return false; // only after a crash without recovery
        }
        int n = Math.max(0, Math.min(blockCapacity(list), getInt(s.found, B_COUNT)));
        int len = entryLength(list);
        int wire = wireLength(list);
        for (int i = 0, off = B_ENTRIES; i < n; i++, off += len) {
            if (idHash(s.found, off, wire) == h) {
                s.fList = list;
                s.fBlock = b;
                s.fIndex = i;
                s.fOff = off;
                return true;
            }
        }
        return false;
    }

    /** Removes the peer {@link #find} found (counts in {@code sv} updated, nothing rebalanced, sv not written). */
    private void removeFound(Scratch s, byte[] ih, SwarmValue sv) {
        byte[] v = sv.bytes;
        int list = s.fList;
        int len = entryLength(list);
        if (s.fBlock < 0) {
            System.arraycopy(v, s.fOff + len, v, s.fOff, sv.length - s.fOff - len);
            sv.length -= len;
        } else {
            removeFoundInPlace(s, len);
        }
        setCount(v, list, count(v, list) - 1);
    }

    /**
     * Inserts an entry into {@code list} (counts in {@code sv} updated, sv not written). A swarm passing the inline
     * limit moves to blocks first. False only when a block stays full after {@value #MAX_FORCED_SPLITS} splits.
     */
    private boolean insert(Scratch s, byte[] ih, SwarmValue sv, int list, byte[] entry) {
        byte[] v = sv.bytes;
        int len = entryLength(list);
        if (mode(v) == MODE_INLINE) {
            if (total(v) < INLINE_MAX_PEERS) {
                int off = inlineOffset(v, list, count(v, list));
                System.arraycopy(v, off, v, off + len, sv.length - off);
                System.arraycopy(entry, 0, v, off, len);
                sv.length += len;
                setCount(v, list, count(v, list) + 1);
                return true;
            }
            promote(s, ih, sv);
        }
        return insertIntoBlocks(s, ih, sv, list, entry);
    }

    private boolean insertIntoBlocks(Scratch s, byte[] ih, SwarmValue sv, int list, byte[] entry) {
        byte[] v = sv.bytes;
        int len = entryLength(list);
        int cap = blockCapacity(list);
        int nb = blockCount(v, list);
        byte[] b = s.block1;
        if (nb == 0) {
            Arrays.fill(b, (byte) 0);
            System.arraycopy(entry, 0, b, B_ENTRIES, len);
            putInt(b, B_COUNT, 1);
            blockKey(s.key1, ih, list, 0);
            putBlock(s.key1, b);
            setBlockCount(v, list, 1);
            setCount(v, list, count(v, list) + 1);
            return true;
        }
        long h = idHash(entry, 0, wireLength(list));
        blockKey(s.key1, ih, list, blockOf(h, nb));
        if (!appendInPlace(s.key1, entry, len, cap)) {
            // the block is full (or missing after a crash): split until the peer's block has room
            loadBlock(s, ih, list, blockOf(h, nb), s.key1, b);
            for (int tries = 0; getInt(b, B_COUNT) >= cap; tries++) {
                if (tries == MAX_FORCED_SPLITS || blockCount(v, list) >= MAX_BLOCKS) {
                    return false;
                }
                split(s, ih, sv, list);
                loadBlock(s, ih, list, blockOf(h, blockCount(v, list)), s.key1, b);
            }
            int n = getInt(b, B_COUNT);
            System.arraycopy(entry, 0, b, B_ENTRIES + n * len, len);
            putInt(b, B_COUNT, n + 1);
            putBlock(s.key1, b);
        }
        int c = count(v, list) + 1;
        setCount(v, list, c);
        nb = blockCount(v, list);
        if (c > splitThreshold(nb, cap) && nb < MAX_BLOCKS) {
            split(s, ih, sv, list);
        }
        return true;
    }

    /**
     * A list of {@code nb} blocks splits one more when it holds over {@value #SPLIT_NUMERATOR}/{@value
     * #SPLIT_DENOMINATOR} of a block per block of the lower level: the blocks not yet split at this level take twice
     * the share of the split ones, so this keeps the fullest blocks at three quarters of their capacity on average; a
     * block that fills up before its turn forces splits (see insert). Was a half: blocks a quarter to half full, and
     * a 50-peer answer read more of them (hot100k measured 5-10% faster at three quarters; RESULTS.md, "Churn soak and
     * store sizing").
     */
    private static long splitThreshold(int nb, int cap) {
        return (long) Integer.highestOneBit(nb) * cap * SPLIT_NUMERATOR / SPLIT_DENOMINATOR;
    }

    static final int SPLIT_NUMERATOR = 3;
    static final int SPLIT_DENOMINATOR = 4;

    /** Merges the last block while the list would stay under a quarter of the split fill (hysteresis). */
    private static long mergeThreshold(int nb, int cap) {
        return (long) Integer.highestOneBit(nb - 1) * cap * SPLIT_NUMERATOR / (4 * SPLIT_DENOMINATOR);
    }

    // ------------------------------------------------------------------------------- blocks read and written in place

    /*
     * Writes on the hot paths (a re-announce, an append, a removal) change a block where Chronicle keeps it, through
     * a query context held under the update lock for that one block and closed at once, instead of a put of the
     * whole block (1,732 B). The swarm's stripe lock keeps the block's content ours. A write in place changes the
     * same bytes a put of the whole block would have: what a crash can tear is unchanged (repair() reconciles blocks
     * with counts). Reads stay getUsing copies: reading in place through a query context measured slower than
     * Chronicle's getUsing path plus the copy (RESULTS.md, "Store reads"). Query contexts are per thread and reused:
     * nothing is allocated.
     */

    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    /** A big-endian int of the layout, read or written in place. */
    private static int bigEndian(int nativeOrder) {
        return NATIVE_BIG_ENDIAN ? nativeOrder : Integer.reverseBytes(nativeOrder);
    }

    /** The entry count of the block at {@code base}, within the list's capacity whatever a crash left there. */
    private static int blockEntries(RandomDataInput in, long base, int list) {
        return Math.max(0, Math.min(blockCapacity(list), bigEndian(in.readInt(base + B_COUNT))));
    }

    /** Writes back the entry {@link #find} copied into {@code s.found} (a re-announce in blocks). */
    private void writeFoundInPlace(Scratch s, int len) {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = blocks.queryContext(s.foundKey)) {
            c.updateLock().lock();
            Data<byte[]> d = presentBlock(c);
            ((BytesStore<?, ?>) d.bytes()).write(d.offset() + s.fOff, s.found, s.fOff, len);
        }
        afterBlockWritten();
    }

    /** Removes the entry {@link #find} found from its block: the block's last entry moves into its place. */
    private void removeFoundInPlace(Scratch s, int len) {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = blocks.queryContext(s.foundKey)) {
            c.updateLock().lock();
            Data<byte[]> d = presentBlock(c);
            BytesStore<?, ?> b = (BytesStore<?, ?>) d.bytes();
            long base = d.offset();
            int last = blockEntries(b, base, s.fList) - 1;
            int lastOff = B_ENTRIES + last * len;
            if (s.fOff < lastOff) {
                b.read(base + lastOff, s.moving, 0, len);
                b.write(base + s.fOff, s.moving, 0, len);
            }
            b.writeInt(base + B_COUNT, bigEndian(Math.max(0, last)));
        }
        afterBlockWritten();
    }

    /** Appends {@code entry} to the block named by {@code key}; false when it is full or missing (nothing written). */
    private boolean appendInPlace(byte[] key, byte[] entry, int len, int cap) {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = blocks.queryContext(key)) {
            c.updateLock().lock();
            MapEntry<byte[], byte[]> e = c.entry();
            if (e == null) {
                return false;
            }
            Data<byte[]> d = e.value();
            BytesStore<?, ?> b = (BytesStore<?, ?>) d.bytes();
            long base = d.offset();
            int n = bigEndian(b.readInt(base + B_COUNT));
            if (n < 0 || n >= cap) {
                return false;
            }
            b.write(base + B_ENTRIES + (long) n * len, entry, 0, len);
            b.writeInt(base + B_COUNT, bigEndian(n + 1));
        }
        afterBlockWritten();
        return true;
    }

    /** The value of a block that must exist: the swarm's stripe lock has been held since {@link #find} read it. */
    private static Data<byte[]> presentBlock(ExternalMapQueryContext<byte[], byte[], ?> c) {
        MapEntry<byte[], byte[]> e = c.entry();
        if (e == null) {
            throw new IllegalStateException("a block found under the swarm's lock is gone");
        }
        return e.value();
    }

    /** Reads block {@code b} of a list into {@code into} (an empty block if missing, which only a crash leaves). */
    private void loadBlock(Scratch s, byte[] ih, int list, int b, byte[] key, byte[] into) {
        blockKey(key, ih, list, b);
        if (blocks.getUsing(key, into) == null) {
            Arrays.fill(into, (byte) 0);
        }
    }

    private void putBlock(byte[] key, byte[] block) {
        blocks.put(key, block);
        afterBlockWritten();
    }

    private static void afterBlockWritten() {
        Runnable hook = afterBlockWrite;
        if (hook != null) {
            hook.run();
        }
    }

    /**
     * Linear hashing: adds block {@code n} to a list of {@code n} blocks and moves into it the entries of block {@code
     * n - 2^level} that now belong there. Crash order: the new block, then the swarm entry (so the new block is part
     * of the list), then the old block; a crash in between leaves entries in both, and {@link #repair()} drops the
     * misplaced copies.
     */
    private void split(Scratch s, byte[] ih, SwarmValue sv, int list) {
        byte[] v = sv.bytes;
        int nb = blockCount(v, list);
        int level = 31 - Integer.numberOfLeadingZeros(nb);
        int src = nb - (1 << level);
        int len = entryLength(list);
        int wire = wireLength(list);
        loadBlock(s, ih, list, src, s.key2, s.block2);
        byte[] fresh = s.sel; // selection is over when inserts run
        Arrays.fill(fresh, (byte) 0);
        int n = getInt(s.block2, B_COUNT);
        int kept = 0;
        int moved = 0;
        for (int i = 0; i < n; i++) {
            int off = B_ENTRIES + i * len;
            if (blockOf(idHash(s.block2, off, wire), nb + 1) == nb) { // the stored hash: no re-hash of ids
                System.arraycopy(s.block2, off, fresh, B_ENTRIES + moved++ * len, len);
            } else {
                if (kept != i) {
                    System.arraycopy(s.block2, off, s.block2, B_ENTRIES + kept * len, len);
                }
                kept++;
            }
        }
        putInt(fresh, B_COUNT, moved);
        putInt(s.block2, B_COUNT, kept);
        blockKey(s.selKey, ih, list, nb);
        putBlock(s.selKey, fresh);
        setBlockCount(v, list, nb + 1);
        swarms.put(ih, sv);
        putBlock(s.key2, s.block2);
    }

    /**
     * Linear hashing in reverse: folds the last block into its buddy when both fit in one. Crash order: the buddy
     * (holding both), the swarm entry, then the last block's removal. False when they do not fit.
     */
    private boolean merge(Scratch s, byte[] ih, SwarmValue sv, int list) {
        byte[] v = sv.bytes;
        int nb = blockCount(v, list);
        int last = nb - 1;
        int level = 31 - Integer.numberOfLeadingZeros(last);
        int buddy = last - (1 << level);
        int len = entryLength(list);
        loadBlock(s, ih, list, last, s.key1, s.block1);
        loadBlock(s, ih, list, buddy, s.key2, s.block2);
        int n1 = getInt(s.block1, B_COUNT);
        int n2 = getInt(s.block2, B_COUNT);
        if (n1 + n2 > blockCapacity(list)) {
            return false;
        }
        System.arraycopy(s.block1, B_ENTRIES, s.block2, B_ENTRIES + n2 * len, n1 * len);
        putInt(s.block2, B_COUNT, n1 + n2);
        putBlock(s.key2, s.block2);
        setBlockCount(v, list, last);
        swarms.put(ih, sv);
        blocks.remove(s.key1);
        return true;
    }

    /** Moves an inline swarm's peers into blocks (blocks first; the swarm entry is written by the caller). */
    private void promote(Scratch s, byte[] ih, SwarmValue sv) {
        byte[] v = sv.bytes;
        int payload = sv.length - HEADER_LENGTH;
        System.arraycopy(v, HEADER_LENGTH, s.gather, 0, payload);
        for (int list = 0; list < LIST_COUNT; list++) {
            s.gatherCounts[list] = count(v, list);
            setCount(v, list, 0);
            setBlockCount(v, list, 0);
        }
        v[S_MODE] = MODE_BLOCKS;
        sv.length = BLOCKS_HEADER_LENGTH;
        int off = 0;
        for (int list = 0; list < LIST_COUNT; list++) {
            int len = entryLength(list);
            for (int i = 0; i < s.gatherCounts[list]; i++, off += len) {
                System.arraycopy(s.gather, off, s.moving, 0, len);
                if (!insertIntoBlocks(s, ih, sv, list, s.moving)) {
                    throw new IllegalStateException("a fresh block list refused " + (i + 1) + " entries");
                }
            }
        }
    }

    /** Moves a swarm in blocks back inline (the swarm entry first, then the blocks are removed). */
    private void demote(Scratch s, byte[] ih, SwarmValue sv) {
        byte[] v = sv.bytes;
        int off = 0;
        int[] nbs = s.gatherCounts;
        for (int list = 0; list < LIST_COUNT; list++) {
            int len = entryLength(list);
            int nb = blockCount(v, list);
            nbs[list] = nb;
            int taken = 0;
            for (int b = 0; b < nb; b++) {
                loadBlock(s, ih, list, b, s.key1, s.block1);
                int n = Math.min(getInt(s.block1, B_COUNT), count(v, list) - taken);
                System.arraycopy(s.block1, B_ENTRIES, s.gather, off, n * len);
                off += n * len;
                taken += n;
            }
            setCount(v, list, taken);
        }
        v[S_MODE] = MODE_INLINE;
        System.arraycopy(s.gather, 0, v, HEADER_LENGTH, off);
        sv.length = HEADER_LENGTH + off;
        swarms.put(ih, sv);
        for (int list = 0; list < LIST_COUNT; list++) {
            for (int b = 0; b < nbs[list]; b++) {
                blockKey(s.key1, ih, list, b);
                blocks.remove(s.key1);
            }
        }
    }

    /** Rebalances a swarm in blocks after removals, then writes the swarm entry (or removes an empty swarm). */
    private void finish(Scratch s, byte[] ih, SwarmValue sv) {
        byte[] v = sv.bytes;
        if (mode(v) == MODE_BLOCKS) {
            if (total(v) <= DEMOTE_PEERS) {
                demote(s, ih, sv);
            } else {
                for (int list = 0; list < LIST_COUNT; list++) {
                    int nb = blockCount(v, list);
                    if (count(v, list) == 0 && nb > 0) {
                        setBlockCount(v, list, 0);
                        swarms.put(ih, sv);
                        for (int b = 0; b < nb; b++) {
                            blockKey(s.key1, ih, list, b);
                            blocks.remove(s.key1);
                        }
                        continue;
                    }
                    int cap = blockCapacity(list);
                    while (nb > 1 && count(v, list) < mergeThreshold(nb, cap) && merge(s, ih, sv, list)) {
                        nb--;
                    }
                }
            }
        }
        if (total(v) == 0) {
            swarms.remove(ih);
            torrentCount.decrementAndGet();
        } else {
            swarms.put(ih, sv);
        }
    }

    // ------------------------------------------------------------------------------------------------ selection

    /**
     * Fills {@code out} with up to {@code numWant} peers other than the requester ({@code selfList/selfIndex}, -1 when
     * new). Each candidate list gets a share of numWant proportional to its size (the remainder goes one by one from a
     * random list), and from each list a run of that many consecutive entries at a random start, wrapping around.
     */
    private void select(
            Scratch s,
            byte[] ih,
            byte[] v,
            boolean seeder,
            int selfList,
            int selfIndex,
            int numWant,
            int families,
            AnnounceResponse out) {
        int[] avail = s.avail;
        int[] quota = s.quota;
        long total = 0;
        for (int list = 0; list < LIST_COUNT; list++) {
            int family = isV6List(list) ? FAMILY_V6 : FAMILY_V4;
            int n = (seeder && isSeederList(list)) || (families & family) == 0
                    ? 0
                    : count(v, list) - (list == selfList ? 1 : 0);
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
        boolean inline = mode(v) == MODE_INLINE;
        for (int list = 0; list < LIST_COUNT; list++) {
            int q = quota[list];
            if (q == 0) {
                continue;
            }
            if (inline) {
                selectInline(v, list, q, avail[list], list == selfList ? selfIndex : -1, out, random);
            } else {
                selectBlocks(s, ih, v, list, q, list == selfList, out, random);
            }
        }
    }

    private static void selectInline(
            byte[] v, int list, int q, int avail, int skip, AnnounceResponse out, ThreadLocalRandom random) {
        int count = count(v, list);
        int base = inlineOffset(v, list, 0);
        int len = entryLength(list);
        int pos = q >= avail ? 0 : random.nextInt(count);
        while (q > 0) {
            if (pos != skip) {
                copyPeer(v, base + pos * len, list, out);
                q--;
            }
            pos = pos + 1 == count ? 0 : pos + 1;
        }
    }

    private void selectBlocks(
            Scratch s,
            byte[] ih,
            byte[] v,
            int list,
            int q,
            boolean skipSelf,
            AnnounceResponse out,
            ThreadLocalRandom random) {
        int nb = blockCount(v, list);
        int len = entryLength(list);
        int wire = wireLength(list);
        int b0 = random.nextInt(nb);
        int start = -1;
        for (int k = 0; k <= nb && q > 0; k++) {
            int b = k == nb ? b0 : (b0 + k) % nb;
            blockKey(s.selKey, ih, list, b);
            if (blocks.getUsing(s.selKey, s.sel) == null) {
                continue; // only after a crash without recovery; never answer garbage
            }
            int n = Math.max(0, Math.min(blockCapacity(list), getInt(s.sel, B_COUNT)));
            if (start < 0) {
                start = n == 0 ? 0 : random.nextInt(n);
            }
            int from = k == 0 ? start : 0;
            int to = k == nb ? Math.min(start, n) : n;
            for (int i = from; i < to && q > 0; i++) {
                int off = B_ENTRIES + i * len;
                if (skipSelf && idHash(s.sel, off, wire) == s.idHash) {
                    continue;
                }
                copyPeer(s.sel, off, list, out);
                q--;
            }
        }
    }

    /** Copies an entry's wire form (its first bytes) into the answer: all an answer carries of a peer. */
    private static void copyPeer(byte[] src, int off, int list, AnnounceResponse out) {
        if (isV6List(list)) {
            System.arraycopy(src, off, out.peers6, out.peers6Count++ * WIRE6_LENGTH, WIRE6_LENGTH);
        } else {
            System.arraycopy(src, off, out.peers4, out.peers4Count++ * WIRE4_LENGTH, WIRE4_LENGTH);
        }
    }

    private static void fillCounts(AnnounceResponse out, byte[] v) {
        out.complete = seeders(v);
        out.incomplete = leechers(v);
        out.downloaded = (int) Math.min(Integer.MAX_VALUE, downloaded(v));
    }

    // ------------------------------------------------------------------------------------------------ scrape

    @Override
    public void scrape(ScrapeRequest request, ScrapeResponse out) {
        Scratch s = scratch.get();
        int n = Math.min(request.count, out.complete.length);
        for (int i = 0; i < n; i++) {
            System.arraycopy(request.infoHashes, request.offsetOf(i), s.infoHash, 0, INFO_HASH_LENGTH);
            if (swarms.getUsing(s.infoHash, s.swarm) != null) {
                byte[] v = s.swarm.bytes;
                out.complete[i] = seeders(v);
                out.incomplete[i] = leechers(v);
                out.downloaded[i] = (int) Math.min(Integer.MAX_VALUE, downloaded(v));
            } else {
                out.complete[i] = 0;
                out.incomplete[i] = 0;
                out.downloaded[i] = 0;
            }
        }
        out.count = n;
    }

    // ------------------------------------------------------------------------------------------------ full scrape

    /**
     * Calls {@code visitor} once for every swarm with its counts, for the full scrape ({@link FullScrape}; a background
     * thread, never an IO thread). Each segment's keys and counts are copied out under that segment's lock only, as
     * {@link #sweep} reads them, and the visitor runs after the lock is released, so however slow it is, no announce
     * waits for it. Each swarm's counts are those of the moment its segment was read. Stops with an
     * {@link IllegalStateException} if the store is closed meanwhile.
     */
    public void forEachSwarm(FullScrape.Visitor visitor) {
        SegmentCopy copy = new SegmentCopy();
        int segments = swarms.segments();
        for (int segment = 0; segment < segments; segment++) {
            copy.count = 0;
            synchronized (sweepLock) { // close() takes it too: never read a closed map
                if (closed) {
                    throw new IllegalStateException("store closed");
                }
                try (MapSegmentContext<byte[], SwarmValue, ?> c = swarms.segmentContext(segment)) {
                    c.forEachSegmentEntry(copy);
                }
            }
            for (int i = 0; i < copy.count; i++) {
                visitor.swarm(copy.hashes, i * INFO_HASH_LENGTH, copy.seeders[i], copy.leechers[i], copy.downloaded[i]);
            }
        }
    }

    /** One segment's keys and counts; grows to the largest segment. */
    private static final class SegmentCopy implements Consumer<MapEntry<byte[], SwarmValue>> {
        final byte[] header = new byte[HEADER_LENGTH];
        byte[] hashes = new byte[INFO_HASH_LENGTH * 256];
        int[] seeders = new int[256];
        int[] leechers = new int[256];
        long[] downloaded = new long[256];
        int count;

        @Override
        public void accept(MapEntry<byte[], SwarmValue> entry) {
            Data<SwarmValue> d = entry.value();
            if (d.size() < HEADER_LENGTH) {
                return;
            }
            d.bytes().read(d.offset(), header, 0, HEADER_LENGTH);
            if (count == seeders.length) {
                int size = count * 2;
                hashes = Arrays.copyOf(hashes, size * INFO_HASH_LENGTH);
                seeders = Arrays.copyOf(seeders, size);
                leechers = Arrays.copyOf(leechers, size);
                downloaded = Arrays.copyOf(downloaded, size);
            }
            Data<byte[]> k = entry.key();
            k.bytes().read(k.offset(), hashes, count * INFO_HASH_LENGTH, INFO_HASH_LENGTH);
            seeders[count] = seeders(header);
            leechers[count] = leechers(header);
            downloaded[count] = downloaded(header);
            count++;
        }
    }

    // ------------------------------------------------------------------------------------------------ expiry

    /**
     * Collects the info_hashes of one segment's swarms that may hold expired peers (inline: one does; in blocks:
     * always, the blocks are checked under the stripe lock) while holding only that segment's lock. The buffer grows to
     * the largest segment's count and is reused, so a steady-state sweep allocates nothing per swarm.
     */
    private final class Sweeper implements Consumer<MapEntry<byte[], SwarmValue>> {
        final byte[] value = new byte[MAX_SWARM_VALUE];
        byte[] expired = new byte[INFO_HASH_LENGTH * 256];
        int expiredCount;
        long cutoff;

        @Override
        public void accept(MapEntry<byte[], SwarmValue> entry) {
            Data<SwarmValue> d = entry.value();
            int size = (int) Math.min(d.size(), value.length);
            d.bytes().read(d.offset(), value, 0, size);
            if (mode(value) == MODE_INLINE && !inlineHasExpired(value, cutoff)) {
                return;
            }
            Data<byte[]> k = entry.key();
            if ((expiredCount + 1) * INFO_HASH_LENGTH > expired.length) {
                expired = Arrays.copyOf(expired, expired.length * 2);
            }
            k.bytes().read(k.offset(), expired, expiredCount * INFO_HASH_LENGTH, INFO_HASH_LENGTH);
            expiredCount++;
        }
    }

    private static boolean inlineHasExpired(byte[] v, long cutoff) {
        int off = HEADER_LENGTH;
        for (int list = 0; list < LIST_COUNT; list++) {
            int n = count(v, list);
            int len = entryLength(list);
            int wire = wireLength(list);
            for (int i = 0; i < n; i++, off += len) {
                if (secondsToMillis(lastSeen(v, off, wire)) < cutoff) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public long sweep(long nowMillis) {
        long cutoff = nowMillis - options.peerTtlMillis();
        long removed = 0;
        Scratch s = scratch.get();
        synchronized (sweepLock) {
            Sweeper sw = sweeper;
            sw.cutoff = cutoff;
            int segments = swarms.segments();
            for (int segment = 0; segment < segments; segment++) {
                sw.expiredCount = 0;
                try (MapSegmentContext<byte[], SwarmValue, ?> c = swarms.segmentContext(segment)) {
                    c.forEachSegmentEntry(sw);
                }
                for (int i = 0; i < sw.expiredCount; i++) {
                    System.arraycopy(sw.expired, i * INFO_HASH_LENGTH, s.infoHash, 0, INFO_HASH_LENGTH);
                    synchronized (stripeOf(s.infoHash)) {
                        if (swarms.getUsing(s.infoHash, s.swarm) != null) {
                            removed += expire(s, s.infoHash, s.swarm, cutoff);
                        }
                    }
                }
            }
        }
        return removed;
    }

    /** Removes a swarm's peers last seen before {@code cutoff}; returns how many. */
    private long expire(Scratch s, byte[] ih, SwarmValue sv, long cutoff) {
        byte[] v = sv.bytes;
        int removed = 0;
        int removedSeeders = 0;
        if (mode(v) == MODE_INLINE) {
            int read = HEADER_LENGTH;
            int write = HEADER_LENGTH;
            for (int list = 0; list < LIST_COUNT; list++) {
                int n = count(v, list);
                int len = entryLength(list);
                int wire = wireLength(list);
                int kept = 0;
                for (int i = 0; i < n; i++, read += len) {
                    if (secondsToMillis(lastSeen(v, read, wire)) < cutoff) {
                        continue;
                    }
                    if (write != read) {
                        System.arraycopy(v, read, v, write, len);
                    }
                    write += len;
                    kept++;
                }
                setCount(v, list, kept);
                removed += n - kept;
                removedSeeders += isSeederList(list) ? n - kept : 0;
            }
            sv.length = write;
        } else {
            for (int list = 0; list < LIST_COUNT; list++) {
                int nb = blockCount(v, list);
                int len = entryLength(list);
                int wire = wireLength(list);
                int left = 0;
                for (int b = 0; b < nb; b++) {
                    loadBlock(s, ih, list, b, s.key1, s.block1);
                    int n = getInt(s.block1, B_COUNT);
                    int kept = 0;
                    for (int i = 0; i < n; i++) {
                        int off = B_ENTRIES + i * len;
                        if (secondsToMillis(lastSeen(s.block1, off, wire)) < cutoff) {
                            continue;
                        }
                        if (kept != i) {
                            System.arraycopy(s.block1, off, s.block1, B_ENTRIES + kept * len, len);
                        }
                        kept++;
                    }
                    if (kept != n) {
                        putInt(s.block1, B_COUNT, kept);
                        putBlock(s.key1, s.block1);
                    }
                    left += kept;
                }
                int n = count(v, list);
                setCount(v, list, left);
                removed += n - left;
                removedSeeders += isSeederList(list) ? n - left : 0;
            }
        }
        if (removed == 0) {
            return 0;
        }
        seeders.add(-removedSeeders);
        leechers.add(-(removed - removedSeeders));
        for (int i = 0; i < removed; i++) {
            releasePeer();
        }
        finish(s, ih, sv);
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

    private Object stripeOf(byte[] infoHash) {
        int h = (infoHash[0] & 0xFF)
                | (infoHash[1] & 0xFF) << 8
                | (infoHash[2] & 0xFF) << 16
                | (infoHash[3] & 0xFF) << 24;
        h ^= h >>> 16;
        h *= 0x45d9f3b;
        h ^= h >>> 16;
        return stripes[h & (LOCK_STRIPES - 1)];
    }

    // ------------------------------------------------------------------------------------------------ open/repair

    /** Keys and values of every swarm entry. Runs at open and in tests only, so it may allocate. */
    private List<byte[][]> swarmEntries(boolean blocksOnly) {
        List<byte[][]> all = new ArrayList<>();
        for (int segment = 0; segment < swarms.segments(); segment++) {
            try (MapSegmentContext<byte[], SwarmValue, ?> c = swarms.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> {
                    Data<SwarmValue> d = e.value();
                    byte[] value = new byte[(int) d.size()];
                    d.bytes().read(d.offset(), value, 0, value.length);
                    if (!blocksOnly || (value.length > 0 && mode(value) == MODE_BLOCKS)) {
                        all.add(new byte[][] {e.key().getUsing(new byte[INFO_HASH_LENGTH]), value});
                    }
                });
            }
        }
        return all;
    }

    /** Recomputes the in-JVM totals from the swarm entries (every open). */
    private void recount() {
        long[] totals = new long[3]; // torrents, seeders, leechers
        for (int segment = 0; segment < swarms.segments(); segment++) {
            try (MapSegmentContext<byte[], SwarmValue, ?> c = swarms.segmentContext(segment)) {
                byte[] v = new byte[HEADER_LENGTH];
                c.forEachSegmentEntry(e -> {
                    Data<SwarmValue> d = e.value();
                    d.bytes().read(d.offset(), v, 0, HEADER_LENGTH);
                    totals[0]++;
                    totals[1] += seeders(v);
                    totals[2] += leechers(v);
                });
            }
        }
        torrentCount.set(totals[0]);
        seeders.reset();
        seeders.add(totals[1]);
        leechers.reset();
        leechers.add(totals[2]);
        peerCount.set(totals[1] + totals[2]);
    }

    /**
     * Makes every swarm's parts agree after an unclean stop. Chronicle's entry checksums are off: a kill during an
     * in-place write leaves each byte old or new, and salvaging the entry keeps the other peers it holds, where a
     * checksum would drop them all. So: an inline swarm whose length disagrees with its counts is dropped, second
     * copies of a peer are dropped; for a swarm in blocks, entries found in a block they do not hash to (a split or
     * merge cut short, or a torn entry) and second copies of a peer (a move between lists cut short) are dropped, a
     * missing block is written empty, and the counts are recomputed from the blocks; blocks no swarm owns are removed. Then the totals
     * are recounted. Returns how many swarms were changed. Runs at open only, so it may allocate.
     */
    long repair() {
        long changed = 0;
        Scratch s = scratch.get();
        // One pass reading each entry in place; only the swarms that need work are copied out.
        List<byte[][]> suspects = new ArrayList<>();
        byte[] buf = new byte[MAX_SWARM_VALUE];
        for (int segment = 0; segment < swarms.segments(); segment++) {
            try (MapSegmentContext<byte[], SwarmValue, ?> c = swarms.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> {
                    Data<SwarmValue> d = e.value();
                    int size = (int) d.size();
                    boolean fits = size >= HEADER_LENGTH && size <= MAX_SWARM_VALUE;
                    if (fits) {
                        d.bytes().read(d.offset(), buf, 0, size);
                    }
                    boolean sound = fits
                            && mode(buf) == MODE_INLINE
                            && !badCounts(buf)
                            && inlineLength(buf) == size
                            && !hasDuplicate(buf);
                    if (!sound) {
                        byte[] key = e.key().getUsing(new byte[INFO_HASH_LENGTH]);
                        suspects.add(new byte[][] {key, fits ? Arrays.copyOf(buf, size) : new byte[0]});
                    }
                });
            }
        }
        for (byte[][] kv : suspects) {
            byte[] v = kv[1];
            boolean bad = v.length < HEADER_LENGTH
                    || (mode(v) == MODE_INLINE && (badCounts(v) || inlineLength(v) != v.length))
                    || (mode(v) == MODE_BLOCKS && v.length != BLOCKS_HEADER_LENGTH)
                    || (mode(v) != MODE_INLINE && mode(v) != MODE_BLOCKS);
            if (bad) {
                swarms.remove(kv[0]);
                changed++;
            } else if (mode(v) == MODE_INLINE) {
                if (dedupeInline(v, s.swarm)) {
                    swarms.put(kv[0], s.swarm);
                    changed++;
                }
            } else if (repairBlocks(s, kv[0], v)) {
                changed++;
            }
        }
        // blocks no swarm owns (a promotion, demotion or merge cut short)
        List<byte[]> orphans = new ArrayList<>();
        for (int segment = 0; segment < blocks.segments(); segment++) {
            try (MapSegmentContext<byte[], byte[], ?> c = blocks.segmentContext(segment)) {
                c.forEachSegmentEntry(e -> orphans.add(e.key().getUsing(new byte[BLOCK_KEY_LENGTH])));
            }
        }
        for (byte[] key : orphans) {
            System.arraycopy(key, 0, s.infoHash, 0, INFO_HASH_LENGTH);
            int list = key[INFO_HASH_LENGTH] & 0xFF;
            int b = getInt(key, INFO_HASH_LENGTH) & 0xFF_FFFF;
            boolean owned = list < LIST_COUNT
                    && swarms.getUsing(s.infoHash, s.swarm) != null
                    && mode(s.swarm.bytes) == MODE_BLOCKS
                    && b < blockCount(s.swarm.bytes, list);
            if (!owned) {
                blocks.remove(key);
            }
        }
        recount();
        return changed;
    }

    /** {@link #repair()} of one swarm in blocks (its stored value in {@code stored}); true when it changed it. */
    private boolean repairBlocks(Scratch s, byte[] ih, byte[] stored) {
        byte[] v = s.swarm.bytes;
        System.arraycopy(stored, 0, v, 0, stored.length);
        s.swarm.length = stored.length;
        Set<Long> ids = new HashSet<>();
        boolean dirty = false;
        for (int list = 0; list < LIST_COUNT; list++) {
            int nb = blockCount(v, list);
            int len = entryLength(list);
            int wire = wireLength(list);
            int left = 0;
            for (int b = 0; b < nb; b++) {
                loadBlock(s, ih, list, b, s.key1, s.block1);
                int n = Math.max(0, Math.min(getInt(s.block1, B_COUNT), blockCapacity(list)));
                int kept = 0;
                for (int i = 0; i < n; i++) {
                    int off = B_ENTRIES + i * len;
                    long id = idHash(s.block1, off, wire);
                    if (blockOf(id, nb) != b || !ids.add(id)) {
                        continue;
                    }
                    if (kept != i) {
                        System.arraycopy(s.block1, off, s.block1, B_ENTRIES + kept * len, len);
                    }
                    kept++;
                }
                if (kept != getInt(s.block1, B_COUNT) || blocks.getUsing(s.key1, s.block2) == null) {
                    putInt(s.block1, B_COUNT, kept);
                    blocks.put(s.key1, s.block1);
                    dirty = true;
                }
                left += kept;
            }
            if (count(v, list) != left) {
                setCount(v, list, left);
                dirty = true;
            }
        }
        if (dirty) {
            if (total(v) == 0) {
                swarms.remove(ih);
            } else {
                swarms.put(ih, s.swarm);
            }
        }
        return dirty;
    }

    /** True when an inline swarm value holds a peer (a peer_id hash) twice. */
    private static boolean hasDuplicate(byte[] v) {
        int total = total(v);
        for (int i = 0; i < total; i++) {
            long a = getLong(v, inlineIdOffset(v, i));
            for (int j = i + 1; j < total; j++) {
                if (getLong(v, inlineIdOffset(v, j)) == a) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Offset of the peer_id hash of the {@code k}-th entry of an inline value, over all lists. */
    private static int inlineIdOffset(byte[] v, int k) {
        for (int list = 0; list < LIST_COUNT; list++) {
            int n = count(v, list);
            if (k < n) {
                return inlineOffset(v, list, k) + wireLength(list) + E_PEER_ID_HASH;
            }
            k -= n;
        }
        throw new IllegalArgumentException("entry " + k);
    }

    /**
     * Drops second copies of a peer from an inline swarm value (an in-place write torn by a kill); when it changed
     * anything, leaves the fixed value in {@code out} and returns true.
     */
    private static boolean dedupeInline(byte[] v, SwarmValue out) {
        Set<Long> ids = new HashSet<>();
        byte[] o = out.bytes;
        System.arraycopy(v, 0, o, 0, HEADER_LENGTH);
        int read = HEADER_LENGTH;
        int write = HEADER_LENGTH;
        boolean changed = false;
        for (int list = 0; list < LIST_COUNT; list++) {
            int n = count(v, list);
            int len = entryLength(list);
            int wire = wireLength(list);
            int kept = 0;
            for (int i = 0; i < n; i++, read += len) {
                if (!ids.add(idHash(v, read, wire))) {
                    changed = true;
                    continue;
                }
                System.arraycopy(v, read, o, write, len);
                write += len;
                kept++;
            }
            setCount(o, list, kept);
        }
        out.length = write;
        return changed;
    }

    private static boolean badCounts(byte[] v) {
        for (int list = 0; list < LIST_COUNT; list++) {
            if (count(v, list) < 0 || count(v, list) > INLINE_MAX_PEERS) {
                return true;
            }
        }
        return total(v) > INLINE_MAX_PEERS || total(v) == 0;
    }

    /** Test hook: the block map, to damage a swarm's parts the way a crash could. */
    ChronicleMap<byte[], byte[]> blocksMap() {
        return blocks;
    }

    /** Test hook: the swarm map. */
    ChronicleMap<byte[], SwarmValue> swarmsMap() {
        return swarms;
    }

    /**
     * Test hook: checks every invariant, returns a description of the first violation or null. Allocates. Inline
     * swarms: the length matches the counts, no swarm is empty, at most {@value StoreLayout#INLINE_MAX_PEERS} peers.
     * Swarms in blocks: every block of a list exists, holds only entries that hash to it, the blocks add up to the
     * list's count, no peer (peer_id hash) twice. No block without its swarm. The totals match.
     */
    String verify() {
        long seen = 0;
        long seenSeeders = 0;
        long torrents = 0;
        long ownedBlocks = 0;
        for (byte[][] kv : swarmEntries(false)) {
            byte[] ih = kv[0];
            byte[] v = kv[1];
            torrents++;
            seen += total(v);
            seenSeeders += seeders(v);
            if (total(v) == 0) {
                return "empty swarm kept";
            }
            if (mode(v) == MODE_INLINE) {
                if (inlineLength(v) != v.length || total(v) > INLINE_MAX_PEERS) {
                    return "inline swarm length " + v.length + " disagrees with its counts";
                }
                Set<Long> ids = new HashSet<>();
                for (int list = 0; list < LIST_COUNT; list++) {
                    for (int i = 0; i < count(v, list); i++) {
                        if (!ids.add(idHash(v, inlineOffset(v, list, i), wireLength(list)))) {
                            return "peer twice in an inline swarm";
                        }
                    }
                }
                continue;
            }
            if (total(v) <= DEMOTE_PEERS) {
                return "swarm of " + total(v) + " peers left in blocks";
            }
            Set<Long> ids = new HashSet<>();
            for (int list = 0; list < LIST_COUNT; list++) {
                int nb = blockCount(v, list);
                int len = entryLength(list);
                int wire = wireLength(list);
                long sum = 0;
                for (int b = 0; b < nb; b++) {
                    byte[] key = new byte[BLOCK_KEY_LENGTH];
                    blockKey(key, ih, list, b);
                    byte[] block = blocks.get(key);
                    if (block == null) {
                        return "block " + b + " of list " + list + " missing";
                    }
                    ownedBlocks++;
                    int n = getInt(block, B_COUNT);
                    for (int i = 0; i < n; i++) {
                        int off = B_ENTRIES + i * len;
                        long id = idHash(block, off, wire);
                        if (blockOf(id, nb) != b) {
                            return "entry in a block it does not hash to";
                        }
                        if (!ids.add(id)) {
                            return "peer twice in a swarm";
                        }
                    }
                    sum += n;
                }
                if (sum != count(v, list)) {
                    return "list " + list + " counts " + count(v, list) + " but its blocks hold " + sum;
                }
            }
        }
        if (blocks.longSize() != ownedBlocks) {
            return (blocks.longSize() - ownedBlocks) + " blocks without a swarm";
        }
        if (seenSeeders != seederCount() || seen - seenSeeders != leecherCount()) {
            return "counters " + seederCount() + "/" + leecherCount() + " but entries " + seenSeeders + "/"
                    + (seen - seenSeeders);
        }
        if (torrents != torrentCount() || seen != peerCount()) {
            return "torrent or peer counter off: " + torrentCount() + "/" + peerCount() + " vs " + torrents + "/"
                    + seen;
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
            closeMap(swarms);
            closeMap(blocks);
            if (marker != null) {
                try {
                    Files.deleteIfExists(marker);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: the next open will run recovery ({})", marker, e.toString());
                }
            }
        }
    }

    /**
     * Closes one map, retrying a close that Chronicle's pre-close check threw out of. Chronicle Map 2026.1's
     * {@code VanillaChronicleHash.assertCloseable} (run by {@code AbstractCloseable.close} before it changes any state)
     * streams over the per-thread contexts and was seen to throw a {@code NullPointerException} at shutdown when a
     * context was released concurrently (release test, SIGTERM right after a /metrics scrape). Nothing is closed yet
     * when it throws, so calling close again is a whole, valid close.
     */
    private static void closeMap(ChronicleMap<?, ?> map) {
        for (int attempt = 1; ; attempt++) {
            try {
                map.close();
                return;
            } catch (RuntimeException e) {
                if (attempt == 5) {
                    throw e;
                }
                LOG.warn("closing the store: Chronicle's pre-close check failed ({}); retrying", e.toString());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
