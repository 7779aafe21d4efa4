package dev.hayate.bench;

import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.swarm.ChronicleSwarmStore;
import dev.hayate.swarm.StoreStats;
import dev.hayate.swarm.SwarmOptions;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Churn soak (issue "Hardening" §4): announces {@code peers} distinct peers (default 10M) into the store over time
 * with a short TTL while a sweeper expires them, printing RSS, the JVM heap and the store's counts every few seconds;
 * then stops announcing, waits for everything to expire and checks that the counts return to zero. Bounded by the
 * peer count and by {@code maxSeconds}. In-process: it measures the store, not HTTP. It prints RSS after the store
 * opened, and when announcing stops (the plateau) where the store's memory goes ({@link StoreStats}) and, when the JVM
 * runs with {@code -XX:NativeMemoryTracking=summary}, the JVM's native memory summary.
 *
 * <pre>
 * java [chronicle flags] -Xmx256m -cp benchmarks/target/benchmarks.jar dev.hayate.bench.ChurnSoak \
 *     [peers=10000000] [torrents=100000] [ttlSeconds=10] [ratePerSecond=100000] [maxSeconds=300]
 * </pre>
 */
public final class ChurnSoak {
    private ChurnSoak() {}

    public static void main(String[] args) throws Exception {
        long peers = 10_000_000;
        int torrents = 100_000;
        int ttlSeconds = 10;
        int rate = 100_000;
        int maxSeconds = 300;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "peers" -> peers = Long.parseLong(kv[1]);
                case "torrents" -> torrents = Integer.parseInt(kv[1]);
                case "ttlSeconds" -> ttlSeconds = Integer.parseInt(kv[1]);
                case "ratePerSecond" -> rate = Integer.parseInt(kv[1]);
                case "maxSeconds" -> maxSeconds = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        long ttlMillis = ttlSeconds * 1000L;
        // Capacity for about two TTLs of arrivals.
        long capacity = Math.max(100_000, 3L * rate * ttlSeconds);
        ChronicleSwarmStore store =
                ChronicleSwarmStore.open(new SwarmOptions(capacity, torrents + 1000, null, ttlMillis, 200));
        System.out.println("# rss after open " + rssMib() + " MiB");
        long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        AnnounceRequest req = new AnnounceRequest();
        AnnounceResponse res = new AnnounceResponse(200);
        byte[] address = new byte[16];
        address[0] = 10;
        long start = System.currentTimeMillis();
        long deadline = start + maxSeconds * 1000L;
        long nextSweep = start + 1000;
        long nextReport = start;
        long sent = 0;
        long full = 0;
        long expired = 0;
        System.out.println("t_s,announced,peers,torrents,seeders,leechers,expired_total,rss_mib,heap_used_mib");
        while (sent < peers && System.currentTimeMillis() < deadline) {
            long now = System.currentTimeMillis();
            long due = (now - start) * rate / 1000;
            while (sent < due && sent < peers) {
                req.reset();
                long id = sent++;
                int t = (int) (ThreadLocalRandom.current().nextLong(torrents));
                for (int i = 0; i < 20; i++) {
                    req.infoHash[i] = (byte) ((t >>> ((i & 3) * 8)) + i * 31);
                    req.peerId[i] = (byte) (id >>> ((i & 7) * 8) ^ i);
                }
                address[1] = (byte) (id >>> 16);
                address[2] = (byte) (id >>> 8);
                address[3] = (byte) id;
                req.port = 1024 + (int) (id % 60_000);
                req.left = (id % 10) < 3 ? 0 : 1;
                if (store.announce(req, address, 4, 50, now, res) != null) {
                    full++;
                }
            }
            if (now >= nextSweep) {
                expired += store.sweep(now);
                nextSweep = now + 1000;
            }
            if (now >= nextReport) {
                report(now - start, sent, store, expired);
                nextReport = now + 5000;
            }
            Thread.sleep(1);
        }
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0;
        System.out.println("# stopped announcing after " + sent + " peers; " + full + " answered 'tracker is full'; "
                + String.format("%.0f", sent * 1e9 / cpu) + " announces (with sweeps) per CPU-s of the main thread");
        report(System.currentTimeMillis() - start, sent, store, expired);
        System.out.print(StoreStats.describe(store));
        System.out.println("# rss " + rssMib() + " MiB");
        printNmt();
        long drainDeadline = System.currentTimeMillis() + 3 * ttlMillis + 5000;
        while (store.peerCount() > 0 && System.currentTimeMillis() < drainDeadline) {
            Thread.sleep(1000);
            long now = System.currentTimeMillis();
            expired += store.sweep(now);
            report(now - start, sent, store, expired);
        }
        boolean empty = store.peerCount() == 0
                && store.torrentCount() == 0
                && store.seederCount() == 0
                && store.leecherCount() == 0;
        System.out.println("# after expiry: peers=" + store.peerCount() + " torrents=" + store.torrentCount()
                + (empty ? " -> counts back to zero" : " -> NOT EMPTY"));
        store.close();
        if (!empty) {
            System.exit(1);
        }
    }

    private static void report(long elapsedMillis, long sent, ChronicleSwarmStore store, long expired)
            throws IOException {
        Runtime rt = Runtime.getRuntime();
        System.out.printf(
                "%d,%d,%d,%d,%d,%d,%d,%d,%d%n",
                elapsedMillis / 1000,
                sent,
                store.peerCount(),
                store.torrentCount(),
                store.seederCount(),
                store.leecherCount(),
                expired,
                rssMib(),
                (rt.totalMemory() - rt.freeMemory()) >> 20);
    }

    /** The JVM's native memory summary, when NMT is on (in-process, as {@code jcmd PID VM.native_memory summary}). */
    private static void printNmt() {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "vmNativeMemory",
                            new Object[] {new String[] {"summary"}},
                            new String[] {String[].class.getName()});
            for (String line : String.valueOf(out).split("\n")) {
                if (line.contains("committed=") && !line.contains("(mmap:") && !line.contains("(malloc=")) {
                    System.out.println("# nmt " + line.trim());
                }
            }
        } catch (Exception e) {
            System.out.println("# nmt unavailable: " + e);
        }
    }

    private static long rssMib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }
}
