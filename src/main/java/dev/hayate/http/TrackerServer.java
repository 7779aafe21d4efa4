package dev.hayate.http;

import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.AnnounceRateLimiter;
import dev.hayate.swarm.SwarmStore;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.protocols.ssl.UndertowXnioSsl;
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
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
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
import org.xnio.ssl.SslConnection;

/**
 * The HTTP listeners: Undertow's parser and handler API with a listener per {@code http.host} address.
 *
 * <p>{@code http.acceptor=per_thread} (the default) wires Undertow's {@link HttpOpenListener} to Hayate's own
 * {@link PerThreadAcceptor}: every IO thread accepts on its own {@code SO_REUSEPORT} socket and serves what it accepted,
 * and a finished {@code Connection: close} connection is closed at once ({@link PromptClose}). {@code
 * http.acceptor=xnio} is Undertow's stock listener (XNIO's accept thread hands each connection to an IO thread).
 * Both paths use the same Undertow options below.
 *
 * <p>HTTPS ({@code https.host}) serves the same root handler on its own listeners, with the same acceptor, options and
 * limits: {@code http.max_connections} applies per HTTPS listener address too, and {@code http.trusted_proxies} the
 * same way (the socket address of a TLS connection is its TCP peer). With {@code per_thread} each accepted connection
 * is wrapped in Undertow's {@code UndertowSslConnection} before Undertow's open listener sees it; a finished {@code
 * Connection: close} TLS connection gets Undertow's own close (close_notify, then wait for the client), not {@link
 * PromptClose}, which works on raw bytes. The certificate comes from {@link TlsCertificates}, which swaps in a renewed
 * one without touching the listeners.
 *
 * <p>The TLS engine's delegated tasks (the handshake's key exchange and signature) run on the IO thread that owns the
 * connection, as the rest of a request does: with no delegated-task executor set, Undertow 2.4's {@code SslConduit}
 * runs them in place when it is on the connection's IO thread (the XNIO worker pool, one thread in Hayate, is not
 * involved).
 */
