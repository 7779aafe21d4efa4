package dev.hayate.ws;

import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.WebTorrentCodec;
import dev.hayate.protocol.WebTorrentFailure;
import dev.hayate.protocol.WebTorrentRequest;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.AnnounceRateLimiter;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.XnioIoThread;

/**
 * The WebTorrent tracker: the WebSocket side of the HTTP listeners (issue 12; the protocol and its pitfalls are in
 * {@code shared/protocol/webtorrent/}). {@link #upgradeHandler()} takes a WebSocket upgrade that the HTTP routes
 * handed over ({@code /} or {@code /announce}); each socket is then served by the IO thread that owns it.
 *
 * <p>Per message, on the socket's IO thread: the text is parsed ({@link WebTorrentCodec}), the swarm changed under its
 * stripe's lock ({@link WsSwarms}), the reply written first, then each offer relayed to one other peer. A relay to a
 * socket of another IO thread is written by that thread ({@code execute}), never across threads. Each IO thread owns a
 * {@link Worker}: the codec, the input array, the scratch of the swarm operations and its sockets for the idle sweep.
 *
 * <p>A message is read from Undertow's frame channel straight into the worker's input array (one copy, no pooled
 * buffer of ours in between; see {@link WsConnection}).
 *
 * <p>Allocation per message: Jackson's parser, and one heap {@link ByteBuffer} per frame sent (Undertow keeps a frame's
 * buffer until it is written, so the thread's output array cannot be handed over), plus Undertow's own frame objects.
 * Nothing per idle socket beyond {@link WsConnection}.
 */
public final class WebTorrentTracker implements WebSocketConnectionCallback {
    static final Logger LOG = LoggerFactory.getLogger("hayate.ws");

    /**
     * The client's address for an upgrade request, put there by the HTTP routes (with {@code http.trusted_proxies}
     * and {@code X-Forwarded-For} applied, as for HTTP announces). Without it, the socket's peer address is used.
     */
    public static final AttachmentKey<InetAddress> CLIENT_ADDRESS = AttachmentKey.create(InetAddress.class);

    private static final byte[] TOO_MANY_CONNECTIONS = "too many WebSocket connections\n".getBytes();
    private static final byte[] NOT_A_WEBSOCKET = "not a WebSocket upgrade\n".getBytes();

    final TrackerMetrics metrics;
    final WsSwarms swarms = new WsSwarms();
    final int maxMessageBytes;
    final long maxQueuedBytes;
    private final AccessPolicy access;
    private final int announceIntervalSeconds;
    private final long peerTtlMillis;
    private final int maxOffers;
    private final int maxConnections;
    private final long idleTimeoutMillis;
    private final int maxTorrentsPerConnection;
    private final long maxPeers;
    private final int maxScrapeHashes;
    private final AtomicInteger connections = new AtomicInteger();
    private final ThreadLocal<Worker> workers = new ThreadLocal<>();
    private final HttpHandler upgradeHandler;
    private final AnnounceRateLimiter rateLimiter;

    public WebTorrentTracker(TrackerConfig config, TrackerMetrics metrics, AccessPolicy access) {
        this(config, metrics, access, AnnounceRateLimiter.OFF);
    }

