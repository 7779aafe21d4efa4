package dev.hayate.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A tiny HTTP/1.1 client over a raw socket, so tests can send exactly the bytes a torrent client (or an attacker)
 * would, including invalid escapes that java.net.URI refuses. Keeps the connection alive between requests.
 */
final class RawHttpClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    RawHttpClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    RawHttpClient(InetSocketAddress address, InetSocketAddress local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(local);
        }
        socket.connect(address, 5_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    Response get(String pathAndQuery) throws IOException {
        return request("GET", pathAndQuery, Map.of());
    }

    Response request(String method, String pathAndQuery, Map<String, String> extraHeaders) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(method).append(' ').append(pathAndQuery).append(" HTTP/1.1\r\nHost: tracker\r\n");
        extraHeaders.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return read(!method.equals("HEAD"));
    }

    void setTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    Response read(boolean hasBody) throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(); line != null && !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            headers.put(
                    line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    line.substring(colon + 1).trim());
        }
        byte[] body = new byte[0];
        String length = headers.get("content-length");
        if (hasBody && length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        }
        return new Response(status, headers, body);
    }

    /** True when the server closed the connection (read returns EOF) within the socket timeout. */
    boolean isClosedByPeer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
