package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceEvent;
import java.lang.management.ManagementFactory;

/**
 * {@link SwarmStoreBenchmark}'s store, fill and pick sequence, timed by thread CPU time instead of wall time: on a shared
 * machine a descheduled thread inflates wall time but not CPU time. Usage (the Chronicle flags of the benchmark):
 * {@code java [flags] -cp benchmarks.jar dev.hayate.swarm.StoreCpuTime zipf1m|hot100k|... [v2|v1] [rounds]}; prints
 * announces per CPU second and per wall second for each round of 400,000 announces after two warm-up rounds.
 */
public final class StoreCpuTime {
    private StoreCpuTime() {}

    public static void main(String[] a) throws Exception {
        SwarmStoreBenchmark.Store s = new SwarmStoreBenchmark.Store();
        s.scenario = a[0];
        s.layout = a.length > 1 ? a[1] : "v2";
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 5;
        s.fill();
        SwarmStoreBenchmark.Client c = new SwarmStoreBenchmark.Client();
        c.draw(s);
        var mx = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int r = -2; r < rounds; r++) {
            int n = 400_000;
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            for (int k = 0; k < n; k++) {
                int i = c.next++ & (c.torrentPicks.length - 1);
                s.describe(c.request, c.address, c.torrentPicks[i], c.peerPicks[i]);
                c.request.event = AnnounceEvent.NONE;
                s.store.announce(c.request, c.address, 4, 50, System.currentTimeMillis(), c.response);
                sink += c.response.peers4Count;
            }
            long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            long wall = System.nanoTime() - wall0;
            if (r >= 0) {
                System.out.printf("%s %s round %d: %.0f /s cpu, %.0f /s wall%n", s.scenario, s.layout, r, n * 1e9 / cpu, n * 1e9 / wall);
            }
        }
        System.out.println("sink " + sink);
        s.close();
    }
}