    /**
     * @param rateLimiter the per-address announce limit ({@code limits.*}), shared with the HTTP and UDP adapters so
     *     that an address has one budget whatever it announces over
     */
    public WebTorrentTracker(
            TrackerConfig config, TrackerMetrics metrics, AccessPolicy access, AnnounceRateLimiter rateLimiter) {
        this.rateLimiter = rateLimiter;
        TrackerConfig.WebTorrent ws = config.webTorrent();
        this.metrics = metrics;
        this.access = access;
        this.maxMessageBytes = ws.maxMessageBytes();
        this.maxQueuedBytes = ws.maxQueuedBytes();
        this.announceIntervalSeconds = ws.announceIntervalSeconds();
        this.peerTtlMillis = ws.peerTtlSeconds() * 1000L;
        this.maxOffers = ws.maxOffers();
        this.maxConnections = ws.maxConnections();
        this.idleTimeoutMillis = ws.idleTimeoutSeconds() * 1000L;
        this.maxTorrentsPerConnection = ws.maxTorrentsPerConnection();
        this.maxPeers = ws.maxPeers();
        this.maxScrapeHashes = config.maxScrapeHashes();
        metrics.bindWebTorrent(
                Arrays.stream(AnnounceEvent.values()).map(Enum::name).toList(),
                Arrays.stream(WebTorrentFailure.values()).map(Enum::name).toList(),
                connections::get,
                swarms::torrents,
                swarms::seeders,
                swarms::leechers);
        HttpHandler handshake = new WebSocketProtocolHandshakeHandler(this, WebTorrentTracker::notAWebSocket);
        this.upgradeHandler = exchange -> {
            if (connections.get() >= maxConnections) {
                // Refused before the upgrade: a plain HTTP answer, and the HTTP connection closes after it.
                metrics.wsClosed(TrackerMetrics.WS_CLOSE_LIMIT);
                plain(exchange, StatusCodes.SERVICE_UNAVAILABLE, TOO_MANY_CONNECTIONS);
                return;
            }
            handshake.handleRequest(exchange);
        };
    }

    /** Takes a WebSocket upgrade request (the HTTP routes decide which requests are one). */
    public HttpHandler upgradeHandler() {
        return upgradeHandler;
    }

    private static void notAWebSocket(HttpServerExchange exchange) {
        plain(exchange, StatusCodes.BAD_REQUEST, NOT_A_WEBSOCKET);
    }

