package dev.hayate.admin;

import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.AnnounceHistory;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.swarm.SwarmStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener on {@code admin.host:admin.port}: {@code GET /metrics} (Prometheus text) and {@code GET /}
 * (the status page). A separate, small Undertow server (one IO thread, two workers), so a slow scrape can never
 * delay an announce on the public listeners. Also owns the once-a-minute sampler that feeds the status page's
 * announce chart.
 */
public final class AdminServer implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("hayate.admin");
    /** The Prometheus text exposition format, version 0.0.4, which {@link PrometheusMeterRegistry#scrape()} writes. */
    static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    static final String HTML_CONTENT_TYPE = "text/html; charset=utf-8";
    private static final long SAMPLE_PERIOD_SECONDS = 60;
    /** The page is self-contained: inline style and SVG only, no script, nothing fetched. */
    private static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
                    + "frame-ancestors 'none'";

    private final Undertow undertow;
    private final ScheduledExecutorService sampler;

    public AdminServer(
            TrackerConfig config,
            PrometheusMeterRegistry registry,
            SwarmStore store,
            TrackerMetrics metrics,
            String version) {
        long startedNanos = System.nanoTime();
        AnnounceHistory history = new AnnounceHistory(metrics.announcesTotal());
        this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hayate-admin-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(
                () -> {
                    try {
                        history.sample(metrics.announcesTotal());
                    } catch (RuntimeException e) {
                        // A throwing task would cancel the schedule; log one line and keep sampling.
                        LOG.warn("announce history sample failed: {}", e.toString());
                    }
                },
                SAMPLE_PERIOD_SECONDS,
                SAMPLE_PERIOD_SECONDS,
                TimeUnit.SECONDS);
        HttpHandler handler = new Handler(registry, () -> {
            long total = metrics.announcesTotal();
            return new StatusPage.Status(
                    version,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos),
                    store.torrentCount(),
                    store.seederCount(),
                    store.leecherCount(),
                    store.peerCapacityUsed(),
                    history.minutes(),
                    history.currentMinute(total),
                    webTorrent(registry));
        });
        this.undertow = Undertow.builder()
                .setIoThreads(1)
                .setWorkerThreads(2)
                .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 16_384)
                .addHttpListener(config.adminPort(), config.adminHost())
                .setHandler(handler)
                .build();
    }

    /**
     * The WebTorrent counts, read from its gauges (registered when {@code ws.enabled=true}); {@code null} without them.
     */
    static StatusPage.WebTorrent webTorrent(MeterRegistry registry) {
        Gauge connections = registry.find("hayate.ws.connections").gauge();
        if (connections == null) {
            return null;
        }
        return new StatusPage.WebTorrent(
                (long) connections.value(),
                gaugeValue(registry, "hayate.ws.torrents"),
                gaugeValue(registry, "hayate.ws.seeders"),
                gaugeValue(registry, "hayate.ws.leechers"));
    }

    private static long gaugeValue(MeterRegistry registry, String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? 0 : (long) g.value();
    }

    public void start() {
        try {
            undertow.start();
        } catch (RuntimeException e) {
            sampler.shutdownNow();
            throw e;
        }
    }

    /** The bound address (useful with {@code admin.port=0}). */
    public InetSocketAddress address() {
        return (InetSocketAddress) undertow.getListenerInfo().get(0).getAddress();
    }

    @Override
    public void close() {
        undertow.stop();
        sampler.shutdownNow();
    }

    private static final class Handler implements HttpHandler {
        private static final HttpString CONTENT_SECURITY_POLICY_HEADER = new HttpString("Content-Security-Policy");
        private static final HttpString X_CONTENT_TYPE_OPTIONS = new HttpString("X-Content-Type-Options");

        private final PrometheusMeterRegistry registry;
        private final Supplier<StatusPage.Status> status;

        Handler(PrometheusMeterRegistry registry, Supplier<StatusPage.Status> status) {
            this.registry = registry;
            this.status = status;
        }

        @Override
        public void handleRequest(HttpServerExchange exchange) {
            if (exchange.isInIoThread()) {
                // Not the hot path: a scrape walks every meter, so it runs on a worker, off the IO thread.
                exchange.dispatch(this);
                return;
            }
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store").put(X_CONTENT_TYPE_OPTIONS, "nosniff");
            HttpString method = exchange.getRequestMethod();
            if (!method.equals(Methods.GET) && !method.equals(Methods.HEAD)) {
                exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
                text(exchange, StatusCodes.METHOD_NOT_ALLOWED, "method not allowed\n");
                return;
            }
            switch (exchange.getRequestPath()) {
                case "/" -> {
                    exchange.getResponseHeaders()
                            .put(Headers.CONTENT_TYPE, HTML_CONTENT_TYPE)
                            .put(CONTENT_SECURITY_POLICY_HEADER, CONTENT_SECURITY_POLICY);
                    exchange.getResponseSender().send(StatusPage.render(status.get()), StandardCharsets.UTF_8);
                }
                case "/metrics" -> {
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE);
                    exchange.getResponseSender().send(registry.scrape(), StandardCharsets.UTF_8);
                }
                default -> text(exchange, StatusCodes.NOT_FOUND, "not found\n");
            }
        }

        private static void text(HttpServerExchange exchange, int status, String body) {
            exchange.setStatusCode(status);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
            exchange.getResponseSender().send(body, StandardCharsets.UTF_8);
        }
    }
}
