package dev.hayate.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A small HTTP/1.1 load client for tracker announces, for the two jobs wrk cannot do. Raw non-blocking sockets,
 * keep-alive, one request in flight per connection (no pipelining).
 *
 * <ul>
 *   <li>{@code mode=rate}: open loop at a fixed request rate (wrk2-style). Each request has an intended send time
 *       on a fixed schedule; its latency is measured from that intended time, so a stalled server is charged for the
 *       requests that queued behind the stall (no coordinated omission). Requests are tracker.lua's announce mix:
 *       Zipf(1) over {@code torrents} info_hashes (the same hashes as tracker.lua and gen-hashes.py), random
 *       peer_id and port, 30% seeders, 10% {@code event=started}, numwant 50, compact=1. With {@code close=1}
 *       every request carries {@code Connection: close}: a new TCP connection per announce.
 *   <li>{@code mode=fill}: closed loop, as fast as the connections go: announces {@code peers} distinct peers
 *       (peer_id derived from the torrent and slot, port 1025+slot, slot 0 a seeder) to each of torrents
 *       1..{@code torrents}, with numwant=0, then exits. Used to fill a tracker before reading its memory. Exits
 *       with status 1 on any transport error, non-200 answer, {@code failure reason} answer or missing request.
 * </ul>
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.LoadClient mode=rate url=http://127.0.0.1:6969/announce \
 *       rate=10000 duration=20 warmup=5 connections=64
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.LoadClient mode=fill url=http://127.0.0.1:6969/announce \
 *       torrents=600000 peers=3 connections=64
 * </pre>
 *
 * Prints one machine-readable line starting with {@code FIXEDRATE} or {@code FILL}. The client's own timing error is
 * printed too ({@code sendlag_*}: how late requests left against their schedule); waits under a millisecond are
 * {@code parkNanos}, whose resolution on Linux is about 0.05-0.1 ms, so latencies below that are noise. Servers that
 * close a connection after each response (opentracker) are handled: the client reconnects, and a request written to a
 * connection the server had already closed is sent again on a new one ({@code retries}).
 */
public final class LoadClient {
    private static final int RESPONSE_BUFFER_BYTES = 64 * 1024;
    private static final long DRAIN_NANOS = 2_000_000_000L;
    private static final int BACKLOG_CAPACITY = 1 << 20;
    private static final int REQUEST_POOL_SIZE = 1 << 16;
    private static final byte[] FAILURE_KEY = "14:failure reason".getBytes(StandardCharsets.US_ASCII);

