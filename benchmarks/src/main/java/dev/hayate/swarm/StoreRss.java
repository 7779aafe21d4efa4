package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The store's in-process memory cost (RESULTS.md "Store v2"): opens a store at the default limits (2M peers, 1M
 * torrents), reads VmRSS, fills {@code torrents x peers} IPv4 peers through {@link ChronicleSwarmStore#announce},
 * reads VmRSS again and prints both and the difference. Usage: {@code java -Xmx64m -XX:+UseSerialGC [chronicle
 * flags] -cp benchmarks.jar dev.hayate.swarm.StoreRss [torrents] [peersPerTorrent]}.
 */
public final class StoreRss {
    private StoreRss() {}

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    public static void main(String[] a) throws Exception {
        int torrents = a.length > 0 ? Integer.parseInt(a[0]) : 600_000;
        int peers = a.length > 1 ? Integer.parseInt(a[1]) : 3;
        ChronicleSwarmStore store =
                ChronicleSwarmStore.open(new SwarmOptions(2_000_000, 1_000_000, null, 3_600_000L, 200));
        System.gc();
        long open = rssKb();
        AnnounceRequest req = new AnnounceRequest();
        AnnounceResponse res = new AnnounceResponse(200);
        byte[] address = new byte[16];
        long now = System.currentTimeMillis();
        for (int t = 0; t < torrents; t++) {
            for (int p = 0; p < peers; p++) {
                req.reset();
                req.infoHash[0] = 'T';
                for (int i = 0; i < 4; i++) {
                    req.infoHash[16 + i] = (byte) (t >>> (24 - 8 * i));
                    req.peerId[16 + i] = (byte) (t >>> (24 - 8 * i));
                }
                req.infoHash[1] = (byte) (t * 0x9E3779B1 >>> 24); // spread the first bytes (stripe, segment)
                req.infoHash[2] = (byte) (t * 0x85EBCA6B >>> 24);
                req.peerId[0] = '-';
                req.peerId[1] = (byte) p;
                req.port = 6881 + p;
                req.left = p == 0 ? 0 : 1000;
                req.event = AnnounceEvent.STARTED;
                address[0] = 10;
                address[1] = (byte) p;
                address[2] = (byte) (t >>> 8);
                address[3] = (byte) t;
                if (store.announce(req, address, 4, 0, now, res) != null) {
                    throw new IllegalStateException("fill failed at torrent " + t);
                }
            }
        }
        System.gc();
        long filled = rssKb();
        System.out.printf(
                "store rss: open %d MiB, filled %d MiB, store %.1f MiB = %.0f B per torrent (%d torrents, %d peers)%n",
                open / 1024, filled / 1024, (filled - open) / 1024.0, (filled - open) * 1024.0 / torrents,
                store.torrentCount(), store.peerCount());
        store.close();
    }
}
