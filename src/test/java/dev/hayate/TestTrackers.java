package dev.hayate;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/**
 * Starts in-process trackers for tests: loopback only, ephemeral HTTP, UDP and admin ports, one thread each, a small
 * in-memory store; {@code overrides} replace any of these or set other keys.
 */
public final class TestTrackers {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();

    private TestTrackers() {}

    public static Tracker start(Map<String, String> overrides) {
        Map<String, String> keys = new HashMap<>();
        keys.put("http.host", "127.0.0.1");
        keys.put("http.port", "0");
        keys.put("http.io_threads", "1");
        keys.put("udp.host", "127.0.0.1");
        keys.put("udp.port", "0");
        keys.put("udp.threads", "1");
        keys.put("admin.host", "127.0.0.1");
        keys.put("admin.port", "0");
        keys.put("store.max_peers", "1000");
        keys.put("store.max_torrents", "100");
        keys.putAll(overrides);
        return Tracker.start(ConfigLoader.load(new Properties(), keys));
    }

    /** The admin listener's {@code /metrics} text. */
    public static String metrics(Tracker tracker) throws IOException, InterruptedException {
        InetSocketAddress admin = tracker.adminAddress();
        if (admin == null) {
            throw new IllegalStateException("admin listener is off");
        }
        HttpResponse<String> r = CLIENT.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("/metrics answered " + r.statusCode());
        }
        return r.body();
    }

    /**
     * The value of one series in {@code /metrics}, named exactly as the Prometheus text format prints it (name and
     * labels, e.g. {@code hayate_failures_total{reason="invalid_event"}}).
     */
    public static double metric(Tracker tracker, String series) throws IOException, InterruptedException {
        String body = metrics(tracker);
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + series + " in /metrics");
    }

    /**
     * Polls {@code condition} every 100 ms until it holds or {@code timeout} passes; returns whether it held. For
     * things that happen on a timer (expiry): a bounded wait, never a fixed sleep.
     */
    public static boolean await(Duration timeout, CheckedCondition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.holds()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(100);
        }
    }

    /** A {@link BooleanSupplier} that may throw (network I/O). */
    @FunctionalInterface
    public interface CheckedCondition {
        boolean holds() throws Exception;
    }
}
