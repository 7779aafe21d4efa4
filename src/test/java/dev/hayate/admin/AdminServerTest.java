package dev.hayate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin listener over real HTTP on loopback, ephemeral ports. */
class AdminServerTest {
    /** 20 bytes, percent-encoded. */
    static final String INFO_HASH = "%AA%BB%CC%DD%EE%FF%00%11%22%33%44%55%66%77%88%99%AA%BB%CC%DD";

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    /** Announces this class has had answered (every one goes through {@link #announce}). */
    private static final AtomicInteger ANNOUNCES_SENT = new AtomicInteger();

    private static Tracker tracker;
    private static InetSocketAddress admin;
    private static InetSocketAddress http;

    @BeforeAll
    static void start() throws Exception {
        tracker = startTracker();
        admin = tracker.adminAddress();
        http = tracker.httpAddresses().get(0);
        assertNotNull(admin);
        // Three peers: two seeders, one leecher, in one torrent; then one scrape.
        announce(http, "-HY0001-seed00000001", 6881, 0);
        announce(http, "-HY0001-seed00000002", 6882, 0);
        announce(http, "-HY0001-leech0000001", 6883, 1000);
        assertEquals(200, get(http, "/scrape?info_hash=" + INFO_HASH).statusCode());
    }

    static Tracker startTracker() {
        return Tracker.start(ConfigLoader.load(
                new Properties(),
                Map.of(
                        "http.host", "127.0.0.1",
                        "http.port", "0",
                        "http.io_threads", "1",
                        "udp.host", "127.0.0.1",
                        "udp.port", "0",
                        "udp.threads", "1",
                        "admin.port", "0",
                        "store.max_peers", "1000",
                        "store.max_torrents", "100")));
    }

    static void announce(InetSocketAddress http, String peerId, int port, long left) throws Exception {
        HttpResponse<String> r = get(
                http,
                "/announce?info_hash=" + INFO_HASH + "&peer_id=" + peerId + "&port=" + port
                        + "&uploaded=0&downloaded=0&left=" + left + "&compact=1&event=started");
        assertEquals(200, r.statusCode());
        assertFalse(r.body().contains("failure reason"), r.body());
        ANNOUNCES_SENT.incrementAndGet();
    }

