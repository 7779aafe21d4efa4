package dev.hayate.bench;

import dev.hayate.config.ConfigLoader;
import dev.hayate.config.TrackerConfig;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.xnio.Options;

/**
 * The ceiling of Hayate's HTTP stack: Undertow answering every request with the same 100-byte body, straight from
 * the IO thread (no dispatch, no parsing, no store). A load run quotes Hayate as a ratio to this server, measured in
 * the same session, so the figure says how much of the HTTP stack's capacity the tracker logic costs.
 *
 * <p>The Undertow options are {@code dev.hayate.http.TrackerServer}'s, with the values of the tracker's built-in
 * defaults ({@link ConfigLoader#DEFAULTS}, the same as {@code tracker.properties}): no {@code Date} header, no URL
 * decoding, no request start time, no HTTP/2, {@code TCP_NODELAY}, address reuse, the backlog
 * ({@code http.backlog}), the header limit ({@code http.max_header_bytes}), the request-parse and idle timeouts
 * ({@code http.request_timeout_seconds}, {@code http.idle_timeout_seconds}), the connection limit with its 90% low
 * water mark ({@code http.max_connections}), one IO thread per core ({@code http.io_threads=0}) and a one-thread worker
 * pool that is never used. What differs: one listener on 127.0.0.1 (the tracker listens on each {@code http.host}),
 * and the handler, which answers the same body to every request without reading it. Keep this list in step with
 * {@code TrackerServer}.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.FixedBodyServer 7070 [ioThreads]
 * </pre>
 *
 * Binds to 127.0.0.1 only. Prints one line, {@code FixedBodyServer listening on 127.0.0.1:PORT}, once it accepts
 * connections; stops on SIGTERM or Ctrl-C.
 */
public final class FixedBodyServer {
    /** Size of every response body, bytes: about a small compact announce answer. */
    public static final int BODY_LENGTH_BYTES = 100;

    private static final String HOST = "127.0.0.1";

    /** A bencoded dictionary shaped like a compact announce answer, padded to exactly {@link #BODY_LENGTH_BYTES}. */
    static final byte[] BODY = body();

    private FixedBodyServer() {}

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: FixedBodyServer PORT [IO_THREADS (default: available cores)]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        // The tracker's defaults, resolved as the tracker resolves them (http.io_threads=0 -> one per core).
        TrackerConfig config = ConfigLoader.load(new Properties(), Map.of());
        int ioThreads = args.length > 1 ? Integer.parseInt(args[1]) : config.httpIoThreads();
        Undertow server = Undertow.builder()
                .setIoThreads(ioThreads)
                .setWorkerThreads(1)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, false)
                .setServerOption(UndertowOptions.DECODE_URL, false)
                .setServerOption(UndertowOptions.RECORD_REQUEST_START_TIME, false)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, config.maxHeaderBytes())
                .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
                .setSocketOption(Options.BACKLOG, config.httpBacklog())
                .setSocketOption(Options.TCP_NODELAY, true)
                .setSocketOption(Options.REUSE_ADDRESSES, true)
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, config.httpRequestTimeoutSeconds() * 1000)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, config.httpIdleTimeoutSeconds() * 1000)
                .setServerOption(UndertowOptions.IDLE_TIMEOUT, config.httpIdleTimeoutSeconds() * 1000)
                // TrackerServer's high/low water marks: XNIO stops one short of the high mark, hence the + 1;
                // accepting resumes below 90%.
                .setSocketOption(Options.CONNECTION_HIGH_WATER, config.httpMaxConnections() + 1)
                .setSocketOption(Options.CONNECTION_LOW_WATER, lowWater(config.httpMaxConnections()))
                .addHttpListener(port, HOST)
                .setHandler(new FixedBodyHandler())
                .build();
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "fixed-body-stop"));
        System.out.println("FixedBodyServer listening on " + HOST + ":" + port + " ioThreads=" + ioThreads
                + " body=" + BODY.length + "B maxHeaderBytes=" + config.maxHeaderBytes() + " maxConnections="
                + config.httpMaxConnections() + " java=" + Runtime.version());
    }

    /** {@code TrackerServer.lowWater}: the mark below which a listener at its connection limit accepts again. */
    static int lowWater(int highWater) {
        return Math.max(1, highWater - Math.max(1, highWater / 10));
    }

    /** Runs on the IO thread; sends a read-only view of the shared body, so nothing is copied. */
    static final class FixedBodyHandler implements HttpHandler {
        private static final ByteBuffer SHARED = ByteBuffer.allocateDirect(BODY.length).put(BODY).flip();

        @Override
        public void handleRequest(HttpServerExchange exchange) {
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            // duplicate(): each response needs its own position; the bytes stay shared and are never written.
            exchange.getResponseSender().send(SHARED.duplicate());
        }
    }

    private static byte[] body() {
        String head = "d8:completei3e10:downloadedi0e10:incompletei5e8:intervali1800e12:min intervali900e5:peers";
        int fill = BODY_LENGTH_BYTES - head.length() - 1; // trailing 'e'
        int n = fill - 2; // "N:" plus N bytes must be exactly fill bytes
        while (n + String.valueOf(n).length() + 1 > fill) {
            n--;
        }
        String peers = n + ":" + "x".repeat(n);
        byte[] out = (head + peers + "e").getBytes(StandardCharsets.US_ASCII);
        if (out.length != BODY_LENGTH_BYTES) {
            throw new IllegalStateException("body is " + out.length + " bytes, want " + BODY_LENGTH_BYTES);
        }
        return out;
    }
}
