package dev.hayate.http;

import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.SwarmStore;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.Options;

/** The HTTP listeners: one Undertow server with a listener per {@code http.host} address. */
public final class TrackerServer implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("hayate.http");

    private final Undertow undertow;

    public TrackerServer(TrackerConfig config, SwarmStore store, TrackerMetrics metrics, AccessPolicy access) {
        Undertow.Builder builder = Undertow.builder()
                .setIoThreads(config.httpIoThreads())
                // Announces and scrapes never leave the IO threads; the worker pool only exists because XNIO
                // insists on one, so keep it minimal.
                .setWorkerThreads(1)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, false)
                .setServerOption(UndertowOptions.DECODE_URL, false)
                .setServerOption(UndertowOptions.RECORD_REQUEST_START_TIME, false)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, config.maxHeaderBytes())
                .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
                .setSocketOption(Options.BACKLOG, config.httpBacklog())
                .setSocketOption(Options.TCP_NODELAY, true)
                .setSocketOption(Options.REUSE_ADDRESSES, true)
                // Slow and idle clients: a request's line and headers must arrive within the parse timeout
                // (slowloris), and a connection with no request in progress is closed after the idle timeout.
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, config.httpRequestTimeoutSeconds() * 1000)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, config.httpIdleTimeoutSeconds() * 1000)
                .setServerOption(UndertowOptions.IDLE_TIMEOUT, config.httpIdleTimeoutSeconds() * 1000)
                // At max_connections a listener stops accepting until it is below 90% again; new connections wait
                // in the backlog meanwhile, and open ones are served as usual. XNIO stops one short of its high
                // water mark (measured: 20 accepts 19), hence the + 1.
                .setSocketOption(Options.CONNECTION_HIGH_WATER, config.httpMaxConnections() + 1)
                .setSocketOption(Options.CONNECTION_LOW_WATER, lowWater(config.httpMaxConnections()))
                .setHandler(new TrackerHandler(config, store, metrics, access));
        for (String host : config.httpHosts()) {
            builder.addHttpListener(config.httpPort(), host);
        }
        this.undertow = builder.build();
    }

    static int lowWater(int highWater) {
        return Math.max(1, highWater - Math.max(1, highWater / 10));
    }

    public void start() {
        undertow.start();
    }

    /** The bound addresses (useful with {@code http.port=0}). */
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Undertow.ListenerInfo info : undertow.getListenerInfo()) {
            out.add((InetSocketAddress) info.getAddress());
        }
        return out;
    }

    @Override
    public void close() {
        undertow.stop();
    }
}