    static HttpResponse<String> get(InetSocketAddress a, String pathAndQuery) throws IOException, InterruptedException {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + pathAndQuery))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @AfterAll
    static void stop() {
        if (tracker != null) {
            tracker.close();
        }
    }

    @Test
    void shouldListenOnLoopbackApartFromThePublicPortWhenAdminIsEnabled() {
        assertEquals("127.0.0.1", admin.getAddress().getHostAddress());
        assertNotEquals(http.getPort(), admin.getPort());
    }

    @Test
    void shouldServePrometheusTextWhenMetricsIsScraped() throws Exception {
        HttpResponse<String> r = get(admin, "/metrics");
        assertEquals(200, r.statusCode());
        assertEquals(
                AdminServer.PROMETHEUS_CONTENT_TYPE,
                r.headers().firstValue("Content-Type").orElse(""));
        String body = r.body();
        // Other tests in this class may have added traffic already: counts are at least the set-up's.
        assertTrue(value(body, "hayate_announces_total{event=\"started\",protocol=\"http\"}") >= 3, body);
        assertTrue(value(body, "hayate_scrapes_total{protocol=\"http\"}") >= 1, body);
        assertEquals(2, value(body, "hayate_seeders"), body);
        assertTrue(value(body, "hayate_leechers") >= 1, body);
        assertEquals(1, value(body, "hayate_torrents"), body);
        assertTrue(body.contains("# TYPE hayate_request_latency_seconds histogram"), body);
        assertTrue(body.contains("hayate_request_latency_seconds_bucket{protocol=\"http\",le=\"0.001\"}"), body);
        double all = value(body, "hayate_request_latency_seconds_bucket{protocol=\"http\",le=\"+Inf\"}");
        assertTrue(all >= 4, body);
        assertEquals(all, value(body, "hayate_request_latency_seconds_count{protocol=\"http\"}"), body);
        for (String jvm : new String[] {
            "jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads", "jvm_classes_loaded_classes",
            "process_cpu_usage", "system_cpu_usage", "process_uptime_seconds", "process_files_open_files"
        }) {
            assertTrue(body.contains(jvm), jvm);
        }
    }

    /** The value of one series, given its name and labels exactly as the text format prints them. */
    static double value(String body, String series) {
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + series);
    }

    @Test
    void shouldRegisterEveryMeterAtStartUpWhenTrafficArrives() throws Exception {
        PrometheusMeterRegistry registry =
                (PrometheusMeterRegistry) tracker.metrics().registry();
        // Hayate's own meters only: the JVM's GC binder adds a meter the first time a new kind of GC happens.
        long before = hayateMeters(registry);
        assertTrue(before > 30, "announces, scrapes, failures, latency, gauges: " + before);
        announce(http, "-HY0001-other0000001", 6890, 5);
        get(http, "/announce?info_hash=short");
        get(http, "/scrape?info_hash=" + INFO_HASH);
        get(admin, "/metrics");
        assertEquals(before, hayateMeters(registry));
    }

    private static long hayateMeters(PrometheusMeterRegistry registry) {
        return registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("hayate."))
                .count();
    }

    @Test
    void shouldAnswerItsNormalBencoded404WhenMetricsIsAskedOnThePublicPort() throws Exception {
        HttpResponse<String> r = get(http, "/metrics");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().startsWith("d14:failure reason"), r.body());
        assertFalse(r.body().contains("hayate_"), r.body());
        HttpResponse<String> root = get(http, "/");
        assertEquals(404, root.statusCode());
        assertFalse(root.body().contains("<html"), root.body());
    }

    @Test
    void shouldServeTheStatusPageWithTheStoreNumbersWhenRootIsRequested() throws Exception {
        HttpResponse<String> r = get(admin, "/");
        assertEquals(200, r.statusCode());
        assertEquals(
                "text/html; charset=utf-8",
                r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.headers().firstValue("Server").isEmpty(), r.headers().toString());
        assertTrue(r.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
        String html = r.body();
        assertTrue(html.contains("<td id=\"torrents\">1</td>"), html);
        assertTrue(html.contains("<td id=\"seeders\">2</td>"), html);
        assertTrue(html.contains("<td id=\"leechers\">"), html);
        assertTrue(html.contains("<td id=\"version\">"), html);
        assertTrue(html.contains("<svg id=\"announce-chart\""), html);
        int sent = ANNOUNCES_SENT.get();
        assertTrue(sent >= 3);
        assertTrue(html.contains("<td id=\"announces-hour\">" + sent + "</td>"), html);
    }

    @Test
    void shouldNotReflectRequestDataWhenTheStatusPageIsRequested() throws Exception {
        String marker = "zq7marker";
        HttpResponse<String> r = CLIENT.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + "/?" + marker
                                + "=%3Cscript%3E" + marker + "#" + marker))
                        .header("User-Agent", marker)
                        .header("Referer", "http://" + marker + ".example/")
                        .header("X-Forwarded-For", marker)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertFalse(r.body().contains(marker), r.body());
        HttpResponse<String> missing = get(admin, "/" + marker);
        assertEquals(404, missing.statusCode());
        assertFalse(missing.body().contains(marker), missing.body());
    }

    @Test
    void shouldRefuseWhenTheMethodIsNotGet() throws Exception {
        HttpResponse<String> r = CLIENT.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + "/metrics"))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode());
    }

    @Test
    void shouldFailStartUpAndReleaseThePublicListenersWhenTheAdminPortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket publicPort = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int httpPort = publicPort.getLocalPort();
            publicPort.close();
            RuntimeException e = assertThrows(
                    RuntimeException.class,
                    () -> Tracker.start(ConfigLoader.load(
                            new Properties(),
                            Map.of(
                                    "http.host", "127.0.0.1",
                                    "http.port", Integer.toString(httpPort),
                                    "http.io_threads", "1",
                                    "udp.enabled", "false",
                                    "admin.port", Integer.toString(taken.getLocalPort()),
                                    "store.max_peers", "1000",
                                    "store.max_torrents", "100"))));
            assertNotNull(e);
            // The public listener that had started was closed again: its port can be bound.
            try (ServerSocket again = new ServerSocket(httpPort, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(httpPort, again.getLocalPort());
            }
        }
    }
}
