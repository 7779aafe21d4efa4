package dev.hayate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrackerMetricsTest {

    @Test
    void shouldKeepReadingTheStoreGaugesWhenAGcHasRun() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrackerMetrics metrics = new TrackerMetrics(registry, List.of("none"), List.of("x"));
        long[] counts = {3, 2, 1};
        // Capturing lambdas, held by nothing but the gauges, like the store's method references in TrackerMain.
        metrics.bindStore(() -> counts[0], () -> counts[1], () -> counts[2], () -> counts[0] / 10.0);
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        assertEquals(3, registry.get("hayate.torrents").gauge().value());
        assertEquals(2, registry.get("hayate.seeders").gauge().value());
        assertEquals(1, registry.get("hayate.leechers").gauge().value());
        assertEquals(0.3, registry.get("hayate.store.capacity.used").gauge().value(), 1e-9);
    }

    @Test
    void shouldSumEveryProtocolAndEventWhenTotallingAnnounces() {
        TrackerMetrics metrics = new TrackerMetrics(new SimpleMeterRegistry(), List.of("none", "started"), List.of());
        metrics.announce(TrackerMetrics.PROTOCOL_HTTP, 0);
        metrics.announce(TrackerMetrics.PROTOCOL_HTTP, 1);
        metrics.announce(TrackerMetrics.PROTOCOL_UDP, 1);
        assertEquals(3, metrics.announcesTotal());
    }

    @Test
    void shouldAllocateNothingWhenTheRequestPathRecordsIntoThePrometheusRegistry() {
        TrackerMetrics metrics = new TrackerMetrics(
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), List.of("none", "started"), List.of("x", "y"));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        record(metrics, 200_000); // warm up: JIT, lazily created histogram buffers
        long before = threads.getThreadAllocatedBytes(tid);
        record(metrics, 100_000);
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        // A few hundred bytes of slack for the measurement itself; one allocation per call would be megabytes.
        assertTrue(allocated < 1_000, allocated + " bytes allocated for 100,000 requests' metrics");
    }

    private static void record(TrackerMetrics metrics, int n) {
        for (int i = 0; i < n; i++) {
            metrics.announce(i & 1, i & 1);
            metrics.scrape(TrackerMetrics.PROTOCOL_UDP);
            metrics.failure(i & 1);
            metrics.udpDropped();
            metrics.latency(i & 1, 40_000 + (i & 0xffff) * 10L);
        }
    }
}
