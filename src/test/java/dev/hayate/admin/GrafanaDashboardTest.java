package dev.hayate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every metric the Grafana dashboard queries must exist in the tracker's own {@code /metrics}: a renamed meter
 * would otherwise leave a silently empty panel.
 */
class GrafanaDashboardTest {
    static final Path DASHBOARD = Path.of("ops/grafana/hayate.json");
    /** A JSON string value of an "expr" key, escapes included. */
    private static final Pattern EXPR = Pattern.compile("\"expr\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    /** Metric names of ours and of the JVM/process binders; label names and PromQL functions never match. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:hayate|jvm|process|system)_[a-zA-Z0-9_]+)\\b");

    static List<String> expressions(String json) {
        List<String> out = new ArrayList<>();
        Matcher m = EXPR.matcher(json);
        while (m.find()) {
            out.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        return out;
    }

    static Set<String> metricNames(List<String> expressions) {
        Set<String> names = new TreeSet<>();
        for (String e : expressions) {
            Matcher m = METRIC.matcher(e);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void shouldExtractMetricNamesWhenGivenAnExpression() {
        List<String> exprs = expressions(
                "{\"expr\": \"histogram_quantile(0.9, sum by (le) (rate(hayate_x_bucket{job=~\\\"$job\\\"}[5m])))\","
                        + " \"legendFormat\": \"hayate_not_an_expr\"}");
        assertEquals(List.of("histogram_quantile(0.9, sum by (le) (rate(hayate_x_bucket{job=~\"$job\"}[5m])))"), exprs);
        assertEquals(Set.of("hayate_x_bucket"), metricNames(exprs));
    }

    @Test
    void shouldQueryEveryPanelTopicWhenTheDashboardIsRead() throws Exception {
        Set<String> names = metricNames(expressions(Files.readString(DASHBOARD, StandardCharsets.UTF_8)));
        for (String needed : List.of(
                "hayate_announces_total",
                "hayate_scrapes_total",
                "hayate_failures_total",
                "hayate_torrents",
                "hayate_seeders",
                "hayate_leechers",
                "hayate_store_capacity_used",
                "hayate_request_latency_seconds_bucket",
                "hayate_udp_dropped_total",
                "hayate_ws_connections",
                "hayate_ws_announces_total",
                "hayate_ws_offers_relayed_total",
                "hayate_ws_answers_relayed_total",
                "jvm_memory_used_bytes",
                "process_cpu_usage")) {
            assertTrue(names.contains(needed), needed + " not queried; dashboard has " + names);
        }
    }

    @Test
    void shouldFindEveryDashboardMetricInTheScrapeWhenTheTrackerRuns() throws Exception {
        Set<String> names = metricNames(expressions(Files.readString(DASHBOARD, StandardCharsets.UTF_8)));
        assertTrue(names.size() >= 15, names.toString());
        try (Tracker tracker = AdminServerTest.startTracker()) {
            InetSocketAddress http = tracker.httpAddresses().get(0);
            AdminServerTest.announce(http, "-HY0001-dash00000001", 6881, 0);
            assertEquals(
                    200,
                    AdminServerTest.get(http, "/scrape?info_hash=" + AdminServerTest.INFO_HASH)
                            .statusCode());
            HttpResponse<String> r = AdminServerTest.get(tracker.adminAddress(), "/metrics");
            assertEquals(200, r.statusCode());
            Set<String> exposed = new TreeSet<>();
            for (String line : r.body().split("\n")) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
                    exposed.add(line.substring(0, end));
                }
            }
            Set<String> missing = new TreeSet<>(names);
            missing.removeAll(exposed);
            assertTrue(missing.isEmpty(), "queried by the dashboard but not exposed: " + missing);
            // and the other way round for the WebTorrent meters: each one the tracker exposes has a panel
            Set<String> unshown = new TreeSet<>();
            for (String name : exposed) {
                if (name.startsWith("hayate_ws_") && !names.contains(name)) {
                    unshown.add(name);
                }
            }
            assertTrue(exposed.stream().anyMatch(n -> n.startsWith("hayate_ws_")), "no hayate_ws_* meter exposed");
            assertTrue(unshown.isEmpty(), "WebTorrent meters exposed but on no dashboard panel: " + unshown);
        }
    }
}
