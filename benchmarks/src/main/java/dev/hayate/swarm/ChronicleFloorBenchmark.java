package dev.hayate.swarm;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
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
 * The floor Chronicle Map sets under any swarm layout (issue 10: "if a target cannot be reached with Chronicle Map,
 * show it with figures"): the store's own swarm map ({@link ChronicleSwarmStore#swarmsBuilder}, same key and value
 * accesses, sized as {@link SwarmStoreBenchmark}'s {@code zipf1m}), filled with 1M swarms of 3 IPv4 peers, and the
 * fewest map operations one announce can cost, with the same Zipf(1) picks as {@code zipf1m}:
 *
 * <ul>
 *   <li>{@code get}: one {@code getUsing} of the swarm (a read-only announce: nothing changes, not even lastSeen);
 *   <li>{@code getPut}: {@code getUsing} + {@code put} of the same value (what an inline announce does);
 *   <li>{@code inPlace}: one query context under the update lock, reading the value and writing 4 bytes of it where
 *       Chronicle keeps it (one lookup: the least any announce that records its peer can do).
 * </ul>
 *
 * No peer is selected and nothing is decoded or encoded: whatever layout a store chooses, an announce costs at least
 * one of these. The 1.5 M announces/s is 0.67 µs per announce.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ChronicleFloorBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
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
public class ChronicleFloorBenchmark {
    static final int TORRENTS = 1_000_000;
    static final int PEERS_PER_SWARM = 3;
    static final int VALUE_LENGTH = StoreLayout.HEADER_LENGTH + PEERS_PER_SWARM * StoreLayout.ENTRY4_LENGTH;

    @State(Scope.Benchmark)
    public static class Map {
        /** {@code zipf}: the {@code zipf1m} popularity; {@code uniform}: every swarm alike (most picks miss cache). */
        @Param({"zipf", "uniform"})
        public String picks;

        ChronicleMap<byte[], SwarmValue> swarms;
        byte[][] keys;
        double[] cumulative;

        @Setup(Level.Trial)
        public void fill() {
            // zipf1m's limits: 3.98M peers over 1M torrents (SwarmStoreBenchmark)
            SwarmOptions options = new SwarmOptions(3_980_000L + 1000, TORRENTS + 1000L, null, 3_600_000L, 200);
            swarms = ChronicleSwarmStore.swarmsBuilder(options).create();
            keys = new byte[TORRENTS][StoreLayout.INFO_HASH_LENGTH];
            SwarmValue v = new SwarmValue();
            Random r = new Random(1);
            for (int t = 0; t < TORRENTS; t++) {
                for (int i = 0; i < StoreLayout.INFO_HASH_LENGTH; i++) {
                    keys[t][i] = (byte) ((t >>> ((i & 3) * 8)) + i * 31);
                }
                r.nextBytes(v.bytes);
                Arrays.fill(v.bytes, 0, StoreLayout.HEADER_LENGTH, (byte) 0);
                StoreLayout.setCount(v.bytes, StoreLayout.LIST_V4_LEECHERS, 2);
                StoreLayout.setCount(v.bytes, StoreLayout.LIST_V4_SEEDERS, 1);
                v.length = VALUE_LENGTH;
                swarms.put(keys[t], v);
            }
            if (swarms.size() != TORRENTS) {
                throw new IllegalStateException("filled " + swarms.size() + " swarms");
            }
            cumulative = new double[TORRENTS];
            double sum = 0;
            for (int t = 0; t < TORRENTS; t++) {
                sum += 1.0 / (t + 1);
                cumulative[t] = sum;
            }
            for (int t = 0; t < TORRENTS; t++) {
                cumulative[t] /= sum;
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            swarms.close();
        }
    }

    @State(Scope.Thread)
    public static class Client {
        final SwarmValue value = new SwarmValue();
        final byte[] stamp = new byte[4];
        /** One key array per thread, as the store's scratch: the key access caches a heap wrapper per array. */
        final byte[] key = new byte[StoreLayout.INFO_HASH_LENGTH];
        int[] torrentPicks;
        int next;

        @Setup(Level.Trial)
        public void draw(Map m) {
            Random r = new Random(Thread.currentThread().getId() * 31 + 5);
            torrentPicks = new int[1 << 20];
            for (int i = 0; i < torrentPicks.length; i++) {
                if (m.picks.equals("zipf")) {
                    int idx = Arrays.binarySearch(m.cumulative, r.nextDouble());
                    torrentPicks[i] = Math.min(idx < 0 ? -idx - 1 : idx, TORRENTS - 1);
                } else {
                    torrentPicks[i] = r.nextInt(TORRENTS);
                }
            }
        }

        byte[] nextKey(Map m) {
            System.arraycopy(m.keys[torrentPicks[next++ & (torrentPicks.length - 1)]], 0, key, 0, key.length);
            return key;
        }
    }

    @Benchmark
    @Threads(1)
    public int get(Map m, Client c) {
        m.swarms.getUsing(c.nextKey(m), c.value);
        return c.value.length;
    }

    @Benchmark
    @Threads(1)
    public int getPut(Map m, Client c) {
        byte[] key = c.nextKey(m);
        m.swarms.getUsing(key, c.value);
        c.value.bytes[VALUE_LENGTH - 1]++;
        m.swarms.put(key, c.value);
        return c.value.length;
    }

    @Benchmark
    @Threads(1)
    public int inPlace(Map m, Client c) {
        try (ExternalMapQueryContext<byte[], SwarmValue, ?> q = m.swarms.queryContext(c.nextKey(m))) {
            q.updateLock().lock();
            MapEntry<byte[], SwarmValue> e = q.entry();
            Data<SwarmValue> d = e.value();
            BytesStore<?, ?> b = (BytesStore<?, ?>) d.bytes();
            int n = b.readInt(d.offset() + StoreLayout.S_COUNTS);
            c.stamp[3]++;
            b.write(d.offset() + VALUE_LENGTH - 4, c.stamp, 0, 4);
            return n + (int) d.size();
        }
    }
}
