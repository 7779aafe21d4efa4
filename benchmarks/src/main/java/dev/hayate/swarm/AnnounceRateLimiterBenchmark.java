package dev.hayate.swarm;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link AnnounceRateLimiter#tryAcquire}, the one call the adapters add per announce: over 65,536 distinct IPv4
 * addresses and 65,536 IPv6 /64s (mostly allowed, filling the default table), and one address hammering past its
 * limit (refused). {@code baseline} is the same loop over the addresses without the limiter. Run with
 * {@code -prof gc}: every case must allocate ~0 B/op.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar AnnounceRateLimiterBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class AnnounceRateLimiterBenchmark {
    private static final int ADDRESSES = 1 << 16;

    private AnnounceRateLimiter limiter;
    private byte[][] v4;
    private byte[][] v6;
    private final byte[] hot = {10, 0, 0, 1};

    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setup() {
        // 600/min, burst 30: the defaults' shape at a rate where the many-address cases stay mostly allowed.
        limiter = AnnounceRateLimiter.create(600, 30, 65_536, AnnounceRateLimiter.SYSTEM_CLOCK);
        v4 = new byte[ADDRESSES][];
        v6 = new byte[ADDRESSES][];
        for (int i = 0; i < ADDRESSES; i++) {
            v4[i] = new byte[] {(byte) (100 + (i >> 16)), (byte) (i >> 8), (byte) i, 7};
            byte[] a = new byte[16];
            a[0] = 0x20;
            a[1] = 0x01;
            a[6] = (byte) (i >> 8);
            a[7] = (byte) i;
            a[15] = 1;
            v6[i] = a;
        }
    }

    @Benchmark
    public boolean manyIpv4(Cursor c) {
        byte[] a = v4[c.next++ & (ADDRESSES - 1)];
        return limiter.tryAcquire(a, 4);
    }

    @Benchmark
    public boolean manyIpv6(Cursor c) {
        byte[] a = v6[c.next++ & (ADDRESSES - 1)];
        return limiter.tryAcquire(a, 16);
    }

    @Benchmark
    public boolean hammeringIpv4() {
        return limiter.tryAcquire(hot, 4);
    }

    /** Two threads on the shared table (the IO threads and the UDP loops share one limiter). */
    @Benchmark
    @Threads(2)
    public boolean manyIpv4TwoThreads(Cursor c) {
        byte[] a = v4[c.next++ & (ADDRESSES - 1)];
        return limiter.tryAcquire(a, 4);
    }

    @Benchmark
    public byte baseline(Cursor c) {
        return v4[c.next++ & (ADDRESSES - 1)][3];
    }
}
