package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An expiry sweep over 1M peers (333,334 torrents of 3): {@code scan} when nothing has expired (the cost paid every
 * {@code announce.sweep_interval_seconds}), {@code expireAll} when every peer has (one-shot, refilled per
 * iteration).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar SwarmSweepBenchmark -prof gc</pre>
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
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
@State(Scope.Benchmark)
public class SwarmSweepBenchmark {
    static final int PEERS = 1_000_000;
    static final long TTL_MILLIS = 3_600_000L;

    ChronicleSwarmStore store;
    long filledAt;

    @Setup(Level.Iteration)
    public void fill() {
        if (store != null) {
            store.close();
        }
        store = ChronicleSwarmStore.open(new SwarmOptions(PEERS + 1000, PEERS / 3 + 1000, null, TTL_MILLIS, 200));
        AnnounceRequest req = new AnnounceRequest();
        AnnounceResponse res = new AnnounceResponse(200);
        byte[] address = {10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        filledAt = System.currentTimeMillis();
        for (int i = 0; i < PEERS; i++) {
            req.reset();
            int t = i / 3;
            for (int b = 0; b < 20; b++) {
                req.infoHash[b] = (byte) ((t >>> ((b & 3) * 8)) + b * 31);
                req.peerId[b] = (byte) ((i >>> ((b & 3) * 8)) + b);
            }
            address[3] = (byte) i;
            req.port = 1024 + (i % 60_000);
            req.left = i % 10 < 3 ? 0 : 1;
            store.announce(req, address, 4, 0, filledAt, res);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @Warmup(iterations = 2, time = 3)
    @Measurement(iterations = 3, time = 5)
    public long scan() {
        return store.sweep(filledAt + 1_000); // nothing is old enough
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public long expireAll() {
        return store.sweep(filledAt + TTL_MILLIS + 1_000);
    }

    @TearDown
    public void close() {
        store.close();
    }
}
