package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import java.lang.management.ManagementFactory;

/**
 * The in-process fill of RESULTS.md "Store v2": {@code torrents x peers} distinct IPv4 peers (a third seeding) into an
 * in-memory store at the default limits (2M peers, 1M torrents) through {@link ChronicleSwarmStore#announce}, then
 * RSS after open and after the fill, and where the store's memory went ({@link StoreStats}), with the thread CPU time
 * of the fill. Usage: {@code java [flags] -cp benchmarks.jar dev.hayate.swarm.StoreFill [torrents=600000] [peers=3]
 * [maxPeers=2000000] [maxTorrents=1000000]}.
 */
public final class StoreFill {
    private StoreFill() {}

    public static void main(String[] args) throws Exception {
        int torrents = 600_000;
        int peers = 3;
        long maxPeers = 2_000_000;
        long maxTorrents = 1_000_000;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "torrents" -> torrents = Integer.parseInt(kv[1]);
                case "peers" -> peers = Integer.parseInt(kv[1]);
                case "maxPeers" -> maxPeers = Long.parseLong(kv[1]);
                case "maxTorrents" -> maxTorrents = Long.parseLong(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        long rss0 = StoreStats.rssKib();
        try (ChronicleSwarmStore store =
                ChronicleSwarmStore.open(new SwarmOptions(maxPeers, maxTorrents, null, 3_600_000L, 200))) {
            long rssOpen = StoreStats.rssKib();
            AnnounceRequest req = new AnnounceRequest();
            AnnounceResponse res = new AnnounceResponse(200);
            byte[] address = new byte[16];
            long now = System.currentTimeMillis();
            var mx = ManagementFactory.getThreadMXBean();
            long cpu0 = mx.getCurrentThreadCpuTime();
            for (int t = 0; t < torrents; t++) {
                for (int p = 0; p < peers; p++) {
                    req.reset();
                    for (int i = 0; i < 20; i++) {
                        req.infoHash[i] = (byte) ((t >>> ((i & 3) * 8)) + i * 31);
                        req.peerId[i] = (byte) ((p >>> ((i & 3) * 8)) ^ (t * 7 + i));
                    }
                    address[0] = 10;
                    address[1] = (byte) (t >>> 16);
                    address[2] = (byte) (t >>> 8);
                    address[3] = (byte) t;
                    req.port = 1024 + p;
                    req.left = p % 3 == 0 ? 0 : 1;
                    if (store.announce(req, address, 4, 50, now, res) != null) {
                        throw new IllegalStateException("fill refused at torrent " + t);
                    }
                }
            }
            long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            long n = (long) torrents * peers;
            System.out.printf(
                    "# filled %,d torrents x %d peers: rss before open %d KiB, after open %d, after fill %d (+%d KiB,"
                            + " %.0f B per torrent); %.0f announces per CPU-s%n",
                    torrents,
                    peers,
                    rss0,
                    rssOpen,
                    StoreStats.rssKib(),
                    StoreStats.rssKib() - rssOpen,
                    (StoreStats.rssKib() - rssOpen) * 1024.0 / torrents,
                    n * 1e9 / cpu);
            System.out.print(StoreStats.describe(store));
        }
    }
}
