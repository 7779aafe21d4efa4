package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One announce against the Chronicle store (update + selection of up to 50 peers), today's layout ({@code v2},
 * {@link ChronicleSwarmStore}) against the format-1 layout it replaced ({@code v1}, {@link V1ChronicleSwarmStore}, a
 * verbatim copy) in the same run, on 1 and 2 threads:
 *
 * <ul>
 *   <li>{@code zipf100k}, {@code zipf1m}: 100k or 1M torrents picked with Zipf(1) popularity, and sized by it too:
 *       torrent rank {@code r} holds {@code max(3, C / r)} peers ({@code C} = 10k or 100k: 0.38M or 3.98M peers, the
 *       top swarm 10k or 100k peers, over 99% of torrents 3 peers). A third of each swarm seeds ({@code p % 3 == 0}),
 *       so leechers get seeders and leechers, seeders get leechers (mix and full answers asserted in setup); every
 *       announce re-announces a known peer (steady state). 48% (zipf100k) or 57% (zipf1m) of announces go to swarms
 *       of more than 50 peers and get a full 50-peer answer, 58% / 64% to swarms too big to live inline in v2;
 *   <li>{@code hot10k}, {@code hot100k}: one swarm of 10k or 100k peers (a third seeding) taking every announce.
 * </ul>
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar SwarmStoreBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xmx1g",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Dchronicle.announcer.disable=true"
        })
public class SwarmStoreBenchmark {
    static final int MIN_PEERS_PER_TORRENT = 3;
    static final int NUM_WANT = 50;

    @State(Scope.Benchmark)
    public static class Store {
        @Param({"zipf100k", "zipf1m", "hot10k", "hot100k"})
        public String scenario;

        @Param({"v2", "v1"})
        public String layout;

        SwarmStore store;
        int torrents;
        /** Peers of torrent rank r: max(MIN_PEERS_PER_TORRENT, topSwarm / (r + 1)). */
        int topSwarm;
        /** Cumulative Zipf(1) weights over torrent ranks. */
        double[] cumulative;

        @Setup(Level.Trial)
        public void fill() {
            switch (scenario) {
                case "zipf100k" -> {
                    torrents = 100_000;
                    topSwarm = 10_000;
                }
                case "zipf1m" -> {
                    torrents = 1_000_000;
                    topSwarm = 100_000;
                }
                case "hot10k" -> {
                    torrents = 1;
                    topSwarm = 10_000;
                }
                case "hot100k" -> {
                    torrents = 1;
                    topSwarm = 100_000;
                }
                default -> throw new IllegalArgumentException(scenario);
            }
            long peers = 0;
            for (int t = 0; t < torrents; t++) {
                peers += peersOf(t);
            }
            SwarmOptions options = new SwarmOptions(peers + 1000, torrents + 1000, null, 3_600_000L, 200);
            store = switch (layout) {
                case "v2" -> ChronicleSwarmStore.open(options);
                case "v1" -> V1ChronicleSwarmStore.open(options);
                default -> throw new IllegalArgumentException(layout);
            };
            cumulative = new double[torrents];
            double sum = 0;
            for (int r = 0; r < torrents; r++) {
                sum += 1.0 / (r + 1);
                cumulative[r] = sum;
            }
            for (int r = 0; r < torrents; r++) {
                cumulative[r] /= sum;
            }
            AnnounceRequest req = new AnnounceRequest();
            AnnounceResponse res = new AnnounceResponse(200);
            byte[] address = new byte[16];
            long now = System.currentTimeMillis();
            long seeders = 0;
            for (int t = 0; t < torrents; t++) {
                int n = peersOf(t);
                for (int p = 0; p < n; p++) {
                    describe(req, address, t, p);
                    seeders += req.left == 0 ? 1 : 0;
                    if (store.announce(req, address, 4, 0, now, res) != null) {
                        throw new IllegalStateException("fill failed at torrent " + t);
                    }
                }
            }
            // The mix this scenario claims, checked rather than assumed.
            if (store.seederCount() != seeders
                    || store.leecherCount() != peers - seeders
                    || seeders * 4 < peers
                    || seeders * 2 > peers) {
                throw new IllegalStateException(
                        "mix: " + store.seederCount() + " seeders, " + store.leecherCount() + " leechers");
            }
            // Leechers and seeders of the top swarm get full answers of the other kinds.
            describe(req, address, 0, 1);
            store.announce(req, address, 4, NUM_WANT, now, res);
            if (res.peers4Count != NUM_WANT || res.complete == 0 || res.incomplete == 0) {
                throw new IllegalStateException("top swarm leecher got " + res.peers4Count + " peers");
            }
            describe(req, address, 0, 0);
            store.announce(req, address, 4, NUM_WANT, now, res);
            if (res.peers4Count != NUM_WANT) {
                throw new IllegalStateException("top swarm seeder got " + res.peers4Count + " peers");
            }
            System.out.printf(
                    "%n%s %s: %d torrents, %d peers (%d seeders, %d leechers)%n",
                    layout, scenario, torrents, peers, store.seederCount(), store.leecherCount());
        }

