package dev.hayate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Hayate's meters, all registered in the constructor. Callers index them by small integers (protocol, event and
 * failure ordinals) so that the request path does no tag lookup and allocates nothing.
 *
 * <p>Names start with {@code hayate.}; the Prometheus registry renders them as {@code hayate_…}.
 */
public final class TrackerMetrics implements AutoCloseable {
    public static final int PROTOCOL_HTTP = 0;
    public static final int PROTOCOL_UDP = 1;
    private static final String[] PROTOCOLS = {"http", "udp"};

    private final Counter[][] announces;
    private final Counter[] scrapes;
    private final Counter[] failures;
    private final Counter peersExpired;
    private final Counter udpConnects;
    private final Counter udpDropped;
    private final Timer[] requestLatency;
    private final MeterRegistry registry;
    private JvmGcMetrics gcMetrics;

    /**
     * @param eventNames tag values for announce events, indexed by the caller's event ordinal
     * @param failureNames tag values for failure reasons, indexed by the caller's failure ordinal
     */
    public TrackerMetrics(MeterRegistry registry, List<String> eventNames, List<String> failureNames) {
        this.registry = registry;
        announces = new Counter[PROTOCOLS.length][eventNames.size()];
        scrapes = new Counter[PROTOCOLS.length];
        requestLatency = new Timer[PROTOCOLS.length];
        for (int p = 0; p < PROTOCOLS.length; p++) {
            for (int e = 0; e < eventNames.size(); e++) {
                announces[p][e] = Counter.builder("hayate.announces")
                        .description("Announces answered, by protocol and event")
                        .tag("protocol", PROTOCOLS[p])
                        .tag("event", eventNames.get(e).toLowerCase(Locale.ROOT))
                        .register(registry);
            }
            scrapes[p] = Counter.builder("hayate.scrapes")
                    .description("Scrapes answered, by protocol")
                    .tag("protocol", PROTOCOLS[p])
                    .register(registry);
            requestLatency[p] = Timer.builder("hayate.request.latency")
                    .description("Time to handle one announce or scrape, from parse to response written")
                    .tag("protocol", PROTOCOLS[p])
                    .serviceLevelObjectives(
                            Duration.ofNanos(50_000),
                            Duration.ofNanos(100_000),
                            Duration.ofNanos(250_000),
                            Duration.ofMillis(1),
                            Duration.ofMillis(5),
                            Duration.ofMillis(25))
                    .register(registry);
        }
        failures = new Counter[failureNames.size()];
        for (int f = 0; f < failureNames.size(); f++) {
            failures[f] = Counter.builder("hayate.failures")
                    .description("Requests answered with a failure reason, by reason")
                    .tag("reason", failureNames.get(f).toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        udpConnects = Counter.builder("hayate.udp.connects")
                .description("UDP connect requests answered")
                .register(registry);
        udpDropped = Counter.builder("hayate.udp.dropped")
                .description("UDP packets dropped unanswered: malformed, or with an invalid connection id")
                .register(registry);
        peersExpired = Counter.builder("hayate.peers.expired")
                .description("Peers removed by expiry")
                .register(registry);
    }

    /**
     * Registers the store gauges; call once at start-up. The suppliers are usually method references that nothing
     * else holds, and a Micrometer gauge only weakly references its object by default: without
     * {@code strongReference(true)} the first GC collects them and the gauges read NaN.
     */
    public void bindStore(
            DoubleSupplier torrents, DoubleSupplier seeders, DoubleSupplier leechers, DoubleSupplier capacityUsed) {
        gauge("hayate.torrents", "Torrents with at least one peer", torrents);
        gauge("hayate.seeders", "Seeders stored", seeders);
        gauge("hayate.leechers", "Leechers stored", leechers);
        gauge("hayate.store.capacity.used", "Peers stored as a fraction of store.max_peers", capacityUsed);
    }

    private void gauge(String name, String description, DoubleSupplier value) {
        Gauge.builder(name, value, DoubleSupplier::getAsDouble)
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    /**
     * Registers the standard JVM and process meters ({@code jvm_memory_*}, {@code jvm_gc_*}, {@code jvm_threads_*},
     * {@code jvm_classes_*}, {@code process_cpu_usage}, {@code system_cpu_usage}, {@code process_uptime_seconds},
     * {@code process_files_open_files}); call once at start-up. {@link #close()} removes the GC listeners.
     */
    public void bindJvmAndProcess() {
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Announces answered so far, over every protocol and event. Sums the counters: for samplers, not per request. */
    public long announcesTotal() {
        double sum = 0;
        for (Counter[] byEvent : announces) {
            for (Counter c : byEvent) {
                sum += c.count();
            }
        }
        return (long) sum;
    }

    public void announce(int protocol, int event) {
        announces[protocol][event].increment();
    }

    public void scrape(int protocol) {
        scrapes[protocol].increment();
    }

    public void failure(int reason) {
        failures[reason].increment();
    }

    public void udpConnect() {
        udpConnects.increment();
    }

    public void udpDropped() {
        udpDropped.increment();
    }

    public void peersExpired(long count) {
        peersExpired.increment(count);
    }

    public void latency(int protocol, long nanos) {
        requestLatency[protocol].record(nanos, TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // WebTorrent tracker (hayate_ws_*), registered by bindWebTorrent when ws.enabled=true
    // ---------------------------------------------------------------------------------------------------------------

    /** {@link #wsDropped} reasons: why a frame meant for a client was not sent. */
    public static final int WS_DROP_UNKNOWN_PEER = 0;

    public static final int WS_DROP_SLOW_READER = 1;
    public static final int WS_DROP_CLOSED = 2;
    private static final String[] WS_DROP_REASONS = {"unknown_peer", "slow_reader", "closed"};

    /** {@link #wsClosed} reasons: why the tracker closed a WebSocket. */
    public static final int WS_CLOSE_IDLE = 0;

    public static final int WS_CLOSE_TOO_BIG = 1;
    public static final int WS_CLOSE_BINARY = 2;
    public static final int WS_CLOSE_LIMIT = 3;
    public static final int WS_CLOSE_SLOW_READER = 4;
    private static final String[] WS_CLOSE_REASONS = {
        "idle_timeout", "message_too_big", "binary_frame", "max_connections", "slow_reader"
    };

    private Counter[] wsAnnounces;
    private Counter wsScrapes;
    private Counter wsOffersRelayed;
    private Counter wsAnswersRelayed;
    private Counter[] wsDropped;
    private Counter[] wsClosed;
    private Counter[] wsFailures;

    /**
     * Registers the WebTorrent meters; call once at start-up, before any other {@code ws*} method.
     *
     * @param eventNames announce events, as for the constructor
     * @param failureNames WebTorrent failure reasons, indexed by the caller's ordinal
     */
    public void bindWebTorrent(
            List<String> eventNames,
            List<String> failureNames,
            DoubleSupplier connections,
            DoubleSupplier torrents,
            DoubleSupplier seeders,
            DoubleSupplier leechers) {
        wsAnnounces = new Counter[eventNames.size()];
        for (int e = 0; e < eventNames.size(); e++) {
            wsAnnounces[e] = Counter.builder("hayate.ws.announces")
                    .description("WebTorrent announces answered, by event (answers are counted apart)")
                    .tag("event", eventNames.get(e).toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        wsScrapes = Counter.builder("hayate.ws.scrapes")
                .description("WebTorrent scrapes answered")
                .register(registry);
        wsOffersRelayed = Counter.builder("hayate.ws.offers.relayed")
                .description("WebRTC offers relayed to another WebTorrent peer")
                .register(registry);
        wsAnswersRelayed = Counter.builder("hayate.ws.answers.relayed")
                .description("WebRTC answers forwarded to the peer that made the offer")
                .register(registry);
        wsDropped = new Counter[WS_DROP_REASONS.length];
        for (int r = 0; r < WS_DROP_REASONS.length; r++) {
            wsDropped[r] = Counter.builder("hayate.ws.dropped")
                    .description(
                            "WebTorrent frames not delivered: answer to an unknown peer, slow reader, closed socket")
                    .tag("reason", WS_DROP_REASONS[r])
                    .register(registry);
        }
        wsClosed = new Counter[WS_CLOSE_REASONS.length];
        for (int r = 0; r < WS_CLOSE_REASONS.length; r++) {
            wsClosed[r] = Counter.builder("hayate.ws.closed")
                    .description("WebSockets closed by the tracker, by reason")
                    .tag("reason", WS_CLOSE_REASONS[r])
                    .register(registry);
        }
        wsFailures = new Counter[failureNames.size()];
        for (int f = 0; f < failureNames.size(); f++) {
            wsFailures[f] = Counter.builder("hayate.ws.failures")
                    .description("WebTorrent messages answered with a failure reason, by reason")
                    .tag("reason", failureNames.get(f).toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        gauge("hayate.ws.connections", "Open WebTorrent WebSocket connections", connections);
        gauge("hayate.ws.torrents", "WebTorrent swarms with at least one peer", torrents);
        gauge("hayate.ws.seeders", "WebTorrent seeders", seeders);
        gauge("hayate.ws.leechers", "WebTorrent leechers", leechers);
    }

    public void wsAnnounce(int event) {
        wsAnnounces[event].increment();
    }

    public void wsScrape() {
        wsScrapes.increment();
    }

    public void wsOffersRelayed(int count) {
        wsOffersRelayed.increment(count);
    }

    public void wsAnswerRelayed() {
        wsAnswersRelayed.increment();
    }

    public void wsDropped(int reason) {
        wsDropped[reason].increment();
    }

    public void wsClosed(int reason) {
        wsClosed[reason].increment();
    }

    public void wsFailure(int reason) {
        wsFailures[reason].increment();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Unhooks the GC notification listener registered by {@link #bindJvmAndProcess()}. */
    @Override
    public void close() {
        if (gcMetrics != null) {
            gcMetrics.close();
        }
    }
}
