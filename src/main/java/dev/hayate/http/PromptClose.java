package dev.hayate.http;

import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.StreamConnection;
import org.xnio.conduits.AbstractStreamSinkConduit;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.StreamSinkConduit;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Closes a finished {@code Connection: close} (or HTTP/1.0) connection at once when nothing more is coming, as
 * opentracker and nginx do, instead of Undertow's half-close-and-wait.
 *
 * <p>After the last response Undertow 2.4 ({@code ConnectionUtils.cleanClose}) shuts the connection's writes down (FIN
 * to the client), then reads one byte: on data or end of stream it closes at once; on "nothing yet" it schedules a
 * 10-second timer and waits for the client's FIN, which costs every such connection another selector round, a timer
 * and the time the socket stays open. This pair of conduits sits under Undertow's on the raw connection. Once writes
 * are shut down, a read that finds nothing pending reports end of stream, so Undertow closes at once.
 *
 * <p>Input that is still arriving keeps a lingering close: when Undertow had read bytes beyond the request (pipelined
 * input, see {@link #handler}), or the read after the shutdown finds more input, that data is drained and discarded
 * and reported as "nothing yet", so Undertow keeps waiting for the client's FIN (bounded by its drain timer) instead of
 * closing onto unread data, which would send the client a reset that can destroy the response it has not read yet.
 *
 * <p>Input that the client sends only after the answer has gone out and the read found nothing is the client's
 * mistake (it asked to close): it meets a closed socket, as with nginx's lingering-close heuristic and opentracker.
 *
 * <p>Before the shutdown both conduits pass everything through unchanged.
 */
final class PromptClose {
    private static final int DRAIN_BYTES = 4096;
    /** Per IO thread: where discarded input goes (its content is never looked at). */
    private static final ThreadLocal<ByteBuffer> DRAIN =
            ThreadLocal.withInitial(() -> ByteBuffer.allocate(DRAIN_BYTES));

    private final Source source;
    private final Sink sink;
    private boolean writesShut;
    /** Set when input beyond the request was seen: close only on the client's FIN (or Undertow's drain timer). */
    private boolean linger;
    /** The connection became a WebSocket: it closes by the WebSocket close handshake, so pass everything through. */
    private boolean upgraded;

    private PromptClose(StreamConnection connection) {
        this.source = new Source(connection.getSourceChannel().getConduit());
        this.sink = new Sink(connection.getSinkChannel().getConduit());
    }

    /**
     * Wraps the root handler: marks a connection whose request arrived with more bytes behind it (Undertow keeps them as
     * "extra bytes") for a lingering close. Undertow drops those bytes before its close, so this is the only point
     * where they are visible. Allocation-free.
     */
    static HttpHandler handler(HttpHandler next) {
        return exchange -> {
            lingerIfPipelined(exchange);
            next.handleRequest(exchange);
        };
    }

    private static void lingerIfPipelined(HttpServerExchange exchange) {
        ServerConnection c = exchange.getConnection();
        if (c instanceof AbstractServerConnection a
                && a.getExtraBytes() != null
                && a.getOriginalSinkConduit() instanceof Sink sink) {
            sink.owner().linger = true;
        }
    }

    /**
     * Called for a WebSocket upgrade request: from now on the pair passes everything through, also after the
     * WebSocket's writes are shut down (the client's close frame must still be read). Allocation-free.
     */
    static void upgrading(HttpServerExchange exchange) {
        ServerConnection c = exchange.getConnection();
        if (c instanceof AbstractServerConnection a && a.getOriginalSinkConduit() instanceof Sink sink) {
            sink.owner().upgraded = true;
        }
    }

    /** Puts the pair under whatever Undertow will stack on {@code connection}; call before its open listener. */
    static void install(StreamConnection connection) {
        PromptClose p = new PromptClose(connection);
        connection.getSourceChannel().setConduit(p.source);
        connection.getSinkChannel().setConduit(p.sink);
    }

    private final class Source extends AbstractStreamSourceConduit<StreamSourceConduit> {
        Source(StreamSourceConduit next) {
            super(next);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return writesShut ? drain() : next.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
            return writesShut ? drain() : next.read(dsts, offs, len);
        }

        /**
         * After the shutdown: discards whatever is pending into a private buffer (never into the caller's: Undertow's
         * drain listener reads into a one-byte buffer it never clears, so filling it would spin the selector). End of
         * stream if the client is done or nothing was ever pending and none expected; "nothing yet" while lingering.
         */
        private int drain() throws IOException {
            ByteBuffer drain = DRAIN.get();
            int r;
            while ((r = next.read(drain.clear())) > 0) {
                linger = true;
            }
            if (r < 0) {
                return -1;
            }
            return linger ? 0 : -1;
        }
    }

    private final class Sink extends AbstractStreamSinkConduit<StreamSinkConduit> {
        Sink(StreamSinkConduit next) {
            super(next);
        }

        PromptClose owner() {
            return PromptClose.this;
        }

        @Override
        public void terminateWrites() throws IOException {
            writesShut = !upgraded;
            next.terminateWrites();
        }

        @Override
        public void truncateWrites() throws IOException {
            writesShut = !upgraded;
            next.truncateWrites();
        }
    }
}