public final class TrackerServer implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("hayate.http");

    /** Undertow's own choice for a heap over 128 MiB (Undertow.Builder): direct buffers of 16,364 bytes. */
    private static final int BUFFER_BYTES = 16_364;

    private final TrackerConfig config;
    /** What every listener serves, HTTP and HTTPS alike (WebSocket upgrades included); anything added belongs here. */
    private final HttpHandler root;

    private final Undertow undertow;
    private XnioWorker worker;
    private final List<PerThreadAcceptor> acceptors = new ArrayList<>();
    private final List<PerThreadAcceptor> httpsAcceptors = new ArrayList<>();
    private final TlsCertificates tls;

    public TrackerServer(TrackerConfig config, SwarmStore store, TrackerMetrics metrics, AccessPolicy access) {
        this(config, store, metrics, access, AnnounceRateLimiter.OFF, null, null, null);
    }

    /** Without the WebTorrent tracker. */
    public TrackerServer(
            TrackerConfig config,
            SwarmStore store,
            TrackerMetrics metrics,
            AccessPolicy access,
            AnnounceRateLimiter rateLimiter,
            FullScrapeHandler fullScrape) {
        this(config, store, metrics, access, rateLimiter, fullScrape, null, null);
    }

    /** With the WebTorrent tracker, no rate limit and no full scrape. */
    public TrackerServer(
            TrackerConfig config,
            SwarmStore store,
            TrackerMetrics metrics,
            AccessPolicy access,
            HttpHandler webSocket,
            AttachmentKey<InetAddress> clientAddress) {
        this(config, store, metrics, access, AnnounceRateLimiter.OFF, null, webSocket, clientAddress);
    }

    /**
     * @param rateLimiter the per-address announce limit, shared with the other adapters
     * @param fullScrape answers {@code /scrape} without info_hash ({@code scrape.full=public}), or {@code null}
     * @param webSocket takes WebSocket upgrades on {@code /} and {@code /announce} (the WebTorrent tracker); {@code
     *     null} when {@code ws.enabled=false}. It is part of the root handler chain built here, so every listener
     *     (HTTP and HTTPS) serves it too.
     * @param clientAddress where an upgrade request gets the client's address as the HTTP tracker sees it ({@code
     *     http.trusted_proxies} and {@code X-Forwarded-For} applied), for the WebSocket side; may be {@code null}
     */
    public TrackerServer(
            TrackerConfig config,
            SwarmStore store,
            TrackerMetrics metrics,
            AccessPolicy access,
            AnnounceRateLimiter rateLimiter,
            FullScrapeHandler fullScrape,
            HttpHandler webSocket,
            AttachmentKey<InetAddress> clientAddress) {
        this.config = config;
        this.root = routes(
                new TrackerHandler(config, store, metrics, access, rateLimiter, fullScrape),
                webSocket,
                clientAddress,
                new PeerAddressResolver(config.trustedProxies()));
        if (config.httpsEnabled()) {
            this.tls = TlsCertificates.load(config.tlsCertFile(), config.tlsKeyFile(), metrics::tlsReload);
            metrics.bindTls(() -> tls.currentCertificate().getNotAfter().getTime() / 1000.0);
        } else {
            this.tls = null;
        }
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
                    .setHandler(root);
            OptionMap options = undertowOptions(config);
            for (Option<?> option : options) {
                setServerOption(builder, option, options);
            }
            for (String host : config.httpHosts()) {
                builder.addHttpListener(config.httpPort(), host);
            }
            if (tls != null) {
                for (String host : config.httpsHosts()) {
                    builder.addHttpsListener(config.httpsPort(), host, tls.sslContext());
                }
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
            open.setRootHandler(PromptClose.handler(root));
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
        if (tls != null) {
            try {
                openHttps(worker);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(
                        "cannot open the HTTPS listener (https.port " + config.httpsPort() + "): " + e.getMessage(), e);
            }
        }
    }

    /** The per_thread HTTPS listeners: the same acceptor, each connection wrapped in TLS before Undertow sees it. */
    private void openHttps(XnioWorker worker) throws IOException {
        UndertowXnioSsl ssl = new UndertowXnioSsl(worker.getXnio(), OptionMap.EMPTY, tls.sslContext());
        HttpOpenListener open = new HttpOpenListener(
                new DefaultByteBufferPool(true, BUFFER_BYTES, -1, 4),
                OptionMap.builder()
                        .set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                        .addAll(undertowOptions(config))
                        .getMap());
        open.setRootHandler(root);
        ChannelListener<StreamConnection> openListener = connection -> {
            // As Undertow's own HTTPS acceptor (UndertowAcceptingSslChannel) does: a server-mode engine that prefers
            // the server's cipher order, and no explicit startHandshake (the conduit starts it on the first read;
            // calling it first sends Undertow 2.4.4's SslConduit into a doWrap/doUnwrap recursion).
            SslConnection wrapped = ssl.wrapExistingConnection(connection, OptionMap.EMPTY, false);
            SSLEngine engine = UndertowXnioSsl.getSslEngine(wrapped);
            SSLParameters params = engine.getSSLParameters();
            params.setUseCipherSuitesOrder(true);
            engine.setSSLParameters(params);
            open.handleEvent(wrapped);
        };
        for (String host : config.httpsHosts()) {
            httpsAcceptors.add(PerThreadAcceptor.open(
                    worker,
                    new InetSocketAddress(InetAddress.getByName(host), config.httpsPort()),
                    config.httpBacklog(),
                    config.httpMaxConnections(),
                    lowWater(config.httpMaxConnections()),
                    openListener));
        }
    }

    /** Rereads {@code tls.cert_file} and {@code tls.key_file} and swaps in a changed, good pair; no-op without HTTPS. */
    public void reloadTlsIfChanged() {
        if (tls != null) {
            tls.reloadIfChanged();
        }
    }

    /** The bound HTTPS addresses; empty when HTTPS is off. */
    public List<InetSocketAddress> httpsAddresses() {
        return bound("https", httpsAcceptors);
    }

    /** The bound addresses (useful with {@code http.port=0}). */
    public List<InetSocketAddress> addresses() {
        return bound("http", acceptors);
    }

    private List<InetSocketAddress> bound(String protocol, List<PerThreadAcceptor> perThread) {
        List<InetSocketAddress> out = new ArrayList<>();
        if (undertow != null) {
            for (Undertow.ListenerInfo info : undertow.getListenerInfo()) {
                if (info.getProtcol().equals(protocol)) {
                    out.add((InetSocketAddress) info.getAddress());
                }
            }
        } else {
            for (PerThreadAcceptor a : perThread) {
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
        for (PerThreadAcceptor a : httpsAcceptors) {
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
        for (PerThreadAcceptor a : httpsAcceptors) {
            a.close();
        }
        httpsAcceptors.clear();
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