        int peersOf(int rank) {
            return Math.max(torrents == 1 ? topSwarm : MIN_PEERS_PER_TORRENT, topSwarm / (rank + 1));
        }

        /** Torrent t's hash, and peer p of it: a fixed address, port and peer_id; a third are seeders. */
        void describe(AnnounceRequest req, byte[] address, int t, int p) {
            req.reset();
            for (int i = 0; i < 20; i++) {
                req.infoHash[i] = (byte) ((t >>> ((i & 3) * 8)) + i * 31);
            }
            for (int i = 0; i < 20; i++) {
                req.peerId[i] = (byte) ((p >>> ((i & 3) * 8)) ^ (t * 7 + i));
            }
            address[0] = 10;
            address[1] = (byte) (p >>> 16);
            address[2] = (byte) (p >>> 8);
            address[3] = (byte) p;
            req.port = 1024 + (p % 60_000);
            req.left = p % 3 == 0 ? 0 : 1_000_000;
            req.numWant = NUM_WANT;
        }

        @TearDown(Level.Trial)
        public void close() {
            store.close();
        }
    }

    /** Per thread: flyweights and a pre-drawn sequence of (torrent, peer) picks. */
    @State(Scope.Thread)
    public static class Client {
        final AnnounceRequest request = new AnnounceRequest();
        final AnnounceResponse response = new AnnounceResponse(200);
        final byte[] address = new byte[16];
        int[] torrentPicks;
        int[] peerPicks;
        int next;

        @Setup(Level.Trial)
        public void draw(Store s) {
            Random r = new Random(Thread.currentThread().getId() * 31 + 5);
            int n = 1 << 20;
            torrentPicks = new int[n];
            peerPicks = new int[n];
            for (int i = 0; i < n; i++) {
                int idx = java.util.Arrays.binarySearch(s.cumulative, r.nextDouble());
                torrentPicks[i] = Math.min(idx < 0 ? -idx - 1 : idx, s.torrents - 1);
                peerPicks[i] = r.nextInt(s.peersOf(torrentPicks[i]));
            }
        }
    }

    /** Returns the peers selected, so the JIT keeps the selection; their mean is checked by the setup's assertions. */
    private static int announce(Store s, Client c) {
        int i = c.next++ & (c.torrentPicks.length - 1);
        s.describe(c.request, c.address, c.torrentPicks[i], c.peerPicks[i]);
        c.request.event = AnnounceEvent.NONE;
        s.store.announce(c.request, c.address, 4, NUM_WANT, System.currentTimeMillis(), c.response);
        return c.response.peers4Count;
    }

    @Benchmark
    @Threads(1)
    public int announce1Thread(Store s, Client c) {
        return announce(s, c);
    }

    @Benchmark
    @Threads(2)
    public int announce2Threads(Store s, Client c) {
        return announce(s, c);
    }
}
