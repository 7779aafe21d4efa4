package dev.hayate.swarm;

import static dev.hayate.swarm.StoreLayout.*;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.MapSegmentContext;

/**
 * Where a {@link ChronicleSwarmStore}'s memory goes (benchmarks only; allocates; holds each segment's lock while it
 * reads it): swarms inline and in blocks, peers per swarm, blocks and their fill, and for each Chronicle map its
 * sizing (chunk size, chunks per segment tier, tiers in use), the bytes its entries occupy and the resident bytes of
 * its memory (from {@code /proc/self/pagemap}, in-memory maps only).
 */
public final class StoreStats {
    private StoreStats() {}

    /** Prints the Chronicle sizing of empty stores: {@code StoreStats maxPeers:maxTorrents ...}. */
    public static void main(String[] args) throws IOException {
        for (String a : args) {
            String[] pt = a.split(":");
            System.out.println("rss before open " + rssKib() + " KiB");
            try (ChronicleSwarmStore s = ChronicleSwarmStore.open(
                    new SwarmOptions(Long.parseLong(pt[0]), Long.parseLong(pt[1]), null, 60_000, 200))) {
                System.out.print(a + "\n" + mapLine("swarms", s.swarmsMap()) + mapLine("blocks", s.blocksMap()));
                System.out.println("rss after open " + rssKib() + " KiB");
            }
        }
    }

