package dev.hayate.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A WebTorrent tracker load generator for {@code ws-load.sh}: {@code peers} WebSocket peers, each on its own
 * connection, over a Zipf({@code zipf}) set of {@code torrents} torrents, speaking what WebTorrent 3.0 sends
 * ({@code shared/protocol/webtorrent/frames.md}).
 *
 * <p>Each peer belongs to one torrent, drawn once from the Zipf distribution (seeded, so every target gets the same
 * swarms), and is a seeder with probability 0.3. Its first announce is {@code event=started}; then it re-announces
 * without an event, as WebTorrent does every interval, but closed-loop: as soon as the reply to its announce arrives.
 * Every announce carries {@code offers} (5) WebRTC offers with fresh 20-byte {@code offer_id}s and {@code numwant}
 * equal to it, like WebTorrent's; the SDP is a realistic Chromium data-channel offer of ~670 characters (per-peer
 * ports, ufrag, password and fingerprint), so an announce is ~4.2 KB on the wire, as measured from real browsers. A
 * peer that receives a relayed offer answers it ({@code answer=true}): an answer frame of ~0.8 KB to
 * {@code to_peer_id} = the offerer with the same {@code offer_id}, which the tracker routes to the offerer.
 * {@code info_hash}, {@code peer_id} and {@code offer_id} are binary strings (one char per byte, high bytes as
 * two-byte UTF-8, control characters, quote and backslash as JSON escapes), as real clients send them.
 *
 * <p>Measured after {@code warmup} s for {@code duration} s: announce replies per second ({@code announce_rps}), relayed
 * offers received per second ({@code offers_rps}, each one a relay the tracker did) and relayed answers received
 * per second ({@code answers_rps}). Everything received is checked: an announce reply must echo the peer's own
 * {@code info_hash} byte for byte and carry {@code interval}, {@code complete} and {@code incomplete}; a relayed offer
 * must come from another peer of the same torrent; a relayed answer must name an offer this peer sent. A
 * {@code failure reason}, a check that fails, a close by the server, or a peer left without its reply at the end makes
 * the run invalid (exit 1).
 *
 * <p>{@code mode=idle} (memory per idle peer): every peer connects and announces once ({@code started}, with offers;
 * relayed offers are not answered), then all stay connected and silent, answering only WebSocket pings, for
 * {@code hold} s; the generator prints {@code WSIDLE ready} when every peer has its reply, so that a script can read
 * the tracker's RSS then.
 *
 * <p>With {@code server_pid=PID} it also reports the CPU the tracker process used during the measurement
 * ({@code server_cores}: CPU seconds per second, from {@code /proc/PID/stat}), beside its own ({@code gen_cores}).
 *
 * <p>Bounded: {@code duration}, {@code warmup} and {@code hold} at most 600 s, at most {@code max_announces} announces
 * in all, loopback targets only. Handshakes are paced ({@code connect_window} in flight) so that a listen backlog
 * never overflows.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.WsLoadGenerator port=16975 peers=1000 torrents=200 \
 *       zipf=1.0 duration=15 warmup=5 threads=1
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.WsLoadGenerator mode=idle port=16975 peers=10000 hold=60
 * </pre>
 */
public final class WsLoadGenerator {
    private static final int ID_LENGTH = 20;
    private static final int MAX_FRAME_BYTES = 1 << 20;
    private static final int MAX_PENDING_OUT_BYTES = 4 << 20;
    private static final byte[] K_INTERVAL = ascii("\"interval\"");
    private static final byte[] K_COMPLETE = ascii("\"complete\"");
    private static final byte[] K_INCOMPLETE = ascii("\"incomplete\"");
    private static final byte[] K_FAILURE = ascii("\"failure reason\"");
    private static final byte[] K_OFFER = ascii("\"offer\":");
    private static final byte[] K_ANSWER = ascii("\"answer\":");
    private static final byte[] K_OFFER_ID = ascii("\"offer_id\":\"");
    private static final byte[] K_PEER_ID = ascii("\"peer_id\":\"");
    private static final byte[] K_INFO_HASH = ascii("\"info_hash\":\"");