    private LoadClient() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                System.err.println("arguments are key=value; see the class javadoc");
                System.exit(2);
            }
            opt.put(a.substring(0, eq), a.substring(eq + 1));
        }
        String mode = opt.getOrDefault("mode", "rate");
        URI url = URI.create(opt.getOrDefault("url", "http://127.0.0.1:6969/announce"));
        InetSocketAddress addr = new InetSocketAddress(url.getHost(), url.getPort() < 0 ? 80 : url.getPort());
        String path = url.getRawPath() + (url.getRawQuery() == null ? "?" : "?" + url.getRawQuery() + "&");
        String hostHeader = url.getHost() + ":" + addr.getPort();
        int connections = Integer.parseInt(opt.getOrDefault("connections", "64"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
        if (connections < threads) {
            throw new IllegalArgumentException("connections < threads");
        }
        switch (mode) {
            case "rate" -> runRate(opt, addr, path, hostHeader, connections, threads);
            case "fill" -> runFill(opt, addr, path, hostHeader, connections, threads);
            default -> throw new IllegalArgumentException("mode must be rate or fill: " + mode);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // modes

    private static void runRate(
            Map<String, String> opt, InetSocketAddress addr, String path, String host, int connections, int threads)
            throws Exception {
        double rate = Double.parseDouble(opt.getOrDefault("rate", "10000"));
        double durationSeconds = Double.parseDouble(opt.getOrDefault("duration", "20"));
        double warmupSeconds = Double.parseDouble(opt.getOrDefault("warmup", "5"));
        int torrents = Integer.parseInt(opt.getOrDefault("torrents", "100000"));
        double zipf = Double.parseDouble(opt.getOrDefault("zipf", "1.0"));
        int numwant = Integer.parseInt(opt.getOrDefault("numwant", "50"));
        // close=1: every request says "Connection: close", so each announce opens a new TCP connection (libtorrent's
        // and rtorrent's behaviour); the connect is inside the measured latency.
        String requestHost = "1".equals(opt.get("close")) ? host + "\r\nConnection: close" : host;
        byte[][] pool = announcePool(path, requestHost, torrents, zipf, numwant, new SplittableRandom(42));

        long start = System.nanoTime() + 200_000_000L; // let every thread connect first
        long measureFrom = start + (long) (warmupSeconds * 1e9);
        long end = measureFrom + (long) (durationSeconds * 1e9);
        Engine[] engines = new Engine[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int conns = connections / threads + (t < connections % threads ? 1 : 0);
            Engine e = new Engine(addr, conns, (long) (rate / threads * durationSeconds * 1.1) + 1024);
            e.periodNanos = 1e9 * threads / rate;
            e.firstIntended = start + (long) (e.periodNanos * t / threads);
            e.measureFrom = measureFrom;
            e.end = end;
            e.requests = (i, c) -> pool[(int) ((i * threads + c) & (REQUEST_POOL_SIZE - 1))];
            e.threadIndex = t;
            engines[t] = e;
            ts[t] = new Thread(e::runOpenLoop, "load-" + t);
        }
        for (Thread t : ts) {
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        Stats s = Stats.merge(engines);
        long[] lat = s.latencies;
        long[] lag = s.sendLags;
        System.out.printf(
                "FIXEDRATE target_rps=%.0f achieved_rps=%.0f secs=%.1f measured=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f"
                        + " p999_ms=%.3f max_ms=%.3f non200=%d failure_reason=%d errors=%d timeouts=%d unsent=%d"
                        + " retries=%d reconnects=%d sendlag_p50_ms=%.3f sendlag_p99_ms=%.3f connections=%d"
                        + " threads=%d%n",
                rate, lat.length / durationSeconds, durationSeconds, lat.length,
                pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 99.9), pct(lat, 100),
                s.non200, s.failures, s.errors, s.timeouts, s.unsent, s.retries, s.reconnects,
                pct(lag, 50), pct(lag, 99), connections, threads);
    }

    private static void runFill(
            Map<String, String> opt, InetSocketAddress addr, String path, String host, int connections, int threads)
            throws Exception {
        int torrents = Integer.parseInt(opt.getOrDefault("torrents", "600000"));
        int peers = Integer.parseInt(opt.getOrDefault("peers", "3"));
        long total = (long) torrents * peers;
        Engine[] engines = new Engine[threads];
        Thread[] ts = new Thread[threads];
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int conns = connections / threads + (t < connections % threads ? 1 : 0);
            Engine e = new Engine(addr, conns, 0);
            // thread t sends requests t, t+threads, t+2*threads, ... ; request j is (torrent j/peers+1, slot j%peers)
            e.total = (total - t + threads - 1) / threads;
            final int tt = t;
            e.requests = (i, c) -> {
                long j = i * threads + tt;
                return fillRequest(path, host, (int) (j / peers) + 1, (int) (j % peers), j);
            };
            e.threadIndex = t;
            engines[t] = e;
            ts[t] = new Thread(e::runClosedLoop, "fill-" + t);
        }
        for (Thread t : ts) {
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Stats s = Stats.merge(engines);
        System.out.printf(
                "FILL torrents=%d peers_per_torrent=%d requests=%d secs=%.1f rps=%.0f non200=%d failure_reason=%d"
                        + " errors=%d retries=%d reconnects=%d%n",
                torrents, peers, s.completed, secs, s.completed / secs, s.non200, s.failures, s.errors, s.retries,
                s.reconnects);
        // A refusal (for example "tracker is full", opentracker's "not authorized") is an HTTP 200 too: a fill that
        // got one did not store what it claims, so it fails like a transport error.
        if (s.errors > 0 || s.non200 > 0 || s.failures > 0 || s.completed != total) {
            if (s.firstFailure != null) {
                System.out.println("FILL first failure answer: " + s.firstFailure);
            }
            System.exit(1);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // requests: the same info_hashes as tracker.lua / gen-hashes.py

    /** Torrent i's info_hash: 20 bytes of a Park-Miller generator seeded by i (as tracker.lua). */
    static byte[] infoHash(int i) {
        final long m = 2147483647L;
        long x = ((long) i * 7919 + 1) % m;
        if (x == 0) {
            x = 1;
        }
        byte[] out = new byte[20];
        for (int k = 0; k < 20; k++) {
            x = (x * 16807) % m;
            out[k] = (byte) ((x / 256) % 256);
        }
        return out;
    }

    private static void percentEncode(StringBuilder sb, byte[] bytes) {
        for (byte b : bytes) {
            int v = b & 0xff;
            if ((v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z') || (v >= '0' && v <= '9')
                    || v == '-' || v == '.' || v == '_' || v == '~') {
                sb.append((char) v);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(v >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(v & 15, 16)));
            }
        }
    }

    private static byte[] httpGet(String target, String host) {
        return ("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: qBittorrent/4.6.5\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] announcePool(
            String path, String host, int torrents, double zipf, int numwant, SplittableRandom rnd) {
        double[] cdf = new double[torrents];
        double sum = 0;
        for (int r = 1; r <= torrents; r++) {
            sum += zipf == 0 ? 1 : 1 / Math.pow(r, zipf);
            cdf[r - 1] = sum;
        }
        String[] encodedHash = new String[torrents + 1];
        byte[][] pool = new byte[REQUEST_POOL_SIZE][];
        for (int n = 0; n < REQUEST_POOL_SIZE; n++) {
            int idx = Arrays.binarySearch(cdf, rnd.nextDouble() * sum);
            int rank = (idx >= 0 ? idx : -idx - 1) + 1;
            rank = Math.min(rank, torrents);
            if (encodedHash[rank] == null) {
                StringBuilder h = new StringBuilder(60);
                percentEncode(h, infoHash(rank));
                encodedHash[rank] = h.toString();
            }
            byte[] peerId = new byte[20];
            System.arraycopy("-qB4650-".getBytes(StandardCharsets.US_ASCII), 0, peerId, 0, 8);
            for (int k = 8; k < 20; k++) {
                peerId[k] = (byte) rnd.nextInt(256);
            }
            boolean seeder = rnd.nextDouble() < 0.3;
            double ev = rnd.nextDouble();
            StringBuilder q = new StringBuilder(400).append(path).append("info_hash=").append(encodedHash[rank]);
            q.append("&peer_id=");
            percentEncode(q, peerId);
            q.append("&port=").append(1025 + rnd.nextInt(64511))
                    .append("&uploaded=").append(rnd.nextLong(2_000_000_001L))
                    .append("&downloaded=").append(rnd.nextLong(seeder ? 1 : 0, seeder ? 4_000_000_001L : 1_000_000_001L))
                    .append("&left=").append(seeder ? 0 : rnd.nextLong(1, 4_000_000_001L))
                    .append("&key=").append(String.format("%08X", rnd.nextInt(Integer.MAX_VALUE)))
                    .append(ev < 0.1 ? "&event=started" : "")
                    .append("&numwant=").append(numwant)
                    .append("&compact=1");
            pool[n] = httpGet(q.toString(), host);
        }
        return pool;
    }

    private static byte[] fillRequest(String path, String host, int torrent, int slot, long j) {
        StringBuilder q = new StringBuilder(300).append(path).append("info_hash=");
        percentEncode(q, infoHash(torrent));
        q.append("&peer_id=-HY0001-").append(String.format("%012d", j))
                .append("&port=").append(1025 + slot)
                .append("&uploaded=0&downloaded=0&left=").append(slot == 0 ? 0 : 1_000_000)
                .append("&event=started&numwant=0&compact=1");
        return httpGet(q.toString(), host);
    }

    private static double pct(long[] sortedNanos, double p) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, idx))] / 1e6;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the engine: one selector thread, its own connections

    @FunctionalInterface
    interface RequestSource {
        /** The request bytes for this thread's request number {@code i} (c is the thread's index). */
        byte[] get(long i, int c);
    }

    static final class Stats {
        long[] latencies;
        long[] sendLags;
        long completed;
        long non200;
        long failures;
        long errors;
        long timeouts;
        long unsent;
        long retries;
        long reconnects;
        /** The first failure answer's body (printable bytes only), or null. */
        String firstFailure;

        static Stats merge(Engine[] engines) {
            Stats s = new Stats();
            int n = 0;
            for (Engine e : engines) {
                n += e.latencyCount;
            }
            s.latencies = new long[n];
            s.sendLags = new long[n];
            int at = 0;
            for (Engine e : engines) {
                System.arraycopy(e.latencies, 0, s.latencies, at, e.latencyCount);
                System.arraycopy(e.sendLags, 0, s.sendLags, at, e.latencyCount);
                at += e.latencyCount;
                s.completed += e.completed;
                s.non200 += e.non200;
                s.failures += e.failures;
                if (s.firstFailure == null) {
                    s.firstFailure = e.firstFailure;
                }
                s.errors += e.errors;
                s.timeouts += e.inflight;
                s.unsent += e.backlogSize();
                s.retries += e.retries;
                s.reconnects += e.reconnects;
            }
            Arrays.sort(s.latencies);
            Arrays.sort(s.sendLags);
            return s;
        }
    }

    static final class Conn {
        SocketChannel ch;
        SelectionKey key;
        final ByteBuffer in = ByteBuffer.allocate(RESPONSE_BUFFER_BYTES);
        ByteBuffer out;
        boolean busy;
        long intended;
        long sentAt;
        long requestNo;
        int headerEnd = -1;
        int contentLength = -1;
        int status;
        boolean closeAfter;
    }

    static final class Engine {
        final InetSocketAddress addr;
        final Conn[] conns;
        final Selector selector;
        RequestSource requests;
        int threadIndex;
        // open loop
        double periodNanos;
        long firstIntended;
        long measureFrom;
        long end;
        // closed loop
        long total;
        // state
        final int[] idle;
        int idleTop;
        final long[] backlog = new long[BACKLOG_CAPACITY];
        int backlogHead;
        int backlogTail;
        long nextRequestNo;
        long inflight;
        long[] latencies;
        long[] sendLags;
        int latencyCount;
        long completed;
        long non200;
        long failures;
        String firstFailure;
        long errors;
        long retries;
        long reconnects;

        Engine(InetSocketAddress addr, int connections, long expectedSamples) throws IOException {
            this.addr = addr;
            this.conns = new Conn[connections];
            this.idle = new int[connections];
            this.selector = Selector.open();
            this.latencies = new long[(int) Math.max(1024, expectedSamples)];
            this.sendLags = new long[latencies.length];
            for (int i = 0; i < connections; i++) {
                conns[i] = new Conn();
                connect(i, false);
            }
        }

        int backlogSize() {
            return backlogTail - backlogHead;
        }

        private void connect(int i, boolean isReconnect) throws IOException {
            Conn c = conns[i];
            if (isReconnect) {
                reconnects++;
            }
            c.ch = SocketChannel.open();
            c.ch.configureBlocking(false);
            c.ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.in.clear();
            c.headerEnd = -1;
            if (c.ch.connect(addr)) {
                c.key = c.ch.register(selector, SelectionKey.OP_READ, i);
                connected(i);
            } else {
                c.key = c.ch.register(selector, SelectionKey.OP_CONNECT, i);
            }
        }

        /** A fresh connection is up: resend the request it carries (a retry) or offer it as idle. */
        private void connected(int i) throws IOException {
            Conn c = conns[i];
            if (c.busy) {
                c.out.rewind();
                write(i);
            } else {
                idle[idleTop++] = i;
            }
        }

        private void send(int i, long intended, long now) throws IOException {
            Conn c = conns[i];
            c.busy = true;
            c.intended = intended;
            c.sentAt = now;
            c.requestNo = nextRequestNo;
            c.out = ByteBuffer.wrap(requests.get(nextRequestNo++, threadIndex));
            c.in.clear();
            c.headerEnd = -1;
            inflight++;
            write(i);
        }

        private void write(int i) throws IOException {
            Conn c = conns[i];
            try {
                c.ch.write(c.out);
            } catch (IOException e) {
                lost(i);
                return;
            }
            c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        /** The connection died under an in-flight request with no answer yet: send it again on a new one. */
        private void lost(int i) throws IOException {
            Conn c = conns[i];
            closeQuietly(c);
            if (c.busy) {
                retries++;
            }
            connect(i, true);
        }

        private static void closeQuietly(Conn c) {
            try {
                c.key.cancel();
                c.ch.close();
            } catch (IOException ignored) {
                // closing a dead socket
            }
        }

        private void readable(int i, long now) throws IOException {
            Conn c = conns[i];
            int r;
            try {
                r = c.ch.read(c.in);
            } catch (IOException e) {
                r = -1;
            }
            if (r < 0) {
                if (!c.busy) {
                    closeQuietly(c); // server closed an idle keep-alive connection (opentracker does after each answer)
                    removeIdle(i);
                    connect(i, true);
                } else if (c.in.position() == 0) {
                    lost(i);
                } else if (c.headerEnd >= 0 && c.contentLength < 0) {
                    c.closeAfter = true;
                    complete(i, now);
                } else {
                    errors++;
                    inflight--;
                    c.busy = false;
                    closeQuietly(c);
                    connect(i, true);
                }
                return;
            }
            if (!c.busy) {
                return; // unsolicited bytes; ignore
            }
            byte[] b = c.in.array();
            int pos = c.in.position();
            if (c.headerEnd < 0) {
                int end = indexOf(b, pos, (byte) '\r', (byte) '\n', (byte) '\r', (byte) '\n');
                if (end < 0) {
                    if (pos == b.length) {
                        protocolError(i);
                    }
                    return;
                }
                c.headerEnd = end + 4;
                parseHeaders(c, b, c.headerEnd);
            }
            if (c.contentLength >= 0 && pos >= c.headerEnd + c.contentLength) {
                complete(i, now);
            } else if (pos == b.length) {
                protocolError(i);
            }
        }

        private void protocolError(int i) throws IOException {
            Conn c = conns[i];
            errors++;
            inflight--;
            c.busy = false;
            closeQuietly(c);
            connect(i, true);
        }

        private void removeIdle(int i) {
            for (int k = 0; k < idleTop; k++) {
                if (idle[k] == i) {
                    idle[k] = idle[--idleTop];
                    return;
                }
            }
        }

        private static void parseHeaders(Conn c, byte[] b, int headerEnd) {
            // "HTTP/1.x SSS ..."
            c.status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
            String head = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1).toLowerCase();
            c.contentLength = -1;
            int cl = head.indexOf("\r\ncontent-length:");
            if (cl >= 0) {
                int from = cl + 17;
                int to = head.indexOf('\r', from);
                c.contentLength = Integer.parseInt(head.substring(from, to).trim());
            }
            boolean http10 = head.startsWith("http/1.0");
            c.closeAfter = head.contains("\r\nconnection: close") || (http10 && !head.contains("keep-alive"));
        }

        private static int indexOf(byte[] b, int len, byte a0, byte a1, byte a2, byte a3) {
            for (int k = 0; k + 3 < len; k++) {
                if (b[k] == a0 && b[k + 1] == a1 && b[k + 2] == a2 && b[k + 3] == a3) {
                    return k;
                }
            }
            return -1;
        }

        private void complete(int i, long now) throws IOException {
            Conn c = conns[i];
            completed++;
            inflight--;
            c.busy = false;
            if (c.status != 200) {
                non200++;
            }
            int bodyEnd = c.contentLength >= 0 ? c.headerEnd + c.contentLength : c.in.position();
            if (indexOfBytes(c.in.array(), c.headerEnd, bodyEnd, FAILURE_KEY) >= 0) {
                if (failures++ == 0) {
                    firstFailure = printable(c.in.array(), c.headerEnd, Math.min(bodyEnd, c.headerEnd + 200));
                }
            }
            if (c.intended >= measureFrom && c.intended < end || total > 0) {
                if (latencyCount == latencies.length) {
                    latencies = Arrays.copyOf(latencies, latencyCount * 2);
                    sendLags = Arrays.copyOf(sendLags, latencyCount * 2);
                }
                latencies[latencyCount] = now - c.intended;
                sendLags[latencyCount++] = c.sentAt - c.intended;
            }
            c.in.clear();
            c.headerEnd = -1;
            if (c.closeAfter) {
                closeQuietly(c);
                connect(i, true);
            } else {
                idle[idleTop++] = i;
            }
        }

        /** Bytes {@code from..to} as ASCII, anything unprintable as '.', for an error message. */
        private static String printable(byte[] b, int from, int to) {
            StringBuilder sb = new StringBuilder(Math.max(0, to - from));
            for (int k = from; k < to; k++) {
                int v = b[k] & 0xff;
                sb.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
            }
            return sb.toString();
        }

        private static int indexOfBytes(byte[] b, int from, int to, byte[] needle) {
            outer:
            for (int k = from; k + needle.length <= to; k++) {
                for (int j = 0; j < needle.length; j++) {
                    if (b[k + j] != needle[j]) {
                        continue outer;
                    }
                }
                return k;
            }
            return -1;
        }

        private void processKeys(long now) throws IOException {
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                int i = (Integer) k.attachment();
                Conn c = conns[i];
                if (!k.isValid() || k != c.key) {
                    continue;
                }
                if (k.isConnectable()) {
                    try {
                        c.ch.finishConnect();
                    } catch (IOException e) {
                        errors++;
                        closeQuietly(c);
                        if (c.busy) {
                            c.busy = false;
                            inflight--;
                        }
                        LockSupport.parkNanos(1_000_000L);
                        connect(i, true);
                        continue;
                    }
                    k.interestOps(SelectionKey.OP_READ);
                    connected(i);
                    continue;
                }
                if (k.isWritable()) {
                    write(i);
                }
                if (k.isValid() && k.isReadable()) {
                    readable(i, now);
                }
            }
        }

        /** Open loop: a request is due every periodNanos whether or not earlier ones were answered. */
        void runOpenLoop() {
            try {
                long n = 0;
                long nextIntended = firstIntended;
                boolean draining = false;
                long drainDeadline = 0;
                while (true) {
                    long now = System.nanoTime();
                    if (!draining && now >= end) {
                        draining = true;
                        drainDeadline = now + DRAIN_NANOS;
                    }
                    if (!draining) {
                        while (nextIntended <= now) {
                            if (backlogSize() == BACKLOG_CAPACITY) {
                                throw new IllegalStateException("backlog overflow: the server is far below the rate");
                            }
                            backlog[backlogTail++ & (BACKLOG_CAPACITY - 1)] = nextIntended;
                            n++;
                            nextIntended = firstIntended + (long) (n * periodNanos);
                        }
                    }
                    while (backlogSize() > 0 && idleTop > 0) {
                        long intended = backlog[backlogHead++ & (BACKLOG_CAPACITY - 1)];
                        if (draining && intended >= end) {
                            continue;
                        }
                        send(idle[--idleTop], intended, now);
                    }
                    if (draining && (inflight == 0 || now > drainDeadline)) {
                        break;
                    }
                    long wait = draining ? 1_000_000L : nextIntended - now;
                    int ready = selector.selectNow();
                    if (ready == 0 && wait > 0) {
                        if (wait >= 2_000_000L) {
                            ready = selector.select(wait / 1_000_000L - 1);
                        } else {
                            LockSupport.parkNanos(Math.min(wait, 50_000L));
                            ready = selector.selectNow();
                        }
                    }
                    if (ready > 0) {
                        processKeys(System.nanoTime());
                    }
                }
                // requests still queued at the end never went out: the server could not keep the rate
                closeAll();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Closed loop: every connection keeps one request in flight until {@code total} are answered. */
        void runClosedLoop() {
            try {
                while (completed + errors < total) {
                    long now = System.nanoTime();
                    while (idleTop > 0 && nextRequestNo < total) {
                        send(idle[--idleTop], now, now);
                    }
                    if (selector.select(100) > 0) {
                        processKeys(System.nanoTime());
                    }
                }
                closeAll();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private void closeAll() throws IOException {
            for (Conn c : conns) {
                if (c.ch != null) {
                    closeQuietly(c);
                }
            }
            selector.close();
        }
    }
}
