package dev.hayate.ws;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebTorrent client for tests on the JDK's {@link WebSocket}: sends text (or binary) messages, collects what arrives
 * as raw text and as parsed JSON (with jackson-core's streaming parser into maps), and records the close.
 * {@code java.net.http.WebSocket} answers pings by itself, as browsers do.
 */
final class WsTestClient implements WebSocket.Listener, AutoCloseable {
    static final HttpClient HTTP =
            HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private static final JsonFactory JSON = new JsonFactory();

    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    final WebSocket socket;

    private WsTestClient(URI uri, String forwardedFor) {
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        this.socket = b.buildAsync(uri, this).join();
    }

    /** As if through a reverse proxy that says the client is {@code forwardedFor}. */
    static WsTestClient connectVia(int port, String forwardedFor) {
        return new WsTestClient(URI.create("ws://127.0.0.1:" + port + "/"), forwardedFor);
    }

    static WsTestClient connect(int port, String path) {
        return new WsTestClient(URI.create("ws://127.0.0.1:" + port + path), null);
    }

    static WsTestClient connect(int port) {
        return connect(port, "/");
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeCode.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode.complete(-1);
    }

    void send(String message) {
        socket.sendText(message, true).orTimeout(5, TimeUnit.SECONDS).join();
    }

    void sendBinary(byte[] message) {
        socket.sendBinary(ByteBuffer.wrap(message), true)
                .orTimeout(5, TimeUnit.SECONDS)
                .join();
    }

    /** The next message as raw text; fails after 5 s. */
    String nextText() throws InterruptedException {
        String m = messages.poll(5, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no message within 5 s");
        }
        return m;
    }

    Map<String, Object> next() throws InterruptedException {
        return parse(nextText());
    }

    /** Asserts that nothing arrives for {@code millis}. */
    void assertQuiet(long millis) throws InterruptedException {
        String m = messages.poll(millis, TimeUnit.MILLISECONDS);
        if (m != null) {
            throw new AssertionError("unexpected message: " + m);
        }
    }

    int awaitClose() throws Exception {
        return closeCode.get(15, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "")
                    .orTimeout(5, TimeUnit.SECONDS)
                    .exceptionally(e -> null);
        }
        socket.abort();
    }

    /** A JSON object as maps, lists, Strings (binary strings as read: one char per byte), Longs and null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            return (Map<String, Object>) value(p, p.nextToken());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    l.add(value(p, e));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_NULL -> {
                return null;
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            default -> {
                return p.getText();
            }
        }
    }

    /** A binary string (one char per byte) as JSON.stringify writes it, quotes included. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String binary(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
