package dev.hayate.udp;

import static dev.hayate.udp.UdpTrackerTest.hash;
import static dev.hayate.udp.UdpTrackerTest.peerId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import dev.hayate.udp.UdpTrackerTest.Client;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * UDP config keys that change what a client sees, each set to a non-default value and compared with a tracker on the
 * defaults: {@code announce.allow_ip_param} (BEP 15's IP field), {@code announce.interval_seconds},
 * {@code scrape.max_hashes}, {@code udp.connection_id_ttl_seconds}, {@code udp.receive_buffer_bytes}; and the UDP
 * counters on {@code /metrics}. Event codes are BEP 15's literals: 0 none, 1 completed, 2 started, 3 stopped.
 */
class UdpConfigTest {
    static final int INTERVAL = 1234;
    static final int MAX_HASHES = 3;
    static final int RECEIVE_BUFFER = 262_144;
    static final int STARTED = 2;

    private static Tracker defaults;
    private static Tracker custom;
    private static Tracker shortIds;

    @BeforeAll
    static void start() {
        defaults = TestTrackers.start(Map.of());
        custom = TestTrackers.start(Map.of(
                "announce.allow_ip_param", "true",
                "announce.interval_seconds", Integer.toString(INTERVAL),
                "scrape.max_hashes", Integer.toString(MAX_HASHES),
                "udp.receive_buffer_bytes", Integer.toString(RECEIVE_BUFFER)));
        shortIds = TestTrackers.start(Map.of("udp.connection_id_ttl_seconds", "10"));
    }

    @AfterAll
    static void stop() {
        for (Tracker t : new Tracker[] {defaults, custom, shortIds}) {
            if (t != null) {
                t.close();
            }
        }
    }

    private static InetSocketAddress udp(Tracker t) {
        return t.udpAddresses().get(0);
    }

    /** BEP 15 announce, 98 bytes, with the IP address field set (0 means "the sender's address"). */
    static ByteBuffer announcePacket(long connId, int tid, byte[] hash, byte[] peerId, long left, int ip, int port) {
        return ByteBuffer.allocate(98)
                .putLong(connId)
                .putInt(1)
                .putInt(tid)
                .put(hash)
                .put(peerId)
                .putLong(0)
                .putLong(left)
                .putLong(0)
                .putInt(STARTED)
                .putInt(ip)
                .putInt(0x1234)
                .putInt(-1)
                .putShort((short) port)
                .flip();
    }

    static ByteBuffer scrapePacket(long connId, int tid, int hashes) {
        ByteBuffer b =
                ByteBuffer.allocate(16 + 20 * hashes).putLong(connId).putInt(2).putInt(tid);
        for (int i = 0; i < hashes; i++) {
            b.put(hash());
        }
        return b.flip();
    }

    /** A seeder announces with the IP field {@code ip}; returns the first peer of a leecher's answer. */
    private static String peerSeenAfterSeederSentIp(Tracker t, int ip) throws IOException {
        byte[] hash = hash();
        try (Client seeder = new Client(udp(t));
                Client leecher = new Client(udp(t))) {
            ByteBuffer first = seeder.exchange(announcePacket(seeder.connect(), 1, hash, peerId(1), 0, ip, 6881));
            assertNotNull(first);
            assertEquals(1, first.getInt(0));
            ByteBuffer r = leecher.exchange(announcePacket(leecher.connect(), 2, hash, peerId(2), 100, 0, 6882));
            assertNotNull(r);
            assertEquals(1, r.getInt(0), "announce reply");
            assertEquals(20 + 6, r.remaining(), "one IPv4 peer");
            return (r.get(20) & 0xFF) + "." + (r.get(21) & 0xFF) + "." + (r.get(22) & 0xFF) + "." + (r.get(23) & 0xFF)
                    + ":" + (r.getShort(24) & 0xFFFF);
        }
    }

    @Test
    void shouldStoreThePeerAtItsSourceAddressWhenTheIpFieldIsSentAndAllowIpParamIsOffByDefault() throws Exception {
        assertEquals("127.0.0.1:6881", peerSeenAfterSeederSentIp(defaults, 0x0A090807));
    }

    @Test
    void shouldStoreThePeerAtTheIpFieldWhenAllowIpParamIsOn() throws Exception {
        assertEquals("10.9.8.7:6881", peerSeenAfterSeederSentIp(custom, 0x0A090807));
        assertEquals("127.0.0.1:6881", peerSeenAfterSeederSentIp(custom, 0), "0 means the sender's address");
    }

    @Test
    void shouldAnswerTheConfiguredIntervalWhenItIsNotTheDefault() throws Exception {
        try (Client c = new Client(udp(custom))) {
            assertEquals(
                    INTERVAL,
                    c.announce(c.connect(), hash(), peerId(3), 0, STARTED, 6883).getInt(8));
        }
        try (Client c = new Client(udp(defaults))) {
            assertEquals(
                    1800,
                    c.announce(c.connect(), hash(), peerId(3), 0, STARTED, 6883).getInt(8));
        }
    }

    @Test
    void shouldAnswerAnErrorOneHashOverTheConfiguredMaximumWhenScrapeMaxHashesIsSet() throws Exception {
        try (Client c = new Client(udp(custom))) {
            long id = c.connect();
            ByteBuffer ok = c.exchange(scrapePacket(id, 5, MAX_HASHES));
            assertNotNull(ok);
            assertEquals(2, ok.getInt(0), "scrape reply");
            assertEquals(8 + 12 * MAX_HASHES, ok.remaining());
            ByteBuffer over = c.exchange(scrapePacket(id, 6, MAX_HASHES + 1));
            assertNotNull(over);
            assertEquals(3, over.getInt(0), "error reply");
            assertEquals(6, over.getInt(4));
            byte[] text = new byte[over.remaining() - 8];
            over.get(8, text);
            assertEquals("too many info_hash values in one scrape", new String(text, StandardCharsets.US_ASCII));
        }
        try (Client c = new Client(udp(defaults))) {
            ByteBuffer r = c.exchange(scrapePacket(c.connect(), 7, MAX_HASHES + 1));
            assertNotNull(r);
            assertEquals(2, r.getInt(0), "the default (74) allows it");
        }
    }

    @Test
    void shouldDropAConnectionIdOnceItIsOlderThanTheConfiguredTtl() throws Exception {
        String dropped = "hayate_udp_dropped_total";
        double droppedBefore = TestTrackers.metric(shortIds, dropped);
        try (Client shortClient = new Client(udp(shortIds));
                Client defaultClient = new Client(udp(defaults))) {
            shortClient.socket.setSoTimeout(500);
            long defaultId = defaultClient.connect();
            long shortId = shortClient.connect();
            long connectedNanos = System.nanoTime();
            byte[] hash = hash();
            int[] unanswered = {0};
            // udp.connection_id_ttl_seconds=10 (the least allowed): valid for 10 to 11 s after the connect; the default
            // is
            // 120 s.
            boolean expired = TestTrackers.await(Duration.ofSeconds(30), () -> {
                ByteBuffer r = shortClient.exchange(announcePacket(shortId, 8, hash, peerId(4), 0, 0, 6884));
                if (r == null) {
                    unanswered[0]++;
                    return true;
                }
                assertEquals(1, r.getInt(0));
                return false;
            });
            assertTrue(expired, "a 10 s connection id was still accepted after 30 s");
            long acceptedMillis = (System.nanoTime() - connectedNanos) / 1_000_000;
            assertTrue(acceptedMillis >= 9_000, "refused after only " + acceptedMillis + " ms");
            assertEquals(droppedBefore + unanswered[0], TestTrackers.metric(shortIds, dropped));
            // An id from the default tracker, issued before, is still good.
            defaultClient.announce(defaultId, hash, peerId(4), 0, STARTED, 6884);
        }
    }

    /**
     * The receive buffer is not visible to a client; the kernel reports it as {@code rb} in {@code ss -ulm}: twice
     * the value set with SO_RCVBUF, after capping at {@code net.core.rmem_max}.
     */
    @Test
    void shouldSetTheConfiguredReceiveBufferWhenUdpReceiveBufferBytesIsSet() throws Exception {
        // readAllLines, not readString: /proc files report size 0, and readString then returns one char (JDK 17).
        long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max"))
                .get(0)
                .trim());
        Assumptions.assumeTrue(rmemMax >= RECEIVE_BUFFER, "net.core.rmem_max is below the test's value");
        assertEquals(2L * RECEIVE_BUFFER, receiveBuffer(udp(custom).getPort()));
        assertEquals(
                2L * Math.min(4_194_304, rmemMax), receiveBuffer(udp(defaults).getPort()), "README default");
    }

    static long receiveBuffer(int port) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("ss", "-ulnmH", "sport = :" + port)
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            Assumptions.abort("ss (iproute2) is not installed: " + e);
            return -1;
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        Matcher m = Pattern.compile("\\brb(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        long rb = Long.parseLong(m.group(1));
        assertTrue(!m.find(), "one socket (udp.threads=1): " + out);
        return rb;
    }

    @Test
    void shouldCountEachUdpPacketKindWhenItIsHandled() throws Exception {
        Tracker t = defaults;
        String dropped = "hayate_udp_dropped_total";
        String connects = "hayate_udp_connects_total";
        String started = "hayate_announces_total{event=\"started\",protocol=\"udp\"}";
        String httpStarted = "hayate_announces_total{event=\"started\",protocol=\"http\"}";
        String scrapes = "hayate_scrapes_total{protocol=\"udp\"}";
        String badEvent = "hayate_failures_total{reason=\"invalid_event\"}";
        String tooMany = "hayate_failures_total{reason=\"too_many_info_hashes\"}";
        String expired = "hayate_peers_expired_total";
        try (Client c = new Client(udp(t))) {
            long id = c.connect();

            // A forged connection id: dropped, counted, nothing else.
            double droppedBefore = TestTrackers.metric(t, dropped);
            double connectsBefore = TestTrackers.metric(t, connects);
            assertNull(c.exchange(announcePacket(id ^ 0x5A5A, 9, hash(), peerId(5), 0, 0, 6885)));
            assertEquals(droppedBefore + 1, TestTrackers.metric(t, dropped));
            // A packet too short to be anything: dropped too. One receive loop handles packets in order, so the
            // connect's reply proves the junk before it was handled.
            c.socket.send(new DatagramPacket(new byte[7], 7, c.server));
            long id2 = c.connect();
            assertEquals(droppedBefore + 2, TestTrackers.metric(t, dropped));
            assertEquals(connectsBefore + 1, TestTrackers.metric(t, connects));

            double startedBefore = TestTrackers.metric(t, started);
            double httpBefore = TestTrackers.metric(t, httpStarted);
            double scrapesBefore = TestTrackers.metric(t, scrapes);
            double badEventBefore = TestTrackers.metric(t, badEvent);
            double tooManyBefore = TestTrackers.metric(t, tooMany);
            double expiredBefore = TestTrackers.metric(t, expired);
            String latencyCount = "hayate_request_latency_seconds_count{protocol=\"udp\"}";
            String latencySum = "hayate_request_latency_seconds_sum{protocol=\"udp\"}";
            double latencyCountBefore = TestTrackers.metric(t, latencyCount);
            double latencySumBefore = TestTrackers.metric(t, latencySum);
            c.announce(id2, hash(), peerId(6), 0, STARTED, 6886);
            assertEquals(startedBefore + 1, TestTrackers.metric(t, started));
            assertEquals(httpBefore, TestTrackers.metric(t, httpStarted), "the other protocol's counter");

            ByteBuffer scrape = c.exchange(scrapePacket(id2, 10, 2));
            assertEquals(2, scrape.getInt(0));
            assertEquals(scrapesBefore + 1, TestTrackers.metric(t, scrapes));
            // One latency sample per announce and per scrape answered, each a real duration (well under a second).
            assertEquals(latencyCountBefore + 2, TestTrackers.metric(t, latencyCount));
            double added = TestTrackers.metric(t, latencySum) - latencySumBefore;
            assertTrue(added > 0 && added < 2, "seconds recorded for two requests: " + added);

            ByteBuffer bad = c.exchange(Client.announcePacket(id2, 11, hash(), peerId(7), 0, 9, 5, 6887));
            assertEquals(3, bad.getInt(0), "error reply");
            assertEquals(badEventBefore + 1, TestTrackers.metric(t, badEvent));
            assertEquals(tooManyBefore, TestTrackers.metric(t, tooMany), "other reasons untouched");
            assertEquals(startedBefore + 1, TestTrackers.metric(t, started), "a failure is not an announce");
            assertEquals(expiredBefore, TestTrackers.metric(t, expired), "nothing expired");
            assertEquals(droppedBefore + 2, TestTrackers.metric(t, dropped));
        }
    }

    /**
     * BEP 15 replies must fit one datagram: at most 229 IPv4 peers (under 1,400 bytes) and 65 IPv6 peers (under
     * 1,200 bytes), whatever numwant asks.
     */
    @Test
    void shouldCapPeersPerReplyByFamilyWhenNumwantAsksForMoreThanADatagramHolds() throws Exception {
        try (Tracker t = TestTrackers.start(Map.of("udp.host", "127.0.0.1,::1", "admin.enabled", "false"))) {
            InetSocketAddress v4 = null;
            InetSocketAddress v6 = null;
            for (InetSocketAddress a : t.udpAddresses()) {
                if (a.getAddress() instanceof java.net.Inet6Address) {
                    v6 = a;
                } else {
                    v4 = a;
                }
            }
            // One swarm per family: the store picks numwant peers over both families and UDP sends only the
            // requester's, so in a mixed swarm an IPv6 client gets fewer than 65 and the cap would not show.
            byte[] hash4 = hash();
            byte[] hash6 = hash();
            int perFamily = 70;
            try (Client c4 = new Client(v4);
                    Client c6 = new Client(v6)) {
                long id4 = c4.connect();
                long id6 = c6.connect();
                for (int i = 0; i < perFamily; i++) {
                    c4.announce(id4, hash4, peerId(1000 + i), 0, STARTED, 7000 + i);
                    c6.announce(id6, hash6, peerId(2000 + i), 0, STARTED, 7000 + i);
                }
                ByteBuffer r4 = c4.exchange(Client.announcePacket(id4, 1, hash4, peerId(3000), 50, STARTED, 200, 7999));
                assertEquals(20 + perFamily * 6, r4.remaining(), "every IPv4 seeder: 70 is under the IPv4 cap");
                ByteBuffer r6 = c6.exchange(Client.announcePacket(id6, 2, hash6, peerId(3001), 50, STARTED, 200, 7999));
                assertEquals(20 + 65 * 18, r6.remaining(), "65 IPv6 peers, 1,190 bytes");
            }
        }
    }
}
