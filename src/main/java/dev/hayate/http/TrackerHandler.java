package dev.hayate.http;

import dev.hayate.config.AnnouncePolicy;
import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.protocol.BencodeWriter;
import dev.hayate.protocol.FailureReason;
import dev.hayate.protocol.QueryScanner;
import dev.hayate.protocol.ScrapeRequest;
import dev.hayate.protocol.ScrapeResponse;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.AnnounceRateLimiter;
import dev.hayate.swarm.SwarmStore;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;

/**
 * Routes {@code GET /announce} (BEP 3) and {@code GET /scrape} (BEP 48) and answers them on the IO thread that read
 * the request: parsing, the store update and the response write all happen here, with no dispatch.
 *
 * <p>Allocation-free after start-up on our side: each IO thread owns a {@link Scratch} (scanner, request and response
 * flyweights, an output buffer). The output buffer is reused for the next request on the same thread only because
 * {@link #send} copies it into the connection's own buffers before returning: Undertow's response conduit takes the
 * bytes synchronously, and in the rare case the socket cannot take them all, the remainder is copied to a fresh
 * buffer that the connection owns until it is written.
 *
 * <p>Every client mistake is answered with HTTP 200 and a bencoded {@code failure reason} (BEP 3); unknown paths
 * with 404 and a bencoded failure; never an HTML error page.
 */
public final class TrackerHandler implements HttpHandler {
    static final String ANNOUNCE_PATH = "/announce";
    static final String SCRAPE_PATH = "/scrape";
    private static final String TEXT_PLAIN = "text/plain";
    private static final HttpString X_FORWARDED_FOR = Headers.X_FORWARDED_FOR;

    private final SwarmStore store;
    private final TrackerMetrics metrics;
    private final PeerAddressResolver addressResolver;
    private final AnnouncePolicy policy;
    private final boolean resolveForwarded;
    private final ThreadLocal<Scratch> scratch;
    private final AccessPolicy access;
    private final AnnounceRateLimiter rateLimiter;
    /** {@link FailureReason#RATE_LIMITED} with {@code announce.min_interval_seconds}, encoded once. */
    private final byte[] rateLimitedBody;
    /** Answers {@code /scrape} without info_hash when {@code scrape.full=public}; {@code null} otherwise. */
    private final HttpHandler fullScrape;

    public TrackerHandler(TrackerConfig config, SwarmStore store, TrackerMetrics metrics, AccessPolicy access) {
        this(config, store, metrics, access, AnnounceRateLimiter.OFF, null);
    }

