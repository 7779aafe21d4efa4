package dev.hayate.http;

import dev.hayate.protocol.FailureReason;
import dev.hayate.swarm.FullScrape;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;

/**
 * Answers a full scrape ({@code /scrape} without info_hash, {@code scrape.full}) from {@link FullScrape}'s snapshot.
 * The tracker's {@link TrackerHandler} calls it when {@code scrape.full=public}; the admin listener routes its
 * {@code /scrape} here when {@code scrape.full=admin}. Not on the announce path: it may allocate.
 *
 * <p>Never builds on the calling thread: when no fresh snapshot exists yet, the exchange is parked (dispatched to no
 * thread) until the background build completes, then answered on its IO thread. A client that accepts gzip gets the
 * snapshot's bytes as they are ({@code Content-Encoding: gzip}); any other client gets them decompressed as they are
 * written, 64 KiB at a time, when the socket can take more, so only the compressed snapshot is ever held.
 */
public final class FullScrapeHandler implements HttpHandler {
    /** Decompressed bytes written per writable event before giving other connections of the IO thread a turn. */
    private static final int PLAIN_BYTES_PER_EVENT = 1 << 18;

    private final FullScrape fullScrape;

    public FullScrapeHandler(FullScrape fullScrape) {
        this.fullScrape = fullScrape;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        CompletableFuture<FullScrape.Snapshot> future = fullScrape.snapshot();
        if (future.isDone() && !future.isCompletedExceptionally()) {
            serve(exchange, future.join());
            return;
        }
        exchange.dispatch(
                SameThreadExecutor.INSTANCE,
                () -> future.whenComplete((snapshot, error) -> exchange.getIoThread()
                        .execute(() -> {
                            if (error != null) {
                                failure(exchange);
                            } else {
                                serve(exchange, snapshot);
                            }
                        })));
    }

    private static void failure(HttpServerExchange exchange) {
        byte[] body = FailureReason.INTERNAL_ERROR.httpBody();
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    private static void serve(HttpServerExchange exchange, FullScrape.Snapshot snapshot) {
        exchange.setStatusCode(StatusCodes.OK);
        exchange.getResponseHeaders()
                .put(Headers.CONTENT_TYPE, "text/plain")
                .put(Headers.VARY, Headers.ACCEPT_ENCODING_STRING);
        if (acceptsGzip(exchange.getRequestHeaders().get(Headers.ACCEPT_ENCODING))) {
            exchange.getResponseHeaders().put(Headers.CONTENT_ENCODING, "gzip");
            exchange.setResponseContentLength(snapshot.gzipLength());
            // Read-only buffers over the snapshot's shared chunks; nothing is copied.
            exchange.getResponseSender().send(snapshot.gzipBuffers());
            return;
        }
        exchange.setResponseContentLength(snapshot.plainLength());
        StreamSinkChannel channel = exchange.getResponseChannel();
        channel.getWriteSetter().set(new PlainWriter(exchange, snapshot.openPlain()));
        channel.resumeWrites();
    }

    /**
     * Whether {@code Accept-Encoding} (RFC 9110 12.5.3) admits gzip: a {@code gzip} (or {@code x-gzip}) or {@code *}
     * coding whose {@code q} is not 0. No header: identity only.
     */
    static boolean acceptsGzip(HeaderValues values) {
        if (values == null) {
            return false;
        }
        boolean star = false;
        boolean gzip = false;
        boolean gzipNamed = false;
        for (String value : values) {
            for (String part : value.split(",")) {
                String[] params = part.split(";");
                String coding = params[0].trim().toLowerCase(Locale.ROOT);
                boolean allowed = true;
                for (int i = 1; i < params.length; i++) {
                    String p = params[i].trim().toLowerCase(Locale.ROOT);
                    if (p.startsWith("q=")) {
                        try {
                            allowed = Double.parseDouble(p.substring(2)) > 0;
                        } catch (NumberFormatException e) {
                            allowed = false;
                        }
                    }
                }
                if (coding.equals("gzip") || coding.equals("x-gzip")) {
                    gzipNamed = true;
                    gzip = allowed;
                } else if (coding.equals("*")) {
                    star = allowed;
                }
            }
        }
        return gzipNamed ? gzip : star;
    }

    /** Streams the decompressed snapshot; owns its stream and a 64 KiB buffer until the response is written. */
    private static final class PlainWriter implements ChannelListener<StreamSinkChannel> {
        private final HttpServerExchange exchange;
        private final InputStream in;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);

        PlainWriter(HttpServerExchange exchange, InputStream in) {
            this.exchange = exchange;
            this.in = in;
            buffer.limit(0);
        }

        @Override
        public void handleEvent(StreamSinkChannel channel) {
            int budget = PLAIN_BYTES_PER_EVENT;
            try {
                while (budget > 0) {
                    if (!buffer.hasRemaining()) {
                        int n = in.read(buffer.array(), 0, buffer.capacity());
                        if (n < 0) {
                            finish(channel);
                            return;
                        }
                        buffer.position(0).limit(n);
                    }
                    int written = channel.write(buffer);
                    if (written == 0) {
                        return; // resumed writes call us again when the socket drains
                    }
                    budget -= written;
                }
                // Budget used: stay resumed, so this runs again after the IO thread served others.
            } catch (IOException e) {
                closeQuietly();
                channel.suspendWrites();
                channel.getWriteSetter().set(null);
                exchange.endExchange();
            }
        }

        private void finish(StreamSinkChannel channel) {
            closeQuietly();
            channel.suspendWrites();
            channel.getWriteSetter().set(null);
            exchange.endExchange();
        }

        private void closeQuietly() {
            try {
                in.close();
            } catch (IOException e) {
                // an in-memory stream
            }
        }
    }
}
