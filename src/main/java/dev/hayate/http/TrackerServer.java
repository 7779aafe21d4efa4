package dev.hayate.http;

import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.SwarmStore;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.Option;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.nio.PerThreadAcceptor;

/**
 * The HTTP listeners: Undertow's parser and handler API with a listener per {@code http.host} address.
 *
 * <p>{@code http.acceptor=per_thread} (the default) wires Undertow's {@link HttpOpenListener} to Hayate's own
 * {@link PerThreadAcceptor}: every IO thread accepts on its own {@code SO_REUSEPORT} socket and serves what it accepted,
 * and a finished {@code Connection: close} connection is closed at once ({@link PromptClose}). {@code
 * http.acceptor=xnio} is Undertow's stock listener (XNIO's accept thread hands each connection to an IO thread).
 * Both paths use the same Undertow options below.
 */
public final class TrackerServer implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("hayate.http");

    /** Undertow's own choice for a heap over 128 MiB (Undertow.Builder): direct buffers of 16,364 bytes. */
    private static final int BUFFER_BYTES = 16_364;

    private final TrackerConfig config;
    private final HttpHandler handler;
    private final Undertow undertow;
    private XnioWorker worker;
    private final List<PerThreadAcceptor> acceptors = new ArrayList<>();

    public TrackerServer(TrackerConfig config, SwarmStore store, TrackerMetrics metrics, AccessPolicy access) {
        this(config, store, metrics, access, null, null);
    }

    /**
     * @param webSocket takes WebSocket upgrades on {@code /} and {@code /announce} (the WebTorrent tracker); {@code
     *     null} when {@code ws.enabled=false}. It is part of the handler chain built here, so every listener that
     *     serves this chain serves it too.
     * @param clientAddress where an upgrade request gets the client's address as the HTTP tracker sees it ({@code
     *     http.trusted_proxies} and {@code X-Forwarded-For} applied), for the WebSocket side; may be {@code null}
     */
    public TrackerServer(
            TrackerConfig config,
            SwarmStore store,
            TrackerMetrics metrics,
            AccessPolicy access,
            HttpHandler webSocket,
            AttachmentKey<InetAddress> clientAddress) {
        this.config = config;
        this.handler = routes(
                new TrackerHandler(config, store, metrics, access),
                webSocket,
                clientAddress,
                new PeerAddressResolver(config.trustedProxies()));
        if (config.httpAcceptor() == TrackerConfig.HttpAcceptor.XNIO) {
            Undertow.Builder builder = Undertow.builder()
                    .setIoThreads(config.httpIoThreads())
                    .setWorkerThreads(1)
                    .setSocketOption(Options.BACKLOG, config.httpBacklog())
                    .setSocketOption(Options.TCP_NODELAY, true)
                    .setSocketOption(Options.REUSE_ADDRESSES, true)
                    // At max_connections a listener stops accepting until it is below 90% again; new connections
                    // wait in the backlog meanwhile, and open ones are served as usual. XNIO stops one short of its
                    // high water mark (measured: 20 accepts 19), hence the + 1.
                    .setSocketOption(Options.CONNECTION_HIGH_WATER, config.httpMaxConnections() + 1)
                    .setSocketOption(Options.CONNECTION_LOW_WATER, lowWater(config.httpMaxConnections()))
                    .setHandler(handler);
            OptionMap options = undertowOptions(config);
            for (Option<?> option : options) {
                setServerOption(builder, option, options);
            }
            for (String host : config.httpHosts()) {
                builder.addHttpListener(config.httpPort(), host);
            }
            this.undertow = builder.build();
        } else {
            this.undertow = null;
        }
    }

    /**
     * The root handler: a WebSocket upgrade on {@code /} or {@code /announce} goes to {@code webSocket}, everything else
     * (a plain {@code GET /announce} included) to the HTTP tracker. Allocation-free: one header lookup, only on those
     * two paths.
     */
    static HttpHandler routes(
            HttpHandler tracker,
            HttpHandler webSocket,
            AttachmentKey<InetAddress> clientAddress,
            PeerAddressResolver resolver) {
        if (webSocket == null) {
            return tracker;
        }
        return exchange -> {
            if (isWebSocketUpgrade(exchange)) {
                PromptClose.upgrading(exchange);
                if (clientAddress != null) {
                    // Once per WebSocket, so a fresh state and address are fine here.
                    byte[] address = new byte[16];
                    int length = resolver.resolve(
                            exchange.getSourceAddress().getAddress(),
                            exchange.getRequestHeaders().getLast(Headers.X_FORWARDED_FOR),
                            new PeerAddressResolver.State(),
                            address);
                    exchange.putAttachment(
                            clientAddress, InetAddress.getByAddress(java.util.Arrays.copyOf(address, length)));
                }
                webSocket.handleRequest(exchange);
            } else {
                tracker.handleRequest(exchange);
            }
        };
    }

    static boolean isWebSocketUpgrade(HttpServerExchange exchange) {
        String path = exchange.getRequestPath();
        if (!"/".equals(path) && !TrackerHandler.ANNOUNCE_PATH.equals(path)) {
            return false;
        }
        String upgrade = exchange.getRequestHeaders().getFirst(Headers.UPGRADE);
        return upgrade != null && "websocket".equalsIgnoreCase(upgrade.trim());
    }

    @SuppressWarnings("unchecked")
    private static <T> void setServerOption(Undertow.Builder builder, Option<T> option, OptionMap options) {
        builder.setServerOption(option, options.get(option));
    }

    /** The Undertow options of both acceptor paths. */
    static OptionMap undertowOptions(TrackerConfig config) {
        return OptionMap.builder()
                .set(UndertowOptions.ALWAYS_SET_DATE, false)
                .set(UndertowOptions.DECODE_URL, false)
                .set(UndertowOptions.RECORD_REQUEST_START_TIME, false)
                .set(UndertowOptions.MAX_HEADER_SIZE, config.maxHeaderBytes())
                .set(UndertowOptions.ENABLE_HTTP2, false)
                // Slow and idle clients: a request's line and headers must arrive within the parse timeout
                // (slowloris), and a connection with no request in progress is closed after the idle timeout.
                // No IDLE_TIMEOUT: in Undertow 2.4.4 HTTP/1 it only stacks an IdleTimeoutConduit on every connection
                // whose timeout is never set (HttpOpenListener creates it, nothing calls setIdleTimeout), so it
                // cost an allocation and a layer per connection and limited nothing. NO_REQUEST_TIMEOUT is the idle
                // limit (HostileHttpTest: idle and slowloris clients are disconnected).
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, config.httpRequestTimeoutSeconds() * 1000)
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, config.httpIdleTimeoutSeconds() * 1000)
                .getMap();
    }

    static int lowWater(int highWater) {
        return Math.max(1, highWater - Math.max(1, highWater / 10));
    }

    public void start() {
        if (undertow != null) {
            undertow.start();
            return;
        }
        try {
            // The same worker as Undertow.start() makes, with the same options.
            worker = Xnio.getInstance(Undertow.class.getClassLoader())
                    .createWorker(OptionMap.builder()
                            .set(Options.WORKER_IO_THREADS, config.httpIoThreads())
                            .set(Options.WORKER_TASK_CORE_THREADS, 1)
                            .set(Options.WORKER_TASK_MAX_THREADS, 1)
                            .set(Options.TCP_NODELAY, true)
                            .set(Options.CORK, true)
                            .getMap());
            HttpOpenListener open = new HttpOpenListener(
                    new DefaultByteBufferPool(true, BUFFER_BYTES, -1, 4),
                    OptionMap.builder()
                            .set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                            .addAll(undertowOptions(config))
                            .getMap());
            open.setRootHandler(PromptClose.handler(handler));
            ChannelListener<StreamConnection> openListener = connection -> {
                PromptClose.install(connection);
                open.handleEvent(connection);
            };
            for (String host : config.httpHosts()) {
                acceptors.add(PerThreadAcceptor.open(
                        worker,
                        new InetSocketAddress(InetAddress.getByName(host), config.httpPort()),
                        config.httpBacklog(),
                        config.httpMaxConnections(),
                        lowWater(config.httpMaxConnections()),
                        openListener));
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot open the HTTP listener: " + e.getMessage(), e);
        }
    }

    /** The bound addresses (useful with {@code http.port=0}). */
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        if (undertow != null) {
            for (Undertow.ListenerInfo info : undertow.getListenerInfo()) {
                out.add((InetSocketAddress) info.getAddress());
            }
        } else {
            for (PerThreadAcceptor a : acceptors) {
                out.add(a.localAddress());
            }
        }
        return out;
    }

    /** Open connections over all listeners; -1 with {@code http.acceptor=xnio} (XNIO does not say). */
    public int openConnections() {
        if (undertow != null) {
            return -1;
        }
        int n = 0;
        for (PerThreadAcceptor a : acceptors) {
            n += a.openConnections();
        }
        return n;
    }

    @Override
    public void close() {
        if (undertow != null) {
            undertow.stop();
            return;
        }
        for (PerThreadAcceptor a : acceptors) {
            a.close();
        }
        acceptors.clear();
        if (worker != null) {
            // As Undertow.stop(): the worker closes every open connection as it shuts down.
            worker.shutdown();
            try {
                worker.awaitTermination();
            } catch (InterruptedException e) {
                worker.shutdownNow();
                Thread.currentThread().interrupt();
            }
            worker = null;
        }
    }
}
