package dev.hayate.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code limits.announces_per_minute_per_address} over UDP (BEP 15): 1 a minute, burst 2. Nothing sleeps. */
class UdpRateLimitTest {
    private Tracker tracker;
    private InetSocketAddress server;

    @BeforeEach
    void start() {
        tracker = TestTrackers.start(
                Map.of("limits.announces_per_minute_per_address", "1", "limits.announce_burst_per_address", "2"));
        server = tracker.udpAddresses().get(0);
    }

    @AfterEach
    void stop() {
        tracker.close();
    }

    /** Sends an announce and returns the reply (announce or error), asserting the transaction id. */
    private static ByteBuffer announce(UdpTrackerTest.Client c, long connId, byte[] hash, int peer) throws Exception {
        int tid = 0x5EED0000 + peer;
        ByteBuffer r = c.exchange(UdpTrackerTest.Client.announcePacket(
                connId, tid, hash, UdpTrackerTest.peerId(peer), 100, 0, -1, 6000 + peer));
        assertNotNull(r, "a reply");
        assertEquals(tid, r.getInt(4));
        return r;
    }

    private static String errorText(ByteBuffer r) {
        assertEquals(3, r.getInt(0), "action error");
        byte[] text = new byte[r.remaining() - 8];
        r.get(8, text);
        return new String(text, StandardCharsets.US_ASCII);
    }

    @Test
    void shouldSendAnErrorPacketAndStoreNothingWhenAnAddressExceedsItsBurst() throws Exception {
        byte[] hash = UdpTrackerTest.hash();
        try (UdpTrackerTest.Client c = new UdpTrackerTest.Client(server)) {
            long id = c.connect();
            assertEquals(1, announce(c, id, hash, 1).getInt(0));
            assertEquals(1, announce(c, id, hash, 2).getInt(0));
            assertEquals("rate limited", errorText(announce(c, id, hash, 3)));
        }
        assertEquals(2, tracker.store().leecherCount(), "the limited announce stored nothing");
        assertEquals(1.0, TestTrackers.metric(tracker, "hayate_rate_limited_total{protocol=\"udp\"}"));
    }

    @Test
    void shouldNotLimitAnotherAddressWhenOneIsLimited() throws Exception {
        byte[] hash = UdpTrackerTest.hash();
        try (UdpTrackerTest.Client a = new UdpTrackerTest.Client(server);
                UdpTrackerTest.Client b = new UdpTrackerTest.Client(server, InetAddress.getByName("127.0.0.2"))) {
            long idA = a.connect();
            announce(a, idA, hash, 1);
            announce(a, idA, hash, 2);
            assertEquals("rate limited", errorText(announce(a, idA, hash, 3)));
            long idB = b.connect();
            assertEquals(1, announce(b, idB, hash, 4).getInt(0));
            assertEquals(1, announce(b, idB, hash, 5).getInt(0));
        }
        assertEquals(4, tracker.store().leecherCount());
    }

    @Test
    void shouldSendNothingWhenALimitedAddressHasNoValidConnectionId() throws Exception {
        byte[] hash = UdpTrackerTest.hash();
        try (UdpTrackerTest.Client c = new UdpTrackerTest.Client(server)) {
            long id = c.connect();
            announce(c, id, hash, 1);
            announce(c, id, hash, 2);
            ByteBuffer packet = UdpTrackerTest.Client.announcePacket(
                    id ^ 0x1234, 77, hash, UdpTrackerTest.peerId(3), 100, 0, -1, 6003);
            assertNull(c.exchange(packet), "no reply to an unproven sender, limited or not");
        }
        assertEquals(0.0, TestTrackers.metric(tracker, "hayate_rate_limited_total{protocol=\"udp\"}"));
    }

    @Test
    void shouldShareOneBudgetWhenAnAddressAnnouncesOverHttpAndUdp() throws Exception {
        byte[] hash = UdpTrackerTest.hash();
        InetSocketAddress http = tracker.httpAddresses().get(0);
        HttpClient client =
                HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
        for (int i = 0; i < 2; i++) {
            String q = "/announce?info_hash=" + pct(hash) + "&peer_id=" + pct(UdpTrackerTest.peerId(60 + i)) + "&port="
                    + (7000 + i) + "&uploaded=0&downloaded=0&left=5&compact=1";
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getPort() + q))
                            .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
            assertEquals(-1, r.body().indexOf("failure reason"), r.body());
        }
        try (UdpTrackerTest.Client c = new UdpTrackerTest.Client(server)) {
            long id = c.connect();
            assertEquals("rate limited", errorText(announce(c, id, hash, 62)));
        }
    }

    private static String pct(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }
}
