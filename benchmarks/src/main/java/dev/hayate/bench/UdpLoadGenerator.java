package dev.hayate.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A closed-loop BEP 15 (UDP tracker) load generator with a bounded in-flight window, for {@code udp-load.sh}.
 *
 * <p>{@code sockets} non-blocking {@link DatagramChannel}s, each bound to its own ephemeral port on 127.0.0.1 and
 * connected to the target, are spread over {@code threads} selector loops. Each socket carries {@code window}
 * simulated clients (slots), each with at most one request outstanding. A client connects (action 0), then reuses
 * its connection id for {@code reuse} seconds (60, like libtorrent; BEP 15 allows 2 minutes) for announces, then
 * connects again; {@code reuse=0} connects before every announce. As soon as a reply arrives the slot sends its next
 * request, so at most {@code sockets * window} requests are in flight and the tracker's receive buffer cannot
 * overflow because of us.
 *
 * <p>Announces are tracker.lua's mix, built fresh for each request: info_hash Zipf({@code zipf}) over torrents
 * 1..{@code torrents} (the same Park-Miller hashes as tracker.lua, gen-hashes.py and {@link LoadClient}, so
 * opentracker's whitelist matches), a random {@code -qB4650-} peer_id and port, 30% seeders, 10% {@code started},
 * numwant {@code numwant}, key random, ip 0. Like tracker.lua, every announce is then a new peer, so the tracker
 * grows by one peer per announce; {@code peers=N} (tracker.lua's {@code PEERS}) takes peer_ids from a pool of N
 * instead (peer k: tracker.lua's pooled_peer_id(k), port 1025 + k), so swarms fill up and most announces update.
 *
 * <p>Every reply is checked: length, action and transaction id (which names the slot and its request sequence, so a
 * reply to a request that already timed out is a {@code late} one, not a fresh answer); announce replies must have a
 * positive interval and a whole number of 6-byte peers. Error replies (action 3) are counted apart ({@code errors}):
 * opentracker answers a hash missing from its whitelist with one. A request with no valid reply within
 * {@code timeout_ms} is lost; the slot then moves on (a lost connect makes the client connect again).
 *
 * <p>Only requests sent after the warm-up and before the end count: {@code announce_rps} is announce replies to
 * them per second of measurement, latencies are theirs (send to receive, µs resolution), {@code lost} are theirs
 * still unanswered {@code timeout_ms} after the end. Validation counters ({@code errors}, {@code invalid},
 * {@code late}) cover the whole run, warm-up included. Prints one line starting with {@code UDPLOAD}; exits 1 if no
 * announce was answered or any reply was invalid.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar dev.hayate.bench.UdpLoadGenerator port=16973 duration=15 warmup=10 \
 *       sockets=8 window=16 threads=1 torrents=100000
 * </pre>
 */
public final class UdpLoadGenerator {
    private static final long PROTOCOL_ID = 0x41727101980L;
    private static final int ACTION_CONNECT = 0;
    private static final int ACTION_ANNOUNCE = 1;
    private static final int ACTION_ERROR = 3;
    private static final int ANNOUNCE_LENGTH = 98;
    private static final int HASH_LENGTH = 20;
    /** Transaction id = sequence(24) | slot index within the thread(8): at most 256 slots per thread. */
    private static final int SLOT_BITS = 8;
    private static final int MAX_SLOTS_PER_THREAD = 1 << SLOT_BITS;
    private static final byte[] PEER_ID_PREFIX = {'-', 'q', 'B', '4', '6', '5', '0', '-'};

    private UdpLoadGenerator() {}

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
        String host = opt.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(opt.getOrDefault("port", "6969"));
        double duration = Double.parseDouble(opt.getOrDefault("duration", "15"));
        double warmup = Double.parseDouble(opt.getOrDefault("warmup", "5"));
        int sockets = Integer.parseInt(opt.getOrDefault("sockets", "8"));
        int window = Integer.parseInt(opt.getOrDefault("window", "16"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
        double reuse = Double.parseDouble(opt.getOrDefault("reuse", "60"));
        int timeoutMs = Integer.parseInt(opt.getOrDefault("timeout_ms", "1000"));
        int torrents = Integer.parseInt(opt.getOrDefault("torrents", "100000"));
        double zipf = Double.parseDouble(opt.getOrDefault("zipf", "1.0"));
        int numwant = Integer.parseInt(opt.getOrDefault("numwant", "50"));
        int peers = Integer.parseInt(opt.getOrDefault("peers", "0"));
        String label = opt.getOrDefault("label", "-");
        InetAddress target = InetAddress.getByName(host);
        if (!target.isLoopbackAddress()) {
            throw new IllegalArgumentException("loopback targets only: " + host);
        }
        // Bounded in count and time.
        check(duration > 0 && duration <= 600, "duration must be in (0, 600] s");
        check(warmup >= 0 && warmup <= 600, "warmup must be in [0, 600] s");
        check(sockets >= 1 && sockets <= 256, "sockets must be 1..256");
        check(threads >= 1 && threads <= sockets && threads <= 64, "threads must be 1..min(sockets, 64)");
        check(window >= 1 && (long) window * ((sockets + threads - 1) / threads) <= MAX_SLOTS_PER_THREAD,
                "window * sockets per thread must be 1.." + MAX_SLOTS_PER_THREAD);
        check(timeoutMs >= 10 && timeoutMs <= 10_000, "timeout_ms must be 10..10000");
        check(torrents >= 1 && torrents <= 2_000_000, "torrents must be 1..2,000,000");
        check(peers >= 0 && peers <= 64_511, "peers must be 0..64511");
        check(reuse >= 0 && reuse <= 120, "reuse must be 0..120 s (BEP 15: ids live 2 minutes)");

        Shared shared = new Shared(torrents, zipf, peers);
        long start = System.nanoTime() + 100_000_000L;
        long measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (duration * 1e9);
        Worker[] workers = new Worker[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int n = sockets / threads + (t < sockets % threads ? 1 : 0);
            Worker w = new Worker(shared, new InetSocketAddress(target, port), n, window, numwant,
                    (long) (reuse * 1e9), timeoutMs * 1_000_000L, start, measureFrom, end, new SplittableRandom(
                            System.nanoTime() ^ (0x9E3779B97F4A7C15L * (t + 1))));
            workers[t] = w;
            ts[t] = new Thread(w::run, "udp-load-" + t);
        }
        for (Thread t : ts) {
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        Worker s = Worker.merge(workers, timeoutMs);
        long answered = s.measuredAnnounces;
        double peersAvg = s.announceReplies == 0 ? 0 : (double) s.peersSeen / s.announceReplies;
        long sent = s.measuredSent;
        System.out.printf(
                "UDPLOAD label=%s secs=%.1f announce_rps=%.0f reply_rps=%.0f sent=%d announces=%d connects=%d"
                        + " lost=%d loss_pct=%.4f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f"
                        + " errors=%d invalid=%d late=%d send_full=%d io_errors=%d avg_peers=%.1f"
                        + " total_announces=%d sockets=%d window=%d threads=%d reuse_s=%.0f timeout_ms=%d peers=%d%n",
                label, duration, answered / duration, (answered + s.measuredConnects) / duration, sent, answered,
                s.measuredConnects, s.measuredLost, sent == 0 ? 0 : 100.0 * s.measuredLost / sent,
                s.pct(50), s.pct(90), s.pct(99), s.pct(99.9), s.maxMicros / 1000.0,
                s.errors, s.invalid, s.late, s.sendFull, s.ioErrors, peersAvg, s.announceReplies,
                sockets, window, threads, reuse, timeoutMs, peers);
        if (answered == 0 || s.invalid > 0) {
            System.exit(1);
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Torrent i's info_hash: 20 bytes of a Park-Miller generator seeded by i (as tracker.lua and gen-hashes.py). */
    static void infoHash(int i, byte[] out, int at) {
        parkMiller((long) i * 7919 + 1, out, at, HASH_LENGTH);
    }

    /** tracker.lua's pm_bytes: n bytes of the Park-Miller minimal standard generator seeded by {@code seed}. */
    static void parkMiller(long seed, byte[] out, int at, int n) {
        final long m = 2147483647L;
        long x = seed % m;
        if (x == 0) {
            x = 1;
        }
        for (int k = 0; k < n; k++) {
            x = (x * 16807) % m;
            out[at + k] = (byte) ((x / 256) % 256);
        }
    }

    /** Read-only tables shared by the workers: the hashes and the Zipf CDF. */
    static final class Shared {
        final int torrents;
        final byte[] hashes; // torrent i (1-based) at (i - 1) * 20
        final double[] cdf;
        final int peers;
        final byte[] peerIds; // pooled peer k's 12 random bytes at k * 12 (tracker.lua's pooled_peer_id)

        Shared(int torrents, double zipf, int peers) {
            this.torrents = torrents;
            this.peers = peers;
            peerIds = new byte[peers * 12];
            for (int k = 0; k < peers; k++) {
                parkMiller(k * 104729L + 17, peerIds, k * 12, 12);
            }
            hashes = new byte[torrents * HASH_LENGTH];
            cdf = new double[torrents];
            double sum = 0;
            for (int r = 1; r <= torrents; r++) {
                infoHash(r, hashes, (r - 1) * HASH_LENGTH);
                sum += zipf == 0 ? 1 : 1 / Math.pow(r, zipf);
                cdf[r - 1] = sum;
            }
            for (int r = 0; r < torrents; r++) {
                cdf[r] /= sum;
            }
        }

        /** A Zipf rank 1..torrents (the CDF + binary search of tracker.lua). */
        int zipfRank(SplittableRandom rnd) {
            double u = rnd.nextDouble();
            int lo = 0;
            int hi = torrents - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo + 1;
        }
    }

    /** One selector loop over its sockets; all state is confined to its thread. */
    static final class Worker {
        final Shared shared;
        final InetSocketAddress target;
        final int socketCount;
        final int window;
        final int numwant;
        final long reuseNanos;
        final long timeoutNanos;
        final long start;
        final long measureFrom;
        final long end;
        final SplittableRandom rnd;

        // per slot (slot = socket * window + k)
        int slots;
        DatagramChannel[] channels;
        long[] connectionId;
        long[] connectedAt; // 0: no connection id
        int[] seq;
        long[] sentAt; // 0: nothing outstanding
        boolean[] outstandingIsConnect;
        boolean[] pendingSend;
        boolean[] freshId; // a connect just answered: the next request is an announce, whatever reuse says

        // results
        long measuredSent;
        long measuredAnnounces;
        long measuredConnects;
        long measuredLost;
        long announceReplies;
        long peersSeen;
        long errors;
        long invalid;
        long late;
        long sendFull;
        long ioErrors;
        long maxMicros;
        int[] histogram; // µs buckets, the last one for >= timeout
        long histogramCount;

        Worker(Shared shared, InetSocketAddress target, int socketCount, int window, int numwant, long reuseNanos,
                long timeoutNanos, long start, long measureFrom, long end, SplittableRandom rnd) {
            this.shared = shared;
            this.target = target;
            this.socketCount = socketCount;
            this.window = window;
            this.numwant = numwant;
            this.reuseNanos = reuseNanos;
            this.timeoutNanos = timeoutNanos;
            this.start = start;
            this.measureFrom = measureFrom;
            this.end = end;
            this.rnd = rnd;
            this.histogram = new int[(int) (timeoutNanos / 1000) + 1];
        }

        void run() {
            try (Selector selector = Selector.open()) {
                slots = socketCount * window;
                channels = new DatagramChannel[socketCount];
                connectionId = new long[slots];
                connectedAt = new long[slots];
                seq = new int[slots];
                sentAt = new long[slots];
                outstandingIsConnect = new boolean[slots];
                pendingSend = new boolean[slots];
                freshId = new boolean[slots];
                for (int s = 0; s < socketCount; s++) {
                    DatagramChannel ch = DatagramChannel.open();
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                    ch.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
                    ch.bind(new InetSocketAddress(target.getAddress(), 0));
                    ch.connect(target);
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, s);
                    channels[s] = ch;
                }
                loop(selector);
                for (DatagramChannel ch : channels) {
                    ch.close();
                }
            } catch (IOException e) {
                throw new IllegalStateException("UDP load worker failed: " + e, e);
            }
        }

        private void loop(Selector selector) throws IOException {
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            while (System.nanoTime() < start) {
                Thread.onSpinWait();
            }
            long now = System.nanoTime();
            for (int slot = 0; slot < slots; slot++) {
                send(slot, out, now);
            }
            long nextScan = now + 1_000_000L;
            long drainUntil = end + timeoutNanos;
            while (true) {
                now = System.nanoTime();
                if (now >= end && (now >= drainUntil || noneOutstanding())) {
                    break;
                }
                selector.select(1);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    int s = (Integer) key.attachment();
                    DatagramChannel ch = channels[s];
                    while (true) {
                        in.clear();
                        int n;
                        try {
                            n = ch.read(in);
                        } catch (IOException e) { // ICMP port unreachable: nobody listening (yet)
                            ioErrors++;
                            break;
                        }
                        if (n <= 0) {
                            break;
                        }
                        in.flip();
                        long t = System.nanoTime();
                        int slot = onReply(s, in, t);
                        if (slot >= 0) {
                            send(slot, out, t);
                        }
                    }
                }
                now = System.nanoTime();
                if (now >= nextScan) {
                    scan(out, now);
                    nextScan = now + 1_000_000L;
                }
            }
            // Whatever is still outstanding after the drain is lost.
            for (int slot = 0; slot < slots; slot++) {
                if (sentAt[slot] != 0 && sentAt[slot] >= measureFrom && sentAt[slot] < end) {
                    measuredLost++;
                }
            }
        }

        private boolean noneOutstanding() {
            for (int slot = 0; slot < slots; slot++) {
                if (sentAt[slot] != 0) {
                    return false;
                }
            }
            return true;
        }

        /** Timeouts and sends that found a full socket buffer. */
        private void scan(ByteBuffer out, long now) throws IOException {
            for (int slot = 0; slot < slots; slot++) {
                long at = sentAt[slot];
                if (at != 0 && now - at >= timeoutNanos) {
                    if (at >= measureFrom && at < end) {
                        measuredLost++;
                    }
                    sentAt[slot] = 0;
                    if (outstandingIsConnect[slot]) {
                        connectedAt[slot] = 0;
                    }
                    send(slot, out, now);
                } else if (pendingSend[slot]) {
                    send(slot, out, now);
                }
            }
        }

        /** Sends the slot's next request (a connect if its connection id is missing or too old). */
        private void send(int slot, ByteBuffer out, long now) throws IOException {
            pendingSend[slot] = false;
            sentAt[slot] = 0;
            if (now >= end) {
                return;
            }
            int tx = (++seq[slot] << SLOT_BITS) | slot;
            out.clear();
            boolean connect = connectedAt[slot] == 0 || (!freshId[slot] && now - connectedAt[slot] >= reuseNanos);
            if (connect) {
                out.putLong(PROTOCOL_ID).putInt(ACTION_CONNECT).putInt(tx);
            } else {
                writeAnnounce(out, connectionId[slot], tx);
            }
            out.flip();
            DatagramChannel ch = channels[slot / window];
            int n;
            try {
                n = ch.write(out);
            } catch (IOException e) { // ICMP port unreachable from an earlier datagram
                ioErrors++;
                n = 0;
            }
            if (n == 0) {
                sendFull++;
                pendingSend[slot] = true;
                return;
            }
            sentAt[slot] = now;
            outstandingIsConnect[slot] = connect;
            freshId[slot] = false;
            if (now >= measureFrom) {
                measuredSent++;
            }
        }

        private void writeAnnounce(ByteBuffer out, long cid, int tx) {
            SplittableRandom r = rnd;
            int rank = shared.zipfRank(r);
            boolean seeder = r.nextDouble() < 0.3;
            long left = seeder ? 0 : r.nextLong(1, 4_000_000_001L);
            long downloaded = seeder ? r.nextLong(1, 4_000_000_001L) : r.nextLong(0, 1_000_000_001L);
            long uploaded = r.nextLong(0, 2_000_000_001L);
            int event = r.nextDouble() < 0.1 ? 2 : 0; // BEP 15: 0 none, 1 completed, 2 started, 3 stopped
            out.putLong(cid).putInt(ACTION_ANNOUNCE).putInt(tx);
            out.put(shared.hashes, (rank - 1) * HASH_LENGTH, HASH_LENGTH);
            out.put(PEER_ID_PREFIX);
            int port;
            if (shared.peers > 0) { // tracker.lua's PEERS: a pool of peer ids, peer k on port 1025 + k
                int k = r.nextInt(shared.peers);
                out.put(shared.peerIds, k * 12, 12);
                port = 1025 + k;
            } else {
                out.putLong(r.nextLong()).putInt(r.nextInt()); // 12 random bytes
                port = r.nextInt(1025, 65536);
            }
            out.putLong(downloaded).putLong(left).putLong(uploaded);
            out.putInt(event).putInt(0).putInt(r.nextInt()).putInt(numwant);
            out.putShort((short) port);
        }

        private void invalid(String why, ByteBuffer in) {
            if (invalid++ < 5) { // the first few, for the run's log
                StringBuilder hex = new StringBuilder();
                for (int i = 0; i < Math.min(in.remaining(), 32); i++) {
                    hex.append(String.format("%02x", in.get(i)));
                }
                System.err.printf("invalid reply (%s): length %d, first bytes %s%n", why, in.remaining(), hex);
            }
        }

        /** Checks a reply; returns the slot to send next on, or -1. */
        private int onReply(int socket, ByteBuffer in, long now) {
            int len = in.remaining();
            if (len < 8) {
                invalid("shorter than 8 bytes", in);
                return -1;
            }
            int action = in.getInt(0);
            int tx = in.getInt(4);
            int slot = tx & (MAX_SLOTS_PER_THREAD - 1);
            if (slot >= slots || slot / window != socket || (tx >>> SLOT_BITS) != (seq[slot] & 0xFFFFFF)
                    || sentAt[slot] == 0) {
                late++; // a reply to a request that timed out (or a transaction id we never sent)
                return -1;
            }
            long at = sentAt[slot];
            boolean measured = at >= measureFrom && at < end;
            boolean wasConnect = outstandingIsConnect[slot];
            if (action == ACTION_ERROR) {
                errors++; // answered, but not usefully: neither an announce nor lost
                if (wasConnect) {
                    connectedAt[slot] = 0;
                }
                return slot;
            }
            if (wasConnect) {
                if (action != ACTION_CONNECT || len < 16) {
                    invalid("not a connect reply to a connect", in);
                    connectedAt[slot] = 0;
                    return slot;
                }
                connectionId[slot] = in.getLong(8);
                connectedAt[slot] = now;
                freshId[slot] = true;
                if (measured) {
                    measuredConnects++;
                }
                return slot;
            }
            if (action != ACTION_ANNOUNCE || len < 20 || (len - 20) % 6 != 0 || in.getInt(8) <= 0) {
                invalid("not an IPv4 announce reply to an announce", in);
                return slot;
            }
            announceReplies++;
            peersSeen += (len - 20) / 6;
            if (measured) {
                measuredAnnounces++;
                long us = (now - at) / 1000;
                maxMicros = Math.max(maxMicros, us);
                histogram[(int) Math.min(us, histogram.length - 1)]++;
                histogramCount++;
            }
            return slot;
        }

        static Worker merge(Worker[] ws, int timeoutMs) {
            Worker m = new Worker(null, null, 0, 1, 0, 0, timeoutMs * 1_000_000L, 0, 0, 0, null);
            for (Worker w : ws) {
                m.measuredSent += w.measuredSent;
                m.measuredAnnounces += w.measuredAnnounces;
                m.measuredConnects += w.measuredConnects;
                m.measuredLost += w.measuredLost;
                m.announceReplies += w.announceReplies;
                m.peersSeen += w.peersSeen;
                m.errors += w.errors;
                m.invalid += w.invalid;
                m.late += w.late;
                m.sendFull += w.sendFull;
                m.ioErrors += w.ioErrors;
                m.maxMicros = Math.max(m.maxMicros, w.maxMicros);
                m.histogramCount += w.histogramCount;
                for (int i = 0; i < m.histogram.length; i++) {
                    m.histogram[i] += w.histogram[i];
                }
            }
            return m;
        }

        /** The p-th percentile of the measured announce latencies, in ms (µs resolution). */
        double pct(double p) {
            if (histogramCount == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(p / 100.0 * histogramCount));
            long seen = 0;
            for (int i = 0; i < histogram.length; i++) {
                seen += histogram[i];
                if (seen >= rank) {
                    return i / 1000.0;
                }
            }
            return (histogram.length - 1) / 1000.0;
        }
    }
}