    /** Resident KiB of the Java heap: the mapping whose size is {@code MaxHeapSize} (a fixed heap, -Xms = -Xmx). */
    public static long heapResidentKib() throws IOException {
        long max = Long.parseLong(java.lang.management.ManagementFactory.getPlatformMXBean(
                        com.sun.management.HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxHeapSize")
                .getValue());
        long size = -1;
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.startsWith("Size:")) {
                size = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("Rss:") && size == max / 1024) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    static long rssKib() throws IOException {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    public static String describe(ChronicleSwarmStore store) throws IOException {
        StringBuilder sb = new StringBuilder();
        ChronicleMap<byte[], SwarmValue> swarms = store.swarmsMap();
        ChronicleMap<byte[], byte[]> blocks = store.blocksMap();
        long[] sizeHist = new long[8]; // peers per swarm: 1,2-3,4-7,8-15,16-31,32-63,64-127,128+
        long inline = 0;
        long inBlocks = 0;
        long inlinePeers = 0;
        long blockPeers = 0;
        long inlineValueBytes = 0;
        long inlineChunks = 0;
        long chunk = chunkSize(swarms);
        for (int seg = 0; seg < swarms.segments(); seg++) {
            try (MapSegmentContext<byte[], SwarmValue, ?> c = swarms.segmentContext(seg)) {
                long[] acc = new long[6];
                byte[] h = new byte[HEADER_LENGTH];
                c.forEachSegmentEntry(e -> {
                    Data<SwarmValue> d = e.value();
                    d.bytes().read(d.offset(), h, 0, HEADER_LENGTH);
                    int n = total(h);
                    sizeHist[Math.min(7, 31 - Integer.numberOfLeadingZeros(n))]++;
                    if (mode(h) == MODE_INLINE) {
                        acc[0]++;
                        acc[2] += n;
                        acc[4] += d.size();
                        // key 20 + 1 B key size + 1-2 B value size, aligned: Chronicle's entry
                        acc[5] += (INFO_HASH_LENGTH + 2 + d.size() + chunk - 1) / chunk;
                    } else {
                        acc[1]++;
                        acc[3] += n;
                    }
                });
                inline += acc[0];
                inBlocks += acc[1];
                inlinePeers += acc[2];
                blockPeers += acc[3];
                inlineValueBytes += acc[4];
                inlineChunks += acc[5];
            }
        }
        long[] fillHist = new long[10];
        long blockCount = 0;
        long blockEntries = 0;
        for (int seg = 0; seg < blocks.segments(); seg++) {
            try (MapSegmentContext<byte[], byte[], ?> c = blocks.segmentContext(seg)) {
                long[] acc = new long[2];
                c.forEachSegmentEntry(e -> {
                    Data<byte[]> k = e.key();
                    Data<byte[]> d = e.value();
                    int list = k.bytes().readByte(k.offset() + INFO_HASH_LENGTH);
                    int n = Integer.reverseBytes(d.bytes().readInt(d.offset() + B_COUNT));
                    int cap = blockCapacity(list & 3);
                    acc[0]++;
                    acc[1] += n;
                    fillHist[Math.min(9, n * 10 / cap)]++;
                });
                blockCount += acc[0];
                blockEntries += acc[1];
            }
        }
        sb.append(String.format(
                "# swarms %,d: inline %,d (%,d peers, %.1f avg, value %,d B = %.0f B/swarm, %,d chunks of %d B),"
                        + " in blocks %,d (%,d peers, %.1f avg)%n",
                inline + inBlocks,
                inline,
                inlinePeers,
                (double) inlinePeers / Math.max(1, inline),
                inlineValueBytes,
                (double) inlineValueBytes / Math.max(1, inline),
                inlineChunks,
                chunk,
                inBlocks,
                blockPeers,
                (double) blockPeers / Math.max(1, inBlocks)));
        sb.append("# peers per swarm (1,2-3,4-7,8-15,16-31,32-63,64-127,128+):");
        for (long x : sizeHist) {
            sb.append(' ').append(x);
        }
        sb.append('\n');
        sb.append(String.format(
                "# blocks %,d of %d B: %,d entries, %.1f per block; fill deciles:",
                blockCount, BLOCK_LENGTH, blockEntries, (double) blockEntries / Math.max(1, blockCount)));
        for (long x : fillHist) {
            sb.append(' ').append(x);
        }
        sb.append('\n');
        sb.append("# java heap resident " + heapResidentKib() + " KiB\n");
        sb.append(mapLine("swarms", swarms));
        sb.append(mapLine("blocks", blocks));
        return sb.toString();
    }

    private static long chunkSize(ChronicleMap<?, ?> m) {
        return ((VanillaChronicleHash<?, ?, ?, ?>) m).chunkSize;
    }

    private static String mapLine(String name, ChronicleMap<?, ?> m) throws IOException {
        VanillaChronicleHash<?, ?, ?, ?> h = (VanillaChronicleHash<?, ?, ?, ?>) m;
        long used = 0;
        long size = 0;
        int tiers = 0;
        for (ChronicleMap.SegmentStats s : m.segmentStats()) {
            used += s.usedBytes();
            size += s.sizeInBytes();
            tiers += s.tiers();
        }
        long resident = -1;
        try {
            resident = residentBytes(regions(h));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // persisted maps or another Chronicle version: resident unknown
        }
        return String.format(
                "# map %s: %,d entries, %d segments, chunk %d B, max %d chunks/entry, %,d chunks/segment tier,"
                        + " tier %,d B, tiers %d (first %d), used %,d B of %,d B (%d%% free),"
                        + " offHeapMemoryUsed %,d B, resident %,d B%n",
                name,
                m.longSize(),
                h.actualSegments,
                h.chunkSize,
                h.maxChunksPerEntry,
                h.actualChunksPerSegmentTier,
                h.tierSize,
                tiers,
                h.actualSegments,
                used,
                size,
                m.percentageFreeSpace(),
                m.offHeapMemoryUsed(),
                resident);
    }

    /** [address, length] of each block of native memory the map holds: its main store and extra tier bulks. */
    private static List<long[]> regions(VanillaChronicleHash<?, ?, ?, ?> h) throws ReflectiveOperationException {
        List<long[]> out = new ArrayList<>();
        Field bs = VanillaChronicleHash.class.getDeclaredField("bs");
        bs.setAccessible(true);
        add(out, (BytesStore<?, ?>) bs.get(h));
        for (VanillaChronicleHash.TierBulkData t : h.tierBulkOffsets) {
            add(out, t.bytesStore);
        }
        return out;
    }

    private static void add(List<long[]> out, BytesStore<?, ?> b) {
        long a = b.addressForRead(0);
        for (long[] r : out) {
            if (r[0] == a) {
                return;
            }
        }
        out.add(new long[] {a, b.realCapacity()});
    }

    /** Resident bytes of the regions, page by page ({@code /proc/self/pagemap}: bit 63 present, bit 62 swapped). */
    private static long residentBytes(List<long[]> regions) throws IOException {
        long page = 4096;
        long total = 0;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(Path.of("/proc/self/pagemap"))) {
            java.nio.ByteBuffer buf =
                    java.nio.ByteBuffer.allocate(8 * 4096).order(java.nio.ByteOrder.nativeOrder());
            for (long[] r : regions) {
                long first = r[0] / page;
                long last = (r[0] + r[1] - 1) / page;
                for (long p = first; p <= last; ) {
                    int n = (int) Math.min(4096, last - p + 1);
                    buf.clear().limit(n * 8);
                    ch.read(buf, p * 8);
                    buf.flip();
                    while (buf.remaining() >= 8) {
                        long e = buf.getLong();
                        if ((e & (3L << 62)) != 0) {
                            total += page;
                        }
                    }
                    p += n;
                }
            }
        }
        return total;
    }

}
