package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Every off-heap layout of the store (format 3): the values of its two Chronicle maps and the peer entry they hold.
 * Multi-byte numbers are big-endian. Allocation-free.
 *
 * <h2>peer entry: a peer is stored once</h2>
 *
 * <pre>
 * IPv4, 24 B
 * +---------+------------+----------+---------+-------+-----+
 * | ip,port | peerIdHash | lastSeen | keyHash | flags | pad |
 * | 0..5    | 6..13      | 14..17   | 18..21  |  22   | 23  |
 * +---------+------------+----------+---------+-------+-----+
 * IPv6, 36 B
 * +----------+------------+----------+---------+-------+-----+
 * | ip,port  | peerIdHash | lastSeen | keyHash | flags | pad |
 * | 0..17    | 18..25     | 26..29   | 30..33  |  34   | 35  |
 * +----------+------------+----------+---------+-------+-----+
 * </pre>
 *
 * The compact wire form (BEP 23 / BEP 7) comes first, so writing a response is a copy. {@code peerIdHash} is
 * {@link #peerIdHash}: a 64-bit hash of the 20-byte peer_id under the store's secret seed (kept in its format file,
 * so it is the same after a restart). It is the peer's identity (two announces are the same peer when their hashes
 * are equal) and its block's address in a large swarm; the peer_id itself is not stored, so {@code compact=0}
 * answers carry {@code ip} and {@code port} only (the form BEP 23's {@code no_peer_id=1} asks for). With the seed
 * secret, nobody can choose a peer_id that collides with another peer's; by chance, two of a swarm's {@code n}
 * peers share a hash with probability about {@code n^2 / 2^65} (1e-9 for a 200,000-peer swarm). {@code lastSeen} is
 * unsigned seconds since the Unix epoch, rounded up (a peer expires up to a second late, never early). {@code
 * keyHash} is 32 bits of the BEP 3 {@code key}. {@code flags}: {@link #FLAG_HAS_KEY}, {@link #FLAG_COMPLETED}.
 * Whether a peer seeds follows from the list it is in. Format 2 kept the full 20-byte peer_id here (36 B / 48 B
 * entries); the hash saves 12 B per peer (see {@code benchmarks/RESULTS.md}, "Store format 3").
 *
 * <h2>swarms: one entry per swarm, key = info_hash (20 B), value of variable size</h2>
 *
 * <pre>
 * +------+-----+-----------+-----------+-----------+-----------+------------+
 * | mode | pad | count L0  | count L1  | count L2  | count L3  | downloaded |  header, 28 B
 * |  0   | 1..3| 4..7      | 8..11     | 12..15    | 16..19    | 20..27     |
 * +------+-----+-----------+-----------+-----------+-----------+------------+
 * mode 0 (inline, at most {@value #INLINE_MAX_PEERS} peers):  28..  entries of L0, then L1, L2, L3 (24 or 36 B each)
 * mode 1 (blocks):                                              28..43 block count of L0..L3 (4 x int32)
 * </pre>
 *
 * Lists: L0 IPv4 leechers, L1 IPv4 seeders, L2 IPv6 leechers, L3 IPv6 seeders, so a seeder's leechers-only answer
 * reads only leecher entries. A swarm lives inline (one Chronicle entry holds its counts and all its peers: one read
 * answers an announce) until it passes {@value #INLINE_MAX_PEERS} peers, then moves to blocks; it moves back inline
 * when it falls to {@value #DEMOTE_PEERS}.
 *
 * <h2>blocks: the peers of one list of a large swarm, linear hashing on the peer_id hash</h2>
 *
 * <pre>
 * key (24 B)                                 value ({@value #BLOCK_LENGTH} B)
 * +-----------+------+--------------+        +-------+--------------------------------------------------+
 * | info_hash | list | block number |        | count | entries: 72 x 24 B (IPv4) or 48 x 36 B (IPv6)    |
 * | 0..19     |  20  | 21..23       |        | 0..3  | 4..1731                                          |
 * +-----------+------+--------------+        +-------+--------------------------------------------------+
 * </pre>
 *
 * A list of {@code n} blocks puts a peer in block {@code h mod 2^(l+1)}, or {@code h mod 2^l} when that is {@code >= n}
 * ({@code l = floor(log2 n)}, {@code h} the entry's {@code peerIdHash}): finding a peer is one block read whatever the
 * swarm size, and a split moves entries by their stored hash. A list of {@code n} blocks splits one more when it holds
 * over three quarters of a block per block of level {@code l} ({@code 2^l * capacity * 3 / 4} entries), so blocks are
 * three eighths to three quarters full (a block that fills up first forces a split), and merges its last block under
 * three sixteenths. A 50-peer answer reads consecutive blocks (27 to 54 IPv4 entries each) from a random start.
 *
 * <h2>sizing policy (measured: benchmarks/RESULTS.md, "Churn soak and store sizing")</h2>
 *
 * A block costs its whole value whatever it holds, and every non-empty list of a swarm in blocks has at least one:
 * with format 2's 16-peer inline limit, a swarm of 17-30 peers in blocks took 1,732 B per list for 5-10 entries
 * (about 120 B per peer at the churn soak's plateau). Up to {@value #INLINE_MAX_PEERS} peers a swarm therefore stays
 * one entry sized to its content (the entry length per peer plus Chronicle's chunk rounding), which also answers a
 * 50-peer announce from that one read.
 */
final class StoreLayout {
    private StoreLayout() {}

    /** Written to the store's format file; a store of another format is refused at open. */
    static final int FORMAT_VERSION = 3;

    static final int INFO_HASH_LENGTH = AnnounceRequest.INFO_HASH_LENGTH;
    static final int PEER_ID_LENGTH = AnnounceRequest.PEER_ID_LENGTH;

    // --- peer entry (offsets after the wire form)
    static final int WIRE4_LENGTH = 6;
    static final int WIRE6_LENGTH = 18;
    static final int E_PEER_ID_HASH = 0;
    static final int E_LAST_SEEN = 8;
    static final int E_KEY_HASH = 12;
    static final int E_FLAGS = 16;
    static final int ENTRY_TAIL = 18;
    static final int ENTRY4_LENGTH = WIRE4_LENGTH + ENTRY_TAIL;
    static final int ENTRY6_LENGTH = WIRE6_LENGTH + ENTRY_TAIL;

    static final int FLAG_HAS_KEY = 1;
    /** This peer's {@code completed} was counted already: count it once per peer. */
    static final int FLAG_COMPLETED = 2;

    // --- swarm value
    static final int LIST_COUNT = 4;
    static final int LIST_V4_LEECHERS = 0;
    static final int LIST_V4_SEEDERS = 1;
    static final int LIST_V6_LEECHERS = 2;
    static final int LIST_V6_SEEDERS = 3;
    static final int MODE_INLINE = 0;
    static final int MODE_BLOCKS = 1;
    static final int S_MODE = 0;
    static final int S_COUNTS = 4;
    static final int S_DOWNLOADED = 20;
    static final int HEADER_LENGTH = 28;
    static final int S_BLOCK_COUNTS = HEADER_LENGTH;
    static final int BLOCKS_HEADER_LENGTH = HEADER_LENGTH + 16;

    /**
     * Peers a swarm holds inline at most. Most swarms have 1-3 peers; 64 keeps every swarm a 50-peer answer can cover
     * in one entry (one read answers it), at the entry length per peer, where a swarm in blocks pays a whole block per
     * non-empty list; an inline announce copies at most {@value #MAX_SWARM_VALUE} B in and out (all IPv6). Was 16:
     * the churn soak's plateau held 1 in 4 swarms (12-31 peers) in blocks a sixth full.
     */
    static final int INLINE_MAX_PEERS = 64;
    /** A swarm in blocks that falls to this many peers moves back inline (hysteresis against flapping). */
    static final int DEMOTE_PEERS = INLINE_MAX_PEERS / 2;

    static final int MAX_SWARM_VALUE = HEADER_LENGTH + INLINE_MAX_PEERS * ENTRY6_LENGTH;

    // --- blocks
    static final int BLOCK_KEY_LENGTH = INFO_HASH_LENGTH + 4;
    static final int B_COUNT = 0;
    static final int B_ENTRIES = 4;
    static final int BLOCK_ENTRY_BYTES = 1728; // 72 x 24 = 48 x 36: whole entries of both families
    static final int BLOCK_LENGTH = B_ENTRIES + BLOCK_ENTRY_BYTES;
    static final int MAX_BLOCKS = 1 << 24;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    static int listOf(int addressLength, boolean seeder) {
        return (addressLength == 16 ? LIST_V6_LEECHERS : LIST_V4_LEECHERS) + (seeder ? 1 : 0);
    }

    static boolean isSeederList(int list) {
        return (list & 1) != 0;
    }

    static boolean isV6List(int list) {
        return list >= LIST_V6_LEECHERS;
    }

    static int wireLength(int list) {
        return isV6List(list) ? WIRE6_LENGTH : WIRE4_LENGTH;
    }

    static int entryLength(int list) {
        return isV6List(list) ? ENTRY6_LENGTH : ENTRY4_LENGTH;
    }

    /** Entries one block of this list holds. */
    static int blockCapacity(int list) {
        return BLOCK_ENTRY_BYTES / entryLength(list);
    }

    static int getInt(byte[] b, int offset) {
        return (int) INT.get(b, offset);
    }

    static void putInt(byte[] b, int offset, int v) {
        INT.set(b, offset, v);
    }

    static long getLong(byte[] b, int offset) {
        return (long) LONG.get(b, offset);
    }

    static void putLong(byte[] b, int offset, long v) {
        LONG.set(b, offset, v);
    }

    // --- swarm value
    static int mode(byte[] v) {
        return v[S_MODE];
    }

    static int count(byte[] v, int list) {
        return getInt(v, S_COUNTS + 4 * list);
    }

    static void setCount(byte[] v, int list, int n) {
        putInt(v, S_COUNTS + 4 * list, n);
    }

    static int seeders(byte[] v) {
        return count(v, LIST_V4_SEEDERS) + count(v, LIST_V6_SEEDERS);
    }

    static int leechers(byte[] v) {
        return count(v, LIST_V4_LEECHERS) + count(v, LIST_V6_LEECHERS);
    }

    static int total(byte[] v) {
        return seeders(v) + leechers(v);
    }

    static long downloaded(byte[] v) {
        return getLong(v, S_DOWNLOADED);
    }

    static void setDownloaded(byte[] v, long d) {
        putLong(v, S_DOWNLOADED, d);
    }

    static int blockCount(byte[] v, int list) {
        return getInt(v, S_BLOCK_COUNTS + 4 * list);
    }

    static void setBlockCount(byte[] v, int list, int n) {
        putInt(v, S_BLOCK_COUNTS + 4 * list, n);
    }

    /** Offset of entry {@code index} of {@code list} in an inline swarm value. */
    static int inlineOffset(byte[] v, int list, int index) {
        int off = HEADER_LENGTH;
        for (int l = 0; l < list; l++) {
            off += count(v, l) * entryLength(l);
        }
        return off + index * entryLength(list);
    }

    /** Length of an inline swarm value with these counts. */
    static int inlineLength(byte[] v) {
        return inlineOffset(v, LIST_COUNT, 0);
    }

    // --- entries (at {@code off} in any buffer)
    static void writeEntry(
            byte[] b,
            int off,
            byte[] address,
            int addressLength,
            int port,
            long peerIdHash,
            int lastSeen,
            int keyHash,
            int flags) {
        System.arraycopy(address, 0, b, off, addressLength);
        b[off + addressLength] = (byte) (port >>> 8);
        b[off + addressLength + 1] = (byte) port;
        int t = off + addressLength + 2;
        putLong(b, t + E_PEER_ID_HASH, peerIdHash);
        putInt(b, t + E_LAST_SEEN, lastSeen);
        putInt(b, t + E_KEY_HASH, keyHash);
        b[t + E_FLAGS] = (byte) flags;
        b[t + E_FLAGS + 1] = 0;
    }

    /** The entry's {@link #peerIdHash}: its identity and its block placement. */
    static long idHash(byte[] b, int off, int wireLength) {
        return getLong(b, off + wireLength + E_PEER_ID_HASH);
    }

    static int lastSeen(byte[] b, int off, int wireLength) {
        return getInt(b, off + wireLength + E_LAST_SEEN);
    }

    static int keyHash(byte[] b, int off, int wireLength) {
        return getInt(b, off + wireLength + E_KEY_HASH);
    }

    static int flags(byte[] b, int off, int wireLength) {
        return b[off + wireLength + E_FLAGS];
    }

    /** True when the entry's address (not port) equals {@code address}; the family is the list's. */
    static boolean sameAddress(byte[] b, int off, int wireLength, byte[] address, int addressLength) {
        if (wireLength - 2 != addressLength) {
            return false;
        }
        for (int i = 0; i < addressLength; i++) {
            if (b[off + i] != address[i]) {
                return false;
            }
        }
        return true;
    }

    static boolean sameWire(byte[] b, int off, byte[] address, int addressLength, int port) {
        for (int i = 0; i < addressLength; i++) {
            if (b[off + i] != address[i]) {
                return false;
            }
        }
        return (b[off + addressLength] & 0xFF) == (port >>> 8) && (b[off + addressLength + 1] & 0xFF) == (port & 0xFF);
    }

    /** Unsigned seconds since the Unix epoch, rounded up. */
    static int seconds(long nowMillis) {
        return (int) Math.max(0, Math.min(0xFFFF_FFFFL, Math.floorDiv(nowMillis + 999, 1000)));
    }

    static long secondsToMillis(int seconds) {
        return (seconds & 0xFFFF_FFFFL) * 1000;
    }

    static int keyHash(long key) {
        return (int) (key ^ (key >>> 32));
    }

    // --- blocks
    static void blockKey(byte[] key, byte[] infoHash, int list, int block) {
        System.arraycopy(infoHash, 0, key, 0, INFO_HASH_LENGTH);
        putInt(key, INFO_HASH_LENGTH, (list << 24) | block);
    }

    static int blockOf(long hash, int blocks) {
        int level = 31 - Integer.numberOfLeadingZeros(blocks);
        int b = (int) (hash & ((2L << level) - 1));
        return b >= blocks ? (int) (hash & ((1L << level) - 1)) : b;
    }

    /**
     * Seeded 64-bit hash of the 20-byte peer_id at {@code off}: a peer's identity in the store and its block placement
     * (format 3). The seed is the store's secret (its format file), so the hash is stable across restarts and a
     * client cannot craft a peer_id that collides with another peer's.
     */
    static long peerIdHash(byte[] b, int off, long seed) {
        long h = seed;
        h = mix(h ^ getLong(b, off));
        h = mix(h ^ getLong(b, off + 8));
        h = mix(h ^ getInt(b, off + 16));
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
