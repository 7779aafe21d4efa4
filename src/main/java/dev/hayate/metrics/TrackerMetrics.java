package dev.hayate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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
public final class TrackerMetrics {
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

    /** Registers the store gauges; call once at start-up. */
    public void bindStore(
            DoubleSupplier torrents, DoubleSupplier seeders, DoubleSupplier leechers, DoubleSupplier capacityUsed) {
        Gauge.builder("hayate.torrents", torrents, DoubleSupplier::getAsDouble).description("Torrents with at least one peer").register(registry);
        Gauge.builder("hayate.seeders", seeders, DoubleSupplier::getAsDouble).description("Seeders stored").register(registry);
        Gauge.builder("hayate.leechers", leechers, DoubleSupplier::getAsDouble).description("Leechers stored").register(registry);
        Gauge.builder("hayate.store.capacity.used", capacityUsed, DoubleSupplier::getAsDouble)
                .description("Peers stored as a fraction of store.max_peers")
                .register(registry);
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

    public MeterRegistry registry() {
        return registry;
    }
}