    private WsLoadGenerator() {}

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
        Config c = new Config(opt);
        Shared shared = new Shared(c);
        Worker[] workers = new Worker[c.threads];
        for (int t = 0; t < c.threads; t++) {
            workers[t] = new Worker(t, c, shared);
        }
        for (int p = 0; p < c.peers; p++) {
            workers[p % c.threads].pending.add(new Peer(p, c, shared));
        }
        long t0 = System.nanoTime();
        for (Worker w : workers) {
            w.start();
        }
        // every peer connected and answered once, within a bound
        long connectDeadline = t0 + TimeUnit.SECONDS.toNanos(c.connectTimeoutSeconds);
        while (ready(workers) < c.peers
                && !failed(workers)
                && Totals.of(workers).closed == 0
                && System.nanoTime() < connectDeadline) {
            Thread.sleep(20);
        }
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        if (ready(workers) < c.peers || failed(workers) || Totals.of(workers).closed > 0) {
            stop(workers);
            Totals s = Totals.of(workers);
            System.out.printf(
                    "WSLOAD label=%s FAILED: %d of %d peers connected and answered (bound %d s): %s%n",
                    c.label, ready(workers), c.peers, c.connectTimeoutSeconds, s.problems());
            System.exit(1);
        }
        for (Worker w : workers) {
            w.go = true;
            w.selector.wakeup();
        }
        if (c.idle) {
            Totals s = Totals.of(workers);
            System.out.printf(
                    "WSIDLE ready peers=%d torrents=%d secs_to_connect=%.1f offers_received=%d%n",
                    c.peers, c.torrents, connectSeconds, s.offers);
            System.out.flush();
            long holdEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(c.holdSeconds);
            while (System.nanoTime() < holdEnd && !failed(workers)) {
                Thread.sleep(100);
            }
            stop(workers);
            s = Totals.of(workers);
            System.out.printf("WSIDLE done peers=%d %s%n", c.peers, s.problems());
            System.exit(s.valid() ? 0 : 1);
        }
        Thread.sleep((long) (c.warmupSeconds * 1000));
        long self = ProcessHandle.current().pid();
        Totals a = Totals.of(workers);
        long serverCpu0 = cpuTicks(c.serverPid);
        long ownCpu0 = cpuTicks(self);
        long m0 = System.nanoTime();
        Thread.sleep((long) (c.durationSeconds * 1000));
        Totals b = Totals.of(workers);
        long serverCpu1 = cpuTicks(c.serverPid);
        long ownCpu1 = cpuTicks(self);
        double secs = (System.nanoTime() - m0) / 1e9;
        stop(workers);
        Totals end = Totals.of(workers);
        long announces = b.replies - a.replies;
        System.out.printf(
                "WSLOAD label=%s secs=%.1f announce_rps=%.0f offers_rps=%.0f answers_rps=%.0f announces=%d"
                        + " offers=%d answers=%d total_announces=%d peers=%d torrents=%d zipf=%.2f offers_per_announce=%d"
                        + " threads=%d secs_to_connect=%.1f announce_bytes=%d server_cores=%s gen_cores=%s %s%n",
                c.label, secs, announces / secs, (b.offers - a.offers) / secs, (b.answers - a.answers) / secs,
                announces, b.offers - a.offers, b.answers - a.answers, end.replies, c.peers, c.torrents, c.zipf,
                c.offers, c.threads, connectSeconds, shared.sampleAnnounceBytes, cores(serverCpu0, serverCpu1, secs),
                cores(ownCpu0, ownCpu1, secs), end.problems());
        System.exit(end.valid() && announces > 0 ? 0 : 1);
    }

    /** utime + stime of a process, in clock ticks (/proc/PID/stat), or -1 if unknown. */
    static long cpuTicks(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Cores busy on average (CPU seconds per second; USER_HZ is 100 on Linux), or "?" if unknown. */
    static String cores(long ticks0, long ticks1, double secs) {
        return ticks0 < 0 || ticks1 < 0 ? "?" : String.format("%.2f", (ticks1 - ticks0) / 100.0 / secs);
    }

    private static int ready(Worker[] workers) {
        int n = 0;
        for (Worker w : workers) {
            n += w.ready;
        }
        return n;
    }

    private static boolean failed(Worker[] workers) {
        for (Worker w : workers) {
            if (w.fatal != null) {
                return true;
            }
        }
        return false;
    }

    /** Stops the workers: no new announces, 2 s for replies still on their way, then every connection closed. */
    private static void stop(Worker[] workers) throws InterruptedException {
        for (Worker w : workers) {
            w.stopping = true;
            w.selector.wakeup();
        }
        for (Worker w : workers) {
            w.join(10_000);
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    static final class Config {
        final String host;
        final int port;
        final String path;
        final String label;
        final boolean idle;
        final int peers;
        final int torrents;
        final double zipf;
        final int offers;
        final int threads;
        final boolean answer;
        final double durationSeconds;
        final double warmupSeconds;
        final int holdSeconds;
        final long maxAnnounces;
        final int connectWindow;
        final int connectTimeoutSeconds;
        final long seed;
        final double seeders;
        final long serverPid;

        Config(Map<String, String> o) throws IOException {
            host = o.getOrDefault("host", "127.0.0.1");
            port = Integer.parseInt(o.getOrDefault("port", "16975"));
            path = o.getOrDefault("path", "/announce");
            label = o.getOrDefault("label", "-");
            String mode = o.getOrDefault("mode", "load");
            check(mode.equals("load") || mode.equals("idle"), "mode is load or idle");
            idle = mode.equals("idle");
            peers = Integer.parseInt(o.getOrDefault("peers", "1000"));
            torrents = Integer.parseInt(o.getOrDefault("torrents", "200"));
            zipf = Double.parseDouble(o.getOrDefault("zipf", "1.0"));
            offers = Integer.parseInt(o.getOrDefault("offers", "5"));
            threads = Integer.parseInt(o.getOrDefault("threads", "1"));
            answer = Boolean.parseBoolean(o.getOrDefault("answer", idle ? "false" : "true"));
            durationSeconds = Double.parseDouble(o.getOrDefault("duration", "15"));
            warmupSeconds = Double.parseDouble(o.getOrDefault("warmup", "5"));
            holdSeconds = Integer.parseInt(o.getOrDefault("hold", "60"));
            maxAnnounces = Long.parseLong(o.getOrDefault("max_announces", "50000000"));
            connectWindow = Integer.parseInt(o.getOrDefault("connect_window", "64"));
            connectTimeoutSeconds = Integer.parseInt(o.getOrDefault("connect_timeout", "120"));
            seed = Long.parseLong(o.getOrDefault("seed", "12648430"));
            seeders = Double.parseDouble(o.getOrDefault("seeders", "0.3"));
            serverPid = Long.parseLong(o.getOrDefault("server_pid", "0"));
            check(InetAddress.getByName(host).isLoopbackAddress(), "loopback targets only: " + host);
            check(port >= 1 && port <= 65535, "port must be 1..65535");
            check(path.startsWith("/") && path.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f), "bad path");
            check(peers >= 1 && peers <= 60_000, "peers must be 1..60000");
            check(torrents >= 1 && torrents <= 1_000_000, "torrents must be 1..1000000");
            check(zipf >= 0 && zipf <= 3, "zipf must be 0..3");
            check(offers >= 0 && offers <= 20, "offers must be 0..20");
            check(threads >= 1 && threads <= 16 && threads <= peers, "threads must be 1..min(16, peers)");
            check(durationSeconds > 0 && durationSeconds <= 600, "duration must be in (0, 600] s");
            check(warmupSeconds >= 0 && warmupSeconds <= 600, "warmup must be in [0, 600] s");
            check(holdSeconds >= 0 && holdSeconds <= 600, "hold must be 0..600 s");
            check(maxAnnounces >= 1, "max_announces must be positive");
            check(connectWindow >= 1 && connectWindow <= 1024, "connect_window must be 1..1024");
            check(connectTimeoutSeconds >= 1 && connectTimeoutSeconds <= 600, "connect_timeout must be 1..600 s");
            check(seeders >= 0 && seeders <= 1, "seeders must be 0..1");
        }
    }

    /** Read-only tables: the torrents' info_hashes (raw and JSON-encoded) and the Zipf CDF. */
    static final class Shared {
        final byte[][] infoHash;
        final byte[][] infoHashJson;
        final double[] cdf;
        final long sampleAnnounceBytes;

        Shared(Config c) {
            infoHash = new byte[c.torrents][];
            infoHashJson = new byte[c.torrents][];
            cdf = new double[c.torrents];
            SplittableRandom rnd = new SplittableRandom(c.seed);
            double sum = 0;
            for (int t = 0; t < c.torrents; t++) {
                infoHash[t] = new byte[ID_LENGTH];
                for (int i = 0; i < ID_LENGTH; i++) {
                    infoHash[t][i] = (byte) rnd.nextInt(256);
                }
                infoHashJson[t] = jsonBinary(infoHash[t]);
                sum += c.zipf == 0 ? 1 : 1 / Math.pow(t + 1, c.zipf);
                cdf[t] = sum;
            }
            for (int t = 0; t < c.torrents; t++) {
                cdf[t] /= sum;
            }
            Peer sample = new Peer(0, c, this);
            ByteBuffer b = ByteBuffer.allocate(64 << 10);
            sample.writeAnnounce(b, new SplittableRandom(1), true);
            sampleAnnounceBytes = b.position();
        }

        int zipfIndex(double u) {
            int lo = 0;
            int hi = cdf.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /**
     * A 20-byte binary string as WebTorrent's JSON.stringify writes it in a UTF-8 frame: one char per byte, bytes
     * 0x80..0xFF as two UTF-8 bytes, control characters, quote and backslash escaped, everything else raw.
     */
    static byte[] jsonBinary(byte[] raw) {
        ByteBuffer b = ByteBuffer.allocate(raw.length * 6);
        for (byte x : raw) {
            int v = x & 0xff;
            if (v == '"' || v == '\\') {
                b.put((byte) '\\').put((byte) v);
            } else if (v == '\n') {
                b.put((byte) '\\').put((byte) 'n');
            } else if (v == '\r') {
                b.put((byte) '\\').put((byte) 'r');
            } else if (v == '\t') {
                b.put((byte) '\\').put((byte) 't');
            } else if (v == '\b') {
                b.put((byte) '\\').put((byte) 'b');
            } else if (v == '\f') {
                b.put((byte) '\\').put((byte) 'f');
            } else if (v < 0x20) {
                b.put(ascii(String.format("\\u%04x", v)));
            } else if (v >= 0x80) {
                b.put((byte) (0xc0 | (v >> 6))).put((byte) (0x80 | (v & 0x3f)));
            } else {
                b.put((byte) v);
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /**
     * Decodes the JSON string body at {@code a[from..]} (up to its closing quote) as a binary string into
     * {@code out}; returns the number of bytes, or -1 if it is malformed, longer than {@code out} or has a char above
     * U+00FF.
     */
    static int decodeBinary(byte[] a, int from, int limit, byte[] out) {
        int n = 0;
        int i = from;
        while (i < limit) {
            int v = a[i] & 0xff;
            int ch;
            if (v == '"') {
                return n;
            } else if (v == '\\') {
                if (i + 1 >= limit) {
                    return -1;
                }
                int e = a[i + 1];
                i += 2;
                switch (e) {
                    case '"', '\\', '/' -> ch = e;
                    case 'b' -> ch = '\b';
                    case 'f' -> ch = '\f';
                    case 'n' -> ch = '\n';
                    case 'r' -> ch = '\r';
                    case 't' -> ch = '\t';
                    case 'u' -> {
                        if (i + 4 > limit) {
                            return -1;
                        }
                        ch = Integer.parseInt(new String(a, i, 4, StandardCharsets.US_ASCII), 16);
                        i += 4;
                    }
                    default -> {
                        return -1;
                    }
                }
            } else if (v < 0x80) {
                ch = v;
                i++;
            } else if ((v == 0xc2 || v == 0xc3) && i + 1 < limit) {
                ch = ((v & 0x1f) << 6) | (a[i + 1] & 0x3f);
                i += 2;
            } else {
                return -1;
            }
            if (ch > 0xff || n == out.length) {
                return -1;
            }
            out[n++] = (byte) ch;
        }
        return -1;
    }

    /** The index of {@code key} in {@code a[from, limit)}, or -1. */
    static int indexOf(byte[] a, int from, int limit, byte[] key) {
        byte first = key[0];
        outer:
        for (int i = from, last = limit - key.length; i <= last; i++) {
            if (a[i] != first) {
                continue;
            }
            for (int k = 1; k < key.length; k++) {
                if (a[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The end (index of the closing quote) of the JSON string body starting at {@code from}, or -1. */
    static int stringEnd(byte[] a, int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (a[i] == '\\') {
                i++;
            } else if (a[i] == '"') {
                return i;
            }
        }
        return -1;
    }

    /** One simulated WebTorrent client with one torrent, on its own WebSocket connection. */
    static final class Peer {
        final int index;
        final int torrent;
        final byte[] peerId = new byte[ID_LENGTH];
        final byte[] peerIdJson;
        final boolean seeder;
        final byte[] offerSdpJson;
        final byte[] answerSdpJson;
        final Shared shared;
        final Config config;
        /** Offer ids of the last announce (scratch: rewritten by every announce). */
        final byte[][] offerIds;

        SocketChannel channel;
        SelectionKey key;
        ByteBuffer in = ByteBuffer.allocate(8 << 10);
        ByteBuffer out = ByteBuffer.allocate(8 << 10);
        boolean open;
        boolean inHandshake;
        boolean awaitingReply;
        boolean answered; // got its first reply
        long announces;
        String acceptKey;

        Peer(int index, Config c, Shared shared) {
            this.index = index;
            this.config = c;
            this.shared = shared;
            SplittableRandom rnd = new SplittableRandom(c.seed * 31 + index);
            this.torrent = shared.zipfIndex(rnd.nextDouble());
            this.seeder = rnd.nextDouble() < c.seeders;
            // WebTorrent 3.0's peer ids: -WW0300- and 12 base64 characters
            String b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            byte[] prefix = ascii("-WW0300-");
            System.arraycopy(prefix, 0, peerId, 0, prefix.length);
            for (int i = prefix.length; i < ID_LENGTH; i++) {
                peerId[i] = (byte) b64.charAt(rnd.nextInt(64));
            }
            peerIdJson = jsonBinary(peerId);
            offerSdpJson = ascii(sdp(rnd, true));
            answerSdpJson = ascii(sdp(rnd, false));
            offerIds = new byte[c.offers][ID_LENGTH];
        }

        /**
         * A Chromium 156 data-channel SDP with host candidates on 127.0.0.1 (non-trickle: the candidates are inside),
         * JSON-escaped ({@code \r\n} as {@code \\r\\n}); ~670 characters for an offer.
         */
        static String sdp(SplittableRandom rnd, boolean offer) {
            String hex = "0123456789ABCDEF";
            StringBuilder fp = new StringBuilder();
            for (int i = 0; i < 32; i++) {
                fp.append(i == 0 ? "" : ":").append(hex.charAt(rnd.nextInt(16))).append(hex.charAt(rnd.nextInt(16)));
            }
            String b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            StringBuilder ufrag = new StringBuilder();
            StringBuilder pwd = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                ufrag.append(b64.charAt(rnd.nextInt(64)));
            }
            for (int i = 0; i < 24; i++) {
                pwd.append(b64.charAt(rnd.nextInt(64)));
            }
            int port = 32768 + rnd.nextInt(28000);
            long session = rnd.nextLong() & Long.MAX_VALUE;
            StringBuilder s = new StringBuilder()
                    .append("v=0\r\no=- ")
                    .append(session)
                    .append(" 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n")
                    .append("a=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n")
                    .append("m=application ")
                    .append(port)
                    .append(" UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 127.0.0.1\r\n")
                    .append("a=candidate:")
                    .append(rnd.nextInt(Integer.MAX_VALUE))
                    .append(" 1 udp 2122260223 127.0.0.1 ")
                    .append(port)
                    .append(" typ host generation 0 network-id 1 network-cost 50\r\n");
            if (offer) {
                s.append("a=candidate:")
                        .append(rnd.nextInt(Integer.MAX_VALUE))
                        .append(" 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1")
                        .append(" network-cost 50\r\n");
            }
            s.append("a=ice-ufrag:")
                    .append(ufrag)
                    .append("\r\na=ice-pwd:")
                    .append(pwd)
                    .append("\r\na=ice-options:trickle\r\na=fingerprint:sha-256 ")
                    .append(fp)
                    .append("\r\na=setup:")
                    .append(offer ? "actpass" : "active")
                    .append("\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n");
            return s.toString().replace("\r", "\\r").replace("\n", "\\n");
        }

        /** Appends one masked text frame holding an announce (WebTorrent's field order) to {@code b}. */
        void writeAnnounce(ByteBuffer b, SplittableRandom rnd, boolean started) {
            int frameStart = b.position();
            b.position(frameStart + 8); // FIN|text, 126, 2-byte length, 4-byte mask: an announce is 126..65535 bytes
            int payload = b.position();
            b.put(ascii("{\"numwant\":"))
                    .put(ascii(Integer.toString(config.offers)))
                    .put(ascii(",\"uploaded\":0,\"downloaded\":0,\"left\":"))
                    .put(seeder ? ascii("0") : started ? ascii("null") : ascii("1048576"));
            if (started) {
                b.put(ascii(",\"event\":\"started\""));
            }
            b.put(ascii(",\"action\":\"announce\",\"info_hash\":\""))
                    .put(shared.infoHashJson[torrent])
                    .put(ascii("\",\"peer_id\":\""))
                    .put(peerIdJson)
                    .put((byte) '"');
            if (config.offers > 0) {
                b.put(ascii(",\"offers\":["));
                for (int k = 0; k < config.offers; k++) {
                    // the first 4 bytes name this peer, so that a misrouted answer is caught; the rest is random
                    byte[] id = offerIds[k];
                    id[0] = (byte) (index >>> 24);
                    id[1] = (byte) (index >>> 16);
                    id[2] = (byte) (index >>> 8);
                    id[3] = (byte) index;
                    for (int i = 4; i < ID_LENGTH; i++) {
                        id[i] = (byte) rnd.nextInt(256);
                    }
                    b.put(k == 0 ? ascii("{\"offer\":{\"type\":\"offer\",\"sdp\":\"") : OFFER_SEP)
                            .put(offerSdpJson)
                            .put(ascii("\"},\"offer_id\":\""))
                            .put(jsonBinary(id))
                            .put(ascii("\"}"));
                }
                b.put((byte) ']');
            }
            b.put((byte) '}');
            finishFrame(b, frameStart, payload, rnd);
        }

        private static final byte[] OFFER_SEP = ascii(",{\"offer\":{\"type\":\"offer\",\"sdp\":\"");

        /**
         * Appends an answer to a relayed offer: {@code to_peer_id} the offerer, the offer's own {@code offer_id} and
         * {@code info_hash} copied as they came (JSON string bodies, escapes included).
         */
        void writeAnswer(
                ByteBuffer b,
                SplittableRandom rnd,
                byte[] a,
                int ihFrom,
                int ihTo,
                int fromPeerFrom,
                int fromPeerTo,
                int offerIdFrom,
                int offerIdTo) {
            int frameStart = b.position();
            b.position(frameStart + 8);
            int payload = b.position();
            b.put(ascii("{\"action\":\"announce\",\"info_hash\":\""))
                    .put(a, ihFrom, ihTo - ihFrom)
                    .put(ascii("\",\"peer_id\":\""))
                    .put(peerIdJson)
                    .put(ascii("\",\"to_peer_id\":\""))
                    .put(a, fromPeerFrom, fromPeerTo - fromPeerFrom)
                    .put(ascii("\",\"answer\":{\"type\":\"answer\",\"sdp\":\""))
                    .put(answerSdpJson)
                    .put(ascii("\"},\"offer_id\":\""))
                    .put(a, offerIdFrom, offerIdTo - offerIdFrom)
                    .put(ascii("\"}"));
            finishFrame(b, frameStart, payload, rnd);
        }

        /** Writes the header of the frame whose payload is {@code b[payload, position)} and masks the payload. */
        static void finishFrame(ByteBuffer b, int frameStart, int payload, SplittableRandom rnd) {
            int len = b.position() - payload;
            if (len < 126 || len > 65535) {
                throw new IllegalStateException("frame of " + len + " bytes");
            }
            int mask = rnd.nextInt();
            b.put(frameStart, (byte) 0x81)
                    .put(frameStart + 1, (byte) (0x80 | 126))
                    .putShort(frameStart + 2, (short) len)
                    .putInt(frameStart + 4, mask);
            byte[] arr = b.array();
            int off = b.arrayOffset() + payload;
            byte m0 = (byte) (mask >>> 24);
            byte m1 = (byte) (mask >>> 16);
            byte m2 = (byte) (mask >>> 8);
            byte m3 = (byte) mask;
            int i = 0;
            for (; i + 4 <= len; i += 4) {
                arr[off + i] ^= m0;
                arr[off + i + 1] ^= m1;
                arr[off + i + 2] ^= m2;
                arr[off + i + 3] ^= m3;
            }
            for (; i < len; i++) {
                arr[off + i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
            }
        }
    }

    /** Totals over the workers (each field read from the owner's volatile counters). */
    static final class Totals {
        long replies;
        long offers;
        long answers;
        long failures;
        long invalid;
        long closed;
        long missing;
        String fatal;
        String firstProblem;

        static Totals of(Worker[] ws) {
            Totals t = new Totals();
            for (Worker w : ws) {
                t.replies += w.replies;
                t.offers += w.offers;
                t.answers += w.answers;
                t.failures += w.failures;
                t.invalid += w.invalid;
                t.closed += w.closed;
                t.missing += w.missing;
                if (t.fatal == null) {
                    t.fatal = w.fatal;
                }
                if (t.firstProblem == null) {
                    t.firstProblem = w.firstProblem;
                }
            }
            return t;
        }

        boolean valid() {
            return failures == 0 && invalid == 0 && closed == 0 && missing == 0 && fatal == null;
        }

        String problems() {
            return "failures=" + failures + " invalid=" + invalid + " closed_by_server=" + closed
                    + " unanswered_at_end=" + missing + " fatal=" + (fatal == null ? "none" : "'" + fatal + "'")
                    + (firstProblem == null ? "" : " first_problem='" + firstProblem + "'")
                    + " valid=" + valid();
        }
    }

    /** One selector thread and its share of the peers. */
    static final class Worker extends Thread {
        final Config c;
        final Shared shared;
        final Selector selector;
        final ArrayDeque<Peer> pending = new ArrayDeque<>();
        final List<Peer> peers = new ArrayList<>();
        final SplittableRandom rnd;
        final InetSocketAddress target;
        final long announceBudget;
        final byte[] scratch = new byte[ID_LENGTH];
        volatile boolean stopping;
        /** Set once every peer has its first reply: only then do the re-announces start (all peers at once). */
        volatile boolean go;
        /** Peers with their first reply, waiting for {@link #go}. */
        final ArrayDeque<Peer> parked = new ArrayDeque<>();
        volatile int ready;
        volatile long replies;
        volatile long offers;
        volatile long answers;
        volatile long failures;
        volatile long invalid;
        volatile long closed;
        volatile long missing;
        volatile String fatal;
        volatile String firstProblem;
        long sent;
        int handshaking;

        Worker(int index, Config c, Shared shared) throws IOException {
            super("ws-load-" + index);
            this.c = c;
            this.shared = shared;
            this.selector = Selector.open();
            this.rnd = new SplittableRandom(c.seed ^ (0x9E3779B97F4A7C15L * (index + 1)));
            this.target = new InetSocketAddress(InetAddress.getByName(c.host), c.port);
            this.announceBudget = c.maxAnnounces / c.threads + 1;
        }

        @Override
        public void run() {
            try {
                loop();
            } catch (Throwable e) {
                fatal = e.toString();
            } finally {
                for (Peer p : peers) {
                    if (p.awaitingReply && p.open) {
                        missing++;
                    }
                    try {
                        if (p.channel != null) {
                            p.channel.close();
                        }
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
                try {
                    selector.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        private void loop() throws IOException {
            long stopDeadline = 0;
            while (true) {
                while (handshaking < Math.max(1, c.connectWindow / c.threads) && !pending.isEmpty() && !stopping) {
                    connect(pending.poll());
                }
                if (go && !parked.isEmpty() && !stopping) {
                    while (!parked.isEmpty()) {
                        Peer p = parked.poll();
                        if (p.open) {
                            sendAnnounce(p, false);
                            try {
                                flush(p);
                            } catch (IOException e) {
                                problem(p, "io: " + e.getMessage());
                                closed++;
                                close(p);
                            }
                        }
                    }
                }
                if (stopping) {
                    if (stopDeadline == 0) {
                        stopDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                    }
                    if (c.idle || System.nanoTime() > stopDeadline || !anyAwaiting()) {
                        return;
                    }
                }
                selector.select(100);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Peer p = (Peer) k.attachment();
                    try {
                        if (!k.isValid()) {
                            continue;
                        }
                        if (k.isConnectable()) {
                            p.channel.finishConnect();
                            k.interestOps(SelectionKey.OP_READ);
                            sendHandshake(p);
                        }
                        if (k.isValid() && k.isReadable()) {
                            read(p);
                        }
                        if (k.isValid() && k.isWritable()) {
                            flush(p);
                        }
                    } catch (IOException e) {
                        if (!stopping) {
                            problem(p, "io: " + e.getMessage());
                            closed++;
                        }
                        close(p);
                    }
                }
            }
        }

        private boolean anyAwaiting() {
            for (Peer p : peers) {
                if (p.awaitingReply && p.open) {
                    return true;
                }
            }
            return false;
        }

        private void connect(Peer p) throws IOException {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            p.channel = ch;
            peers.add(p);
            p.inHandshake = true;
            handshaking++;
            if (ch.connect(target)) {
                p.key = ch.register(selector, SelectionKey.OP_READ, p);
                sendHandshake(p);
            } else {
                p.key = ch.register(selector, SelectionKey.OP_CONNECT, p);
            }
        }

        private void sendHandshake(Peer p) throws IOException {
            byte[] nonce = new byte[16];
            for (int i = 0; i < nonce.length; i++) {
                nonce[i] = (byte) rnd.nextInt(256);
            }
            String key = Base64.getEncoder().encodeToString(nonce);
            try {
                MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
                p.acceptKey = Base64.getEncoder()
                        .encodeToString(sha1.digest(
                                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            p.out.put(ascii("GET " + c.path + " HTTP/1.1\r\nHost: " + c.host + ":" + c.port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                    + "\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1\r\n\r\n"));
            flush(p);
        }

        private void read(Peer p) throws IOException {
            int n = p.channel.read(p.in);
            if (n < 0) {
                if (!stopping) {
                    problem(p, "closed by the server");
                    closed++;
                }
                close(p);
                return;
            }
            if (!p.open) {
                if (!readHandshake(p)) {
                    return;
                }
            }
            parseFrames(p);
            if (p.out.position() > 0) {
                flush(p);
            }
        }

        private boolean readHandshake(Peer p) throws IOException {
            byte[] a = p.in.array();
            int end = indexOf(a, 0, p.in.position(), ascii("\r\n\r\n"));
            if (end < 0) {
                if (!p.in.hasRemaining()) {
                    throw new IOException("handshake response too long");
                }
                return false;
            }
            String head = new String(a, 0, end, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.1 101")
                    || !head.toLowerCase().contains("sec-websocket-accept: " + p.acceptKey.toLowerCase())) {
                throw new IOException("bad handshake: " + head.lines().findFirst().orElse(""));
            }
            p.in.flip().position(end + 4);
            p.in.compact();
            p.open = true;
            p.inHandshake = false;
            handshaking--;
            sendAnnounce(p, true);
            return true;
        }

        private void sendAnnounce(Peer p, boolean started) {
            if (sent >= announceBudget) {
                return;
            }
            ensureOut(p, 8 << 10);
            p.writeAnnounce(p.out, rnd, started);
            p.awaitingReply = true;
            p.announces++;
            sent++;
        }

        private void ensureOut(Peer p, int room) {
            if (p.out.remaining() < room) {
                int need = p.out.position() + room;
                if (need > MAX_PENDING_OUT_BYTES) {
                    throw new IllegalStateException("more than " + MAX_PENDING_OUT_BYTES + " bytes queued for a peer");
                }
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(need, p.out.capacity() * 2));
                p.out.flip();
                bigger.put(p.out);
                p.out = bigger;
            }
        }

        private void flush(Peer p) throws IOException {
            p.out.flip();
            p.channel.write(p.out);
            p.out.compact();
            boolean more = p.out.position() > 0;
            int ops = SelectionKey.OP_READ | (more ? SelectionKey.OP_WRITE : 0);
            if (p.key.interestOps() != ops) {
                p.key.interestOps(ops);
            }
        }

        private void parseFrames(Peer p) throws IOException {
            ByteBuffer in = p.in;
            byte[] a = in.array();
            int pos = 0;
            int limit = in.position();
            while (limit - pos >= 2) {
                int b0 = a[pos] & 0xff;
                int b1 = a[pos + 1] & 0xff;
                if ((b1 & 0x80) != 0) {
                    throw new IOException("masked frame from the server");
                }
                long len = b1 & 0x7f;
                int header = 2;
                if (len == 126) {
                    if (limit - pos < 4) {
                        break;
                    }
                    len = ((a[pos + 2] & 0xff) << 8) | (a[pos + 3] & 0xff);
                    header = 4;
                } else if (len == 127) {
                    if (limit - pos < 10) {
                        break;
                    }
                    len = ByteBuffer.wrap(a, pos + 2, 8).getLong();
                    header = 10;
                }
                if (len > MAX_FRAME_BYTES) {
                    throw new IOException("frame of " + len + " bytes");
                }
                if (limit - pos < header + len) {
                    if (header + len > in.capacity()) {
                        ByteBuffer bigger = ByteBuffer.allocate((int) (header + len) * 2);
                        bigger.put(a, pos, limit - pos);
                        p.in = bigger;
                        return;
                    }
                    break;
                }
                int from = pos + header;
                int to = (int) (from + len);
                int opcode = b0 & 0x0f;
                if ((b0 & 0x80) == 0 || opcode == 0) {
                    throw new IOException("fragmented frame (unsupported by this generator)");
                }
                switch (opcode) {
                    case 1, 2 -> onMessage(p, a, from, to);
                    case 8 -> {
                        if (!stopping) {
                            problem(p, "close frame from the server");
                            closed++;
                        }
                        close(p);
                        return;
                    }
                    case 9 -> pong(p, a, from, to);
                    case 10 -> {
                        // unsolicited pong: ignore
                    }
                    default -> throw new IOException("opcode " + opcode);
                }
                pos = to;
            }
            in.flip().position(pos);
            in.compact();
        }

        private void pong(Peer p, byte[] a, int from, int to) {
            int len = to - from;
            ensureOut(p, len + 8);
            int mask = rnd.nextInt();
            p.out.put((byte) 0x8a).put((byte) (0x80 | len)).putInt(mask);
            for (int i = 0; i < len; i++) {
                p.out.put((byte) (a[from + i] ^ (mask >>> (24 - 8 * (i & 3)))));
            }
        }

        private void onMessage(Peer p, byte[] a, int from, int to) {
            if (indexOf(a, from, to, K_FAILURE) >= 0) {
                failures++;
                problem(p, new String(a, from, Math.min(to - from, 200), StandardCharsets.UTF_8));
                return;
            }
            int ih = valueStart(a, from, to, K_INFO_HASH);
            int ihEnd = ih < 0 ? -1 : stringEnd(a, ih, to);
            if (ihEnd < 0 || decodeBinary(a, ih, to, scratch) != ID_LENGTH
                    || !java.util.Arrays.equals(scratch, shared.infoHash[p.torrent])) {
                invalid++;
                problem(p, "message without this peer's info_hash: " + new String(a, from, Math.min(to - from, 200),
                        StandardCharsets.UTF_8));
                return;
            }
            if (indexOf(a, from, to, K_OFFER) >= 0) {
                int oid = valueStart(a, from, to, K_OFFER_ID);
                int oidEnd = oid < 0 ? -1 : stringEnd(a, oid, to);
                int pid = valueStart(a, from, to, K_PEER_ID);
                int pidEnd = pid < 0 ? -1 : stringEnd(a, pid, to);
                if (oidEnd < 0 || pidEnd < 0 || decodeBinary(a, oid, to, scratch) != ID_LENGTH
                        || decodeBinary(a, pid, to, scratch) != ID_LENGTH
                        || java.util.Arrays.equals(scratch, p.peerId)) {
                    invalid++;
                    problem(p, "relayed offer without offer_id/peer_id, or this peer's own offer");
                    return;
                }
                offers++;
                if (c.answer && !stopping) {
                    ensureOut(p, (8 << 10));
                    p.writeAnswer(p.out, rnd, a, ih, ihEnd, pid, pidEnd, oid, oidEnd);
                }
            } else if (indexOf(a, from, to, K_ANSWER) >= 0) {
                // it answers one of this peer's offers (of this or an earlier announce): the id names the peer
                int oid = valueStart(a, from, to, K_OFFER_ID);
                if (oid < 0 || decodeBinary(a, oid, to, scratch) != ID_LENGTH || !isOwnOfferId(p, scratch)) {
                    invalid++;
                    problem(p, "relayed answer to an offer this peer never made");
                    return;
                }
                answers++;
            } else if (indexOf(a, from, to, K_INTERVAL) >= 0
                    && indexOf(a, from, to, K_COMPLETE) >= 0
                    && indexOf(a, from, to, K_INCOMPLETE) >= 0) {
                if (!p.awaitingReply) {
                    invalid++;
                    problem(p, "an announce reply this peer did not ask for");
                    return;
                }
                p.awaitingReply = false;
                replies++;
                if (!p.answered) {
                    p.answered = true;
                    ready++;
                }
                if (!c.idle && !stopping) {
                    if (go) {
                        sendAnnounce(p, false);
                    } else {
                        parked.add(p);
                    }
                }
            } else {
                invalid++;
                problem(p, "unexpected message: " + new String(a, from, Math.min(to - from, 200), StandardCharsets.UTF_8));
            }
        }

        private static boolean isOwnOfferId(Peer p, byte[] id) {
            int owner = ((id[0] & 0xff) << 24) | ((id[1] & 0xff) << 16) | ((id[2] & 0xff) << 8) | (id[3] & 0xff);
            return owner == p.index;
        }

        /** The index just after {@code key} (which ends with the string's opening quote), or -1. */
        private static int valueStart(byte[] a, int from, int to, byte[] key) {
            int i = indexOf(a, from, to, key);
            return i < 0 ? -1 : i + key.length;
        }

        private void problem(Peer p, String what) {
            if (firstProblem == null) {
                firstProblem = "peer " + p.index + ": " + what;
            }
        }

        private void close(Peer p) {
            if (p.inHandshake) {
                p.inHandshake = false;
                handshaking--;
            }
            p.open = false;
            try {
                p.channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
