package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Baseline copy (format 1, main at dee6f77) for {@link SwarmStoreBenchmark}; see {@link V1ChronicleSwarmStore}.
 *
 * <p>Every off-heap layout of the store: keys and values of its three Chronicle maps. All are fixed-size byte arrays,
 * so that an update overwrites an entry in place (no reallocation, no fragmentation) and a read copies into a
 * reused scratch array. Multi-byte numbers are big-endian. Allocation-free.
 *
 * <h2>peers: one record per peer (source of truth)</h2>
 *
 * <pre>
 * key (40 B)                          value (40 B)
 * +-----------+-----------+           +---------------+------+------+-------+------+----------+-------------+
 * | info_hash | peer_id   |           | address       | port | alen | flags | slot | key hash | lastSeen ms |
 * | 0..19     | 20..39    |           | 0..15         |16..17|  18  |  19   |20..23| 24..31   | 32..39      |
 * +-----------+-----------+           +---------------+------+------+-------+------+----------+-------------+
 * </pre>
 *
 * {@code alen} is 4 or 16 (IPv4 uses bytes 0..3). {@code flags}: {@link #FLAG_SEEDER}, {@link #FLAG_HAS_KEY},
 * {@link #FLAG_COMPLETED}. {@code slot} is where the peer sits in its list (see pages); its list follows from
 * {@code alen} and the seeder flag ({@link #listOf}).
 *
 * <h2>swarms: one header per swarm</h2>
 *
 * <pre>
 * key (20 B)    value (24 B)
 * +-----------+ +-------------+-------------+-------------+-------------+------------+
 * | info_hash | | count list0 | count list1 | count list2 | count list3 | downloaded |
 * | 0..19     | | 0..3        | 4..7        | 8..11       | 12..15      | 16..23     |
 * +-----------+ +-------------+-------------+-------------+-------------+------------+
 * </pre>
 *
 * Lists: 0 IPv4 leechers, 1 IPv4 seeders, 2 IPv6 leechers, 3 IPv6 seeders. Seeders = list1 + list3, leechers =
 * list0 + list2, so the counts are exact by construction.
 *
 * <h2>pages: the peers of one list, {@value #PAGE_ENTRIES} per page</h2>
 *
 * <pre>
 * key (24 B)                                   value ({@value #PAGE_ENTRIES} x 40 B)
 * +-----------+-----------------------------+  +-------------------------------------+-----------+-----+
 * | info_hash | list (2 bits) | page number |  | compact wire form: addr (4|16), port | peer_id   | pad | x16
 * | 0..19     | 20..23, list &lt;&lt; 28 | page  |  | 0..17 (v4 uses 0..5)                | 18..37    |38.39|
 * +-----------+-----------------------------+  +-------------------------------------+-----------+-----+
 * </pre>
 *
 * Slot {@code s} of a list is entry {@code s % PAGE_ENTRIES} of page {@code s / PAGE_ENTRIES}. A list is dense:
 * removal moves the last entry into the hole (swap-remove) and updates the moved peer's record slot, found through
 * the peer_id stored beside the wire form. The wire form comes first so filling a response is a copy.
 */
final class V1StoreLayout {
    private V1StoreLayout() {}

    static final int INFO_HASH_LENGTH = AnnounceRequest.INFO_HASH_LENGTH;
    static final int PEER_ID_LENGTH = AnnounceRequest.PEER_ID_LENGTH;

    // peers key
    static final int PEER_KEY_LENGTH = INFO_HASH_LENGTH + PEER_ID_LENGTH;
    static final int PEER_KEY_PEER_ID_OFFSET = INFO_HASH_LENGTH;

    // peers value
    static final int REC_ADDRESS_OFFSET = 0;
    static final int REC_PORT_OFFSET = 16;
    static final int REC_ADDRESS_LENGTH_OFFSET = 18;
    static final int REC_FLAGS_OFFSET = 19;
    static final int REC_SLOT_OFFSET = 20;
    static final int REC_KEY_HASH_OFFSET = 24;
    static final int REC_LAST_SEEN_OFFSET = 32;
    static final int REC_LENGTH = 40;

    static final int FLAG_SEEDER = 1;
    static final int FLAG_HAS_KEY = 2;
    /** This peer's {@code completed} was counted already: count it once per peer. */
    static final int FLAG_COMPLETED = 4;

    // swarms value
    static final int LIST_COUNT = 4;
    static final int LIST_V4_LEECHERS = 0;
    static final int LIST_V4_SEEDERS = 1;
    static final int LIST_V6_LEECHERS = 2;
    static final int LIST_V6_SEEDERS = 3;
    static final int HDR_COUNTS_OFFSET = 0;
    static final int HDR_DOWNLOADED_OFFSET = 16;
    static final int HDR_LENGTH = 24;

    // pages key
    static final int PAGE_KEY_LIST_PAGE_OFFSET = INFO_HASH_LENGTH;
    static final int PAGE_KEY_LENGTH = INFO_HASH_LENGTH + 4;
    static final int LIST_SHIFT = 28;
    static final int MAX_PAGE_NUMBER = (1 << LIST_SHIFT) - 1;

    // pages value
    /**
     * Entries per page: 4 x 40 B = 160 B. Most swarms are tiny, and each non-empty list costs at least one page, so
     * the page size sets the memory per torrent. Measured (600k torrents, 1.8M peers, in-memory, JDK 17): RSS 891 MiB
     * with 16 entries, 636 MiB with 8, 496 MiB with 4. A selection of 50 peers reads 13 pages instead of 4.
     */
    static final int PAGE_ENTRIES = 4;

    static final int ENTRY_WIRE_OFFSET = 0;
    static final int ENTRY_PEER_ID_OFFSET = 18;
    static final int ENTRY_LENGTH = 40;
    static final int PAGE_LENGTH = PAGE_ENTRIES * ENTRY_LENGTH;

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
        return isV6List(list) ? 18 : 6;
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

    // --- peer record
    static int recPort(byte[] rec) {
        return ((rec[REC_PORT_OFFSET] & 0xFF) << 8) | (rec[REC_PORT_OFFSET + 1] & 0xFF);
    }

    static int recAddressLength(byte[] rec) {
        return rec[REC_ADDRESS_LENGTH_OFFSET];
    }

    static int recFlags(byte[] rec) {
        return rec[REC_FLAGS_OFFSET];
    }

    static boolean recSeeder(byte[] rec) {
        return (rec[REC_FLAGS_OFFSET] & FLAG_SEEDER) != 0;
    }

    static int recList(byte[] rec) {
        return listOf(recAddressLength(rec), recSeeder(rec));
    }

    static int recSlot(byte[] rec) {
        return getInt(rec, REC_SLOT_OFFSET);
    }

    static void recSetSlot(byte[] rec, int slot) {
        putInt(rec, REC_SLOT_OFFSET, slot);
    }

    static long recKeyHash(byte[] rec) {
        return getLong(rec, REC_KEY_HASH_OFFSET);
    }

    static long recLastSeen(byte[] rec) {
        return getLong(rec, REC_LAST_SEEN_OFFSET);
    }

    static void writeRecord(
            byte[] rec, byte[] address, int addressLength, int port, int flags, int slot, long keyHash, long lastSeen) {
        System.arraycopy(address, 0, rec, REC_ADDRESS_OFFSET, addressLength);
        for (int i = addressLength; i < 16; i++) {
            rec[REC_ADDRESS_OFFSET + i] = 0;
        }
        rec[REC_PORT_OFFSET] = (byte) (port >>> 8);
        rec[REC_PORT_OFFSET + 1] = (byte) port;
        rec[REC_ADDRESS_LENGTH_OFFSET] = (byte) addressLength;
        rec[REC_FLAGS_OFFSET] = (byte) flags;
        putInt(rec, REC_SLOT_OFFSET, slot);
        putLong(rec, REC_KEY_HASH_OFFSET, keyHash);
        putLong(rec, REC_LAST_SEEN_OFFSET, lastSeen);
    }

    /** True when the record holds exactly this address and port. */
    static boolean recSameEndpoint(byte[] rec, byte[] address, int addressLength, int port) {
        return recPort(rec) == port && sameAddress(rec, address, addressLength);
    }

    static boolean sameAddress(byte[] rec, byte[] address, int addressLength) {
        if (recAddressLength(rec) != addressLength) {
            return false;
        }
        for (int i = 0; i < addressLength; i++) {
            if (rec[REC_ADDRESS_OFFSET + i] != address[i]) {
                return false;
            }
        }
        return true;
    }

    // --- swarm header
    static int hdrCount(byte[] hdr, int list) {
        return getInt(hdr, HDR_COUNTS_OFFSET + 4 * list);
    }

    static void hdrSetCount(byte[] hdr, int list, int count) {
        putInt(hdr, HDR_COUNTS_OFFSET + 4 * list, count);
    }

    static int hdrSeeders(byte[] hdr) {
        return hdrCount(hdr, LIST_V4_SEEDERS) + hdrCount(hdr, LIST_V6_SEEDERS);
    }

    static int hdrLeechers(byte[] hdr) {
        return hdrCount(hdr, LIST_V4_LEECHERS) + hdrCount(hdr, LIST_V6_LEECHERS);
    }

    static long hdrDownloaded(byte[] hdr) {
        return getLong(hdr, HDR_DOWNLOADED_OFFSET);
    }

    static void hdrSetDownloaded(byte[] hdr, long downloaded) {
        putLong(hdr, HDR_DOWNLOADED_OFFSET, downloaded);
    }

    // --- keys
    static void peerKey(byte[] key, byte[] infoHash, int infoHashOffset, byte[] peerId, int peerIdOffset) {
        System.arraycopy(infoHash, infoHashOffset, key, 0, INFO_HASH_LENGTH);
        System.arraycopy(peerId, peerIdOffset, key, PEER_KEY_PEER_ID_OFFSET, PEER_ID_LENGTH);
    }

    static void pageKey(byte[] key, byte[] infoHash, int list, int page) {
        System.arraycopy(infoHash, 0, key, 0, INFO_HASH_LENGTH);
        putInt(key, PAGE_KEY_LIST_PAGE_OFFSET, (list << LIST_SHIFT) | page);
    }

    /** Writes a page entry: wire form (address, port) then peer_id. */
    static void writeEntry(
            byte[] page, int index, byte[] address, int addressLength, int port, byte[] peerId, int peerIdOffset) {
        int base = index * ENTRY_LENGTH;
        System.arraycopy(address, 0, page, base + ENTRY_WIRE_OFFSET, addressLength);
        page[base + addressLength] = (byte) (port >>> 8);
        page[base + addressLength + 1] = (byte) port;
        System.arraycopy(peerId, peerIdOffset, page, base + ENTRY_PEER_ID_OFFSET, PEER_ID_LENGTH);
    }
}