    private static void plain(HttpServerExchange exchange, int status, byte[] body) {
        exchange.setStatusCode(status);
        exchange.setPersistent(false);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    @Override
    public void onConnect(WebSocketHttpExchange exchange, WebSocketChannel channel) {
        XnioIoThread thread = channel.getIoThread();
        if (thread != Thread.currentThread()) {
            thread.execute(() -> onConnect(exchange, channel)); // every socket is served by its own IO thread
            return;
        }
        if (connections.incrementAndGet() > maxConnections) {
            // Two upgrades raced past the check in upgradeHandler: refuse the later one with "try again later".
            connections.decrementAndGet();
            metrics.wsClosed(TrackerMetrics.WS_CLOSE_LIMIT);
            io.undertow.websockets.core.WebSockets.sendClose(1013, "too many connections", channel, null);
            IoUtils.safeClose(channel);
            return;
        }
        Worker worker = worker(thread);
        InetAddress address = exchange.getAttachment(CLIENT_ADDRESS);
        if (address == null) {
            address = channel.getSourceAddress().getAddress();
        }
        WsConnection c = new WsConnection(this, worker, channel, address, System.currentTimeMillis());
        worker.register(c);
        channel.addCloseTask(ch -> c.closed());
        channel.getReceiveSetter().set(c);
        channel.resumeReceives();
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    private Worker worker(XnioIoThread thread) {
        Worker w = workers.get();
        if (w == null) {
            w = new Worker(thread);
            workers.set(w);
            long period = Math.max(1000, idleTimeoutMillis / 3);
            thread.executeAtInterval(w::idleSweep, period, TimeUnit.MILLISECONDS);
        }
        return w;
    }

    /** Expires WebTorrent peers not heard from for ws.peer_ttl_seconds; returns how many. On the sweeper thread. */
    public long expire(long nowMillis) {
        return swarms.expire(nowMillis - peerTtlMillis);
    }

    public int connections() {
        return connections.get();
    }

    public long torrents() {
        return swarms.torrents();
    }

    public long seeders() {
        return swarms.seeders();
    }

    public long leechers() {
        return swarms.leechers();
    }

    /**
     * Admission of one announce, after the access list and before any state changes: the per-address rate limit
     * ({@code c.address} is the client, behind trusted proxies too), one budget with HTTP and UDP. {@code null} admits;
     * a refused announce changes nothing. Answers are relays, not announces, and are not counted. Allocation-free.
     */
    private WebTorrentFailure admit(WsConnection c, WebTorrentRequest request) {
        byte[] address = c.addressBytes;
        if (address != null && !rateLimiter.tryAcquire(address, address.length)) {
            metrics.rateLimited(TrackerMetrics.PROTOCOL_WS);
            return WebTorrentFailure.RATE_LIMITED;
        }
        return null;
    }

    /** What one IO thread reuses from message to message, and its sockets (for the idle sweep). */
    final class Worker {
        private final XnioIoThread thread;
        private final WebTorrentCodec codec = new WebTorrentCodec();
        private final WebTorrentRequest request = new WebTorrentRequest(maxOffers, maxScrapeHashes);
        /** The message being handled; one byte more than ws.max_message_bytes, to see a message over the limit. */
        final byte[] in = new byte[maxMessageBytes + 1];
        /** {@link #in} for Undertow's frame reads (which UTF-8-check a text message in it). */
        final ByteBuffer inBuffer = ByteBuffer.wrap(in);

        private final WsSwarms.Scratch scratch = new WsSwarms.Scratch(maxOffers);
        private final WsSwarms.Key scrapeKey = new WsSwarms.Key();
        private final long[] complete = new long[maxScrapeHashes];
        private final long[] incomplete = new long[maxScrapeHashes];
        private final long[] downloaded = new long[maxScrapeHashes];
        private WsConnection[] sockets = new WsConnection[16];
        private int socketCount;

        Worker(XnioIoThread thread) {
            this.thread = thread;
        }

        void register(WsConnection c) {
            if (socketCount == sockets.length) {
                sockets = Arrays.copyOf(sockets, sockets.length * 2);
            }
            c.workerIndex = socketCount;
            sockets[socketCount++] = c;
        }

        void unregister(WsConnection c) {
            int i = c.workerIndex;
            if (i < 0 || i >= socketCount || sockets[i] != c) {
                return;
            }
            WsConnection last = sockets[--socketCount];
            sockets[i] = last;
            last.workerIndex = i;
            sockets[socketCount] = null;
            c.workerIndex = -1;
        }

        /**
         * Pings the sockets silent for a third of ws.idle_timeout_seconds and closes those silent for all of it.
         * Runs on this thread ({@code executeAtInterval}); downwards, because a close removes the socket from the list
         * by moving the last one into its slot.
         */
        void idleSweep() {
            long now = System.currentTimeMillis();
            for (int i = socketCount - 1; i >= 0; i--) {
                WsConnection c = sockets[i];
                if (c == null) {
                    continue;
                }
                long silent = now - c.lastHeardMillis;
                if (silent >= idleTimeoutMillis) {
                    metrics.wsClosed(TrackerMetrics.WS_CLOSE_IDLE);
                    IoUtils.safeClose(c.channel);
                    unregister(c);
                } else if (silent >= idleTimeoutMillis / 3) {
                    c.ping();
                }
            }
        }

        /** One text message, {@code in[0, length)}, from {@code c}. */
        void onMessage(WsConnection c, int length) {
            WebTorrentRequest r = request;
            WebTorrentFailure failure = codec.parse(in, 0, length, r);
            try {
                if (failure == null) {
                    if (r.action == WebTorrentRequest.Action.SCRAPE) {
                        failure = scrape(c, r);
                    } else if (r.hasAnswer) {
                        failure = answer(c, r);
                    } else {
                        failure = announce(c, r);
                    }
                }
            } catch (RuntimeException e) {
                // A bug, not the client's mistake: tell it, keep the socket, and let the log show it.
                LOG.error("WebTorrent message failed: {}", e.toString(), e);
                failure = WebTorrentFailure.INTERNAL_ERROR;
            }
            if (failure != null) {
                metrics.wsFailure(failure.ordinal());
                c.send(frame(
                        failure == WebTorrentFailure.RATE_LIMITED
                                ? codec.writeFailure(r, failure, announceIntervalSeconds)
                                : codec.writeFailure(r, failure)));
            }
        }

        private WebTorrentFailure announce(WsConnection c, WebTorrentRequest r) {
            if (!access.allows(r.infoHash)) {
                return WebTorrentFailure.TORRENT_NOT_ALLOWED;
            }
            WebTorrentFailure admission = admit(c, r);
            if (admission != null) {
                return admission;
            }
            WsSwarms.Scratch s = scratch;
            if (r.event == AnnounceEvent.STOPPED) {
                swarms.stop(r.infoHash, r.peerId, c, s);
            } else {
                if (!c.mayAnnounce(r.infoHash, maxTorrentsPerConnection)) {
                    return WebTorrentFailure.TOO_MANY_TORRENTS;
                }
                int result = swarms.announce(
                        r.infoHash,
                        r.peerId,
                        r.seeder(),
                        r.event == AnnounceEvent.COMPLETED,
                        c,
                        System.currentTimeMillis(),
                        r.offerCount,
                        maxPeers,
                        s);
                if (result != WsSwarms.OK) {
                    return result == WsSwarms.FULL ? WebTorrentFailure.TRACKER_FULL : WebTorrentFailure.PEER_ID_IN_USE;
                }
                if (s.adopted != null) {
                    c.adopt(s.adopted);
                }
            }
            metrics.wsAnnounce(r.event.ordinal());
            // The reply first (README pitfall 2), then offer i to the i-th chosen peer.
            c.send(frame(codec.writeAnnounceReply(r.infoHash, s.complete, s.incomplete, announceIntervalSeconds)));
            int relayed = s.targetCount;
            for (int i = 0; i < relayed; i++) {
                deliver(s.targets[i], frame(codec.writeOfferRelay(r, in, i)));
                s.targets[i] = null;
            }
            if (relayed > 0) {
                metrics.wsOffersRelayed(relayed);
            }
            return null;
        }

        /** An answer goes to the current socket of {@code to_peer_id}; the answerer gets nothing back unless it fails. */
        private WebTorrentFailure answer(WsConnection c, WebTorrentRequest r) {
            if (!access.allows(r.infoHash)) {
                return WebTorrentFailure.TORRENT_NOT_ALLOWED;
            }
            WsConnection target =
                    swarms.route(r.infoHash, r.toPeerId, r.peerId, c, System.currentTimeMillis(), scratch);
            if (target == null || target == c) {
                metrics.wsDropped(TrackerMetrics.WS_DROP_UNKNOWN_PEER);
                return WebTorrentFailure.UNKNOWN_PEER;
            }
            deliver(target, frame(codec.writeAnswerRelay(r, in)));
            metrics.wsAnswerRelayed();
            return null;
        }

        private WebTorrentFailure scrape(WsConnection c, WebTorrentRequest r) {
            for (int i = 0; i < r.scrapeCount; i++) {
                int offset = i * WebTorrentRequest.ID_LENGTH;
                if (access.allows(r.scrapeHashes, offset)) {
                    swarms.counts(r.scrapeHashes, offset, scrapeKey, complete, incomplete, downloaded, i);
                } else {
                    complete[i] = 0; // a refused torrent scrapes as zeros, like an unknown one (as over HTTP)
                    incomplete[i] = 0;
                    downloaded[i] = 0;
                }
            }
            metrics.wsScrape();
            c.send(frame(codec.writeScrapeReply(r, complete, incomplete, downloaded, announceIntervalSeconds)));
            return null;
        }

        /** The codec's last frame in a buffer of its own (Undertow keeps it until written). */
        private ByteBuffer frame(int length) {
            ByteBuffer b = ByteBuffer.allocate(length);
            b.put(codec.buffer(), 0, length).flip();
            return b;
        }

        /** Sends on the target's own IO thread: at once if it is this one, else handed over. */
        private void deliver(WsConnection target, ByteBuffer frame) {
            if (target.worker == this) {
                target.send(frame);
            } else {
                target.worker.thread.execute(new Delivery(target, frame));
            }
        }
    }

    /** A frame for a socket of another IO thread, sent by that thread. */
    private static final class Delivery implements Runnable {
        private final WsConnection target;
        private final ByteBuffer frame;

        Delivery(WsConnection target, ByteBuffer frame) {
            this.target = target;
            this.frame = frame;
        }

        @Override
        public void run() {
            target.send(frame);
        }
    }
}