    /**
     * @param rateLimiter charged once per announce that passed parsing and the access list, before the store
     * @param fullScrape serves a scrape without info_hash, or {@code null}: such a scrape gets "missing info_hash"
     */
    public TrackerHandler(
            TrackerConfig config,
            SwarmStore store,
            TrackerMetrics metrics,
            AccessPolicy access,
            AnnounceRateLimiter rateLimiter,
            HttpHandler fullScrape) {
        this.access = access;
        this.rateLimiter = rateLimiter;
        this.fullScrape = fullScrape;
        this.rateLimitedBody = FailureReason.RATE_LIMITED.httpBodyWithMinInterval(config.minAnnounceIntervalSeconds());
        this.store = store;
        this.metrics = metrics;
        this.addressResolver = new PeerAddressResolver(config.trustedProxies());
        this.policy = config.announcePolicy();
        this.resolveForwarded = !config.trustedProxies().isEmpty();
        int maxQueryLength = config.maxQueryLength();
        int maxScrapeHashes = config.maxScrapeHashes();
        int maxPeers = policy.numWantMax();
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(maxQueryLength, maxPeers, maxScrapeHashes));
    }

    /** Everything one IO thread reuses from request to request. */
    static final class Scratch {
        final QueryScanner scanner;
        final AnnounceRequest announce = new AnnounceRequest();
        final AnnounceResponse announceResponse;
        final ScrapeRequest scrape;
        final ScrapeResponse scrapeResponse;
        final int[] scrapeOrder;
        final byte[] out;
        final ByteBuffer outBuffer;
        final PeerAddressResolver.State addressState = new PeerAddressResolver.State();
        final byte[] address = new byte[16];

        Scratch(int maxQueryLength, int maxPeers, int maxScrapeHashes) {
            scanner = new QueryScanner(maxQueryLength);
            announceResponse = new AnnounceResponse(maxPeers);
            scrape = new ScrapeRequest(maxScrapeHashes);
            scrapeResponse = new ScrapeResponse(maxScrapeHashes);
            scrapeOrder = new int[maxScrapeHashes];
            int size =
                    Math.max(BencodeWriter.maxAnnounceLength(maxPeers), BencodeWriter.maxScrapeLength(maxScrapeHashes));
            out = new byte[size];
            outBuffer = ByteBuffer.wrap(out);
        }
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long startNanos = System.nanoTime();
        Scratch s = scratch.get();
        String path = exchange.getRequestPath();
        boolean announce = ANNOUNCE_PATH.equals(path);
        if (!announce && !SCRAPE_PATH.equals(path)) {
            fail(exchange, s, StatusCodes.NOT_FOUND, FailureReason.NOT_FOUND);
            return;
        }
        if (!Methods.GET.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
            fail(exchange, s, StatusCodes.METHOD_NOT_ALLOWED, FailureReason.METHOD_NOT_ALLOWED);
            return;
        }
        try {
            if (announce) {
                announce(exchange, s);
            } else {
                scrape(exchange, s);
            }
        } catch (Exception e) {
            // A bug, not a client's mistake: answer, keep serving, and let the log show it.
            TrackerServer.LOG.error("request failed: {}", e.toString(), e);
            if (!exchange.isResponseStarted()) {
                fail(exchange, s, StatusCodes.OK, FailureReason.INTERNAL_ERROR);
            }
        }
        metrics.latency(TrackerMetrics.PROTOCOL_HTTP, System.nanoTime() - startNanos);
    }

    private void announce(HttpServerExchange exchange, Scratch s) {
        AnnounceRequest request = s.announce;
        FailureReason failure = s.scanner.scanAnnounce(exchange.getQueryString(), request);
        if (failure != null) {
            fail(exchange, s, StatusCodes.OK, failure);
            return;
        }
        if (!access.allows(request.infoHash)) {
            fail(exchange, s, StatusCodes.OK, FailureReason.TORRENT_NOT_ALLOWED);
            return;
        }
        int addressLength = peerAddress(exchange, s);
        if (!rateLimiter.tryAcquire(s.address, addressLength)) {
            // Nothing is stored: the limited announce never reaches the store.
            metrics.rateLimited(TrackerMetrics.PROTOCOL_HTTP);
            System.arraycopy(rateLimitedBody, 0, s.out, 0, rateLimitedBody.length);
            send(exchange, s, StatusCodes.OK, rateLimitedBody.length);
            return;
        }
        byte[] peerAddress = s.address;
        int peerAddressLength = addressLength;
        if (policy.allowIpParam() && request.ipLength != 0) {
            peerAddress = request.ip;
            peerAddressLength = request.ipLength;
        }
        int numWant = policy.numWant(request.numWant);
        AnnounceResponse response = s.announceResponse;
        failure =
                store.announce(request, peerAddress, peerAddressLength, numWant, System.currentTimeMillis(), response);
        if (failure != null) {
            fail(exchange, s, StatusCodes.OK, failure);
            return;
        }
        int length = BencodeWriter.writeAnnounce(
                response,
                policy.intervalSeconds(),
                policy.minIntervalSeconds(),
                request.compact,
                s.address,
                addressLength,
                s.out,
                0);
        metrics.announce(TrackerMetrics.PROTOCOL_HTTP, request.event.ordinal());
        send(exchange, s, StatusCodes.OK, length);
    }

    private void scrape(HttpServerExchange exchange, Scratch s) throws Exception {
        ScrapeRequest request = s.scrape;
        FailureReason failure = s.scanner.scanScrape(exchange.getQueryString(), request);
        if (failure == null && request.count == 0) {
            if (fullScrape != null) {
                // scrape.full=public: served from the background-built snapshot, never built here.
                fullScrape.handleRequest(exchange);
                metrics.scrape(TrackerMetrics.PROTOCOL_HTTP);
                return;
            }
            // By default a full scrape (no info_hash) is not offered: on a public tracker it is a large,
            // cheap-to-ask denial of service (scrape.full turns it on, cached).
            failure = FailureReason.MISSING_INFO_HASH;
        }
        if (failure != null) {
            fail(exchange, s, StatusCodes.OK, failure);
            return;
        }
        ScrapeResponse response = s.scrapeResponse;
        store.scrape(request, response);
        zeroRefused(access, request, response);
        int length = BencodeWriter.writeScrape(request, response, s.scrapeOrder, s.out, 0);
        metrics.scrape(TrackerMetrics.PROTOCOL_HTTP);
        send(exchange, s, StatusCodes.OK, length);
    }

    /**
     * A refused torrent scrapes as zeros, like a torrent the tracker does not know: the answer keeps one entry per
     * requested hash (BEP 48) and says nothing about peers left over from before the torrent was refused.
     */
    static void zeroRefused(AccessPolicy access, ScrapeRequest request, ScrapeResponse response) {
        if (access.mode() == AccessPolicy.Mode.OFF) {
            return;
        }
        for (int i = 0; i < request.count; i++) {
            if (!access.allows(request.infoHashes, request.offsetOf(i))) {
                response.complete[i] = 0;
                response.downloaded[i] = 0;
                response.incomplete[i] = 0;
            }
        }
    }

    private int peerAddress(HttpServerExchange exchange, Scratch s) {
        InetSocketAddress source = exchange.getSourceAddress();
        String forwardedFor = resolveForwarded ? exchange.getRequestHeaders().getLast(X_FORWARDED_FOR) : null;
        return addressResolver.resolve(source.getAddress(), forwardedFor, s.addressState, s.address);
    }

    private void fail(HttpServerExchange exchange, Scratch s, int status, FailureReason reason) {
        metrics.failure(reason.ordinal());
        byte[] body = reason.httpBody();
        System.arraycopy(body, 0, s.out, 0, body.length);
        send(exchange, s, status, body.length);
    }

    /** Writes {@code s.out[0, length)} as the whole response. See the class comment for why reuse is safe. */
    private static void send(HttpServerExchange exchange, Scratch s, int status, int length) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, TEXT_PLAIN);
        exchange.setResponseContentLength(length);
        ByteBuffer buffer = s.outBuffer;
        buffer.clear().limit(length);
        StreamSinkChannel channel = exchange.getResponseChannel();
        try {
            int written;
            do {
                written = channel.write(buffer);
            } while (written > 0 && buffer.hasRemaining());
        } catch (IOException e) {
            exchange.endExchange();
            return;
        }
        if (!buffer.hasRemaining()) {
            exchange.endExchange();
            return;
        }
        // Slow path: the socket is full. Copy the rest so the per-thread buffer can be reused.
        ByteBuffer rest = ByteBuffer.allocate(buffer.remaining());
        rest.put(buffer).flip();
        channel.getWriteSetter().set(new RemainderWriter(exchange, rest));
        channel.resumeWrites();
    }

    /** Finishes a response whose body did not fit the socket at once; owns its copy of the remainder. */
    private static final class RemainderWriter implements ChannelListener<StreamSinkChannel> {
        private final HttpServerExchange exchange;
        private final ByteBuffer rest;

        RemainderWriter(HttpServerExchange exchange, ByteBuffer rest) {
            this.exchange = exchange;
            this.rest = rest;
        }

        @Override
        public void handleEvent(StreamSinkChannel channel) {
            try {
                while (rest.hasRemaining()) {
                    if (channel.write(rest) == 0) {
                        return; // wait for the next writable event
                    }
                }
            } catch (IOException e) {
                // the client went away; ending the exchange closes the connection
            }
            channel.suspendWrites();
            channel.getWriteSetter().set(null);
            exchange.endExchange();
        }
    }
}
