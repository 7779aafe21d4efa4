package dev.hayate.http;

import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
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

    public TrackerServer(TrackerConfig config, SwarmStore store, TrackerMetrics metrics) {
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
                .setHandler(new TrackerHandler(config, store, metrics));
        for (String host : config.httpHosts()) {
            builder.addHttpListener(config.httpPort(), host);
        }
        this.undertow = builder.build();
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
