package dev.hayate.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The floor of a Java HTTP server's per-connection cost: plain JDK NIO with nothing else. One selector thread per core,
 * each with its own {@code SO_REUSEPORT} listener (the kernel spreads new connections, no hand-off between threads);
 * accept, {@code TCP_NODELAY}, read the request, write a fixed response (the same 100-byte body as
 * {@link FixedBodyServer}) and, on {@code Connection: close} or HTTP/1.0, close at once. Keep-alive connections are
 * answered request by request. There is no parser, no timeout and no limit: it is a measuring stick for
 * {@code load.sh close64}, not a server.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.NioFloorServer 16972 [threads]
 * </pre>
 *
 * Binds to 127.0.0.1 only; prints {@code NioFloorServer listening on 127.0.0.1:PORT}; stops on SIGTERM.
 */
public final class NioFloorServer {
    private static final String HOST = "127.0.0.1";
    private static final int ACCEPTS_PER_WAKEUP = 128;
    private static final int READ_BUFFER_BYTES = 16 * 1024;
    private static final byte[] CONNECTION_CLOSE = "\nconnection: close".getBytes(StandardCharsets.US_ASCII);

    private NioFloorServer() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: NioFloorServer PORT [THREADS (default: available cores)]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        byte[] body = FixedBodyServer.BODY;
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n";
        byte[] keepAlive = response(head + "\r\n", body);
        byte[] close = response(head + "Connection: close\r\n\r\n", body);
        List<Thread> loops = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            server.bind(new InetSocketAddress(HOST, port), 1024);
            server.configureBlocking(false);
            Selector selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            Thread t = new Thread(() -> loop(selector, server, keepAlive, close), "floor-" + i);
            loops.add(t);
        }
        loops.forEach(Thread::start);
        System.out.println("NioFloorServer listening on " + HOST + ":" + port + " threads=" + threads + " body="
                + body.length + "B java=" + Runtime.version());
    }

    private static byte[] response(String head, byte[] body) {
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    private static void loop(Selector selector, ServerSocketChannel server, byte[] keepAliveBytes, byte[] closeBytes) {
        ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
        ByteBuffer keepAlive = ByteBuffer.allocateDirect(keepAliveBytes.length).put(keepAliveBytes).flip();
        ByteBuffer close = ByteBuffer.allocateDirect(closeBytes.length).put(closeBytes).flip();
        try {
            while (true) {
                selector.select();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (key.isAcceptable()) {
                        for (int n = 0; n < ACCEPTS_PER_WAKEUP; n++) {
                            SocketChannel ch = server.accept();
                            if (ch == null) {
                                break;
                            }
                            ch.configureBlocking(false);
                            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            ch.register(selector, SelectionKey.OP_READ);
                        }
                    } else if (key.isReadable()) {
                        serve((SocketChannel) key.channel(), in, keepAlive, close);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("NioFloorServer: " + e);
            System.exit(1);
        }
    }

    /** Answers every complete request in one read; a request split over reads is not supported (wrk never splits). */
    private static void serve(SocketChannel ch, ByteBuffer in, ByteBuffer keepAlive, ByteBuffer close) {
        try {
            in.clear();
            int n = ch.read(in);
            if (n < 0) {
                ch.close();
                return;
            }
            boolean closeAfter = false;
            int start = 0;
            for (int i = 3; i < n; i++) {
                if (in.get(i) == '\n' && in.get(i - 1) == '\r' && in.get(i - 2) == '\n' && in.get(i - 3) == '\r') {
                    closeAfter = wantsClose(in, start, i);
                    ByteBuffer out = (closeAfter ? close : keepAlive).duplicate();
                    while (out.hasRemaining() && ch.write(out) > 0) {}
                    start = i + 1;
                    if (closeAfter) {
                        break;
                    }
                }
            }
            if (closeAfter) {
                ch.close();
            }
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a broken connection
            }
        }
    }

    private static boolean wantsClose(ByteBuffer in, int from, int to) {
        // HTTP/1.0 request line, or a "Connection: close" header (case-insensitive on the header name's letters)
        int lineEnd = from;
        while (lineEnd < to && in.get(lineEnd) != '\r') {
            lineEnd++;
        }
        if (lineEnd - from >= 8 && in.get(lineEnd - 1) == '0' && in.get(lineEnd - 3) == '1') {
            return true;
        }
        byte[] needle = CONNECTION_CLOSE;
        outer:
        for (int i = from; i + needle.length <= to; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (Character.toLowerCase(in.get(i + j)) != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
