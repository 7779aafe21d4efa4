package dev.hayate.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile UDP traffic, beyond the malformed-packet and forged-id cases of {@link UdpTrackerTest}: oversized datagrams,
 * a bounded flood of random and near-valid packets, and the reflection rule (a sender without a valid connection id
 * never gets a reply larger than its request).
 */
class HostileUdpTest {
    private static final long MAGIC = 0x41727101980L;
    private static Tracker tracker;
    private static InetSocketAddress server;

    @BeforeAll
    static void start() {
        tracker = Tracker.start(
                ConfigLoader.load(
                        new Properties(),
                        Map.of(
                                "http.host",
                                "127.0.0.1",
                                "http.port",
                                "0",
                                "udp.host",
                                "127.0.0.1",
                                "udp.port",
                                "0",
                                "udp.threads",
                                "2",
                                "store.max_peers",
                                "10000",
                                "store.max_torrents",
                                "1000",
                                "admin.enabled",
                                "false")),
                new SimpleMeterRegistry());
        server = tracker.udpAddresses().get(0);
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    @Test
    void shouldNeverReplyLargerThanTheRequestWhenTheSenderHasNoValidConnectionId() throws Exception {
        Random random = new Random(0xF100D);
        int packets = 20_000;
        // transaction id -> request length, for every packet that could legitimately be answered (a connect)
        Map<Integer, Integer> connects = new HashMap<>();
        Set<Integer> connectTids = new HashSet<>();
        int replies = 0;
        try (UdpTrackerTest.Client c = new UdpTrackerTest.Client(server)) {
            c.socket.setSoTimeout(1);
            byte[] in = new byte[65_536];
            long start = System.nanoTime();
            for (int i = 0; i < packets; i++) {
                byte[] p = hostilePacket(random, i);
                c.socket.send(new DatagramPacket(p, p.length, server));
                if (p.length >= 16
                        && ByteBuffer.wrap(p).getLong(0) == MAGIC
                        && ByteBuffer.wrap(p).getInt(8) == 0) {
                    connects.put(i, p.length);
                    connectTids.add(i);
                }
                // Drain replies as we go (a 1 ms timeout), so the socket buffer never overflows.
                if (i % 64 == 0) {
                    replies += drain(c, in, connects);
                }
            }
            long sendMillis = (System.nanoTime() - start) / 1_000_000;
            c.socket.setSoTimeout(500);
            replies += drain(c, in, connects);
            assertTrue(replies <= connectTids.size(), replies + " replies to " + connectTids.size() + " connects");
            assertTrue(replies > 0, "well-formed connects in the flood are still answered");
            System.out.println("UDP flood: " + packets + " packets in " + sendMillis + " ms, " + replies + " replies");

            // Still serving after the flood.
            long id = c.connect();
            assertEquals(
                    20,
                    c.announce(id, UdpTrackerTest.hash(), UdpTrackerTest.peerId(1), 0, 2, 6881)
                            .remaining());
        }
    }

    /** Reads replies until the socket times out; each must be a 16-byte connect reply to a connect we sent. */
    private static int drain(UdpTrackerTest.Client c, byte[] in, Map<Integer, Integer> connects) throws Exception {
        int n = 0;
        while (true) {
            DatagramPacket reply = new DatagramPacket(in, in.length);
            try {
                c.socket.receive(reply);
            } catch (java.net.SocketTimeoutException e) {
                return n;
            }
            ByteBuffer r = ByteBuffer.wrap(in, 0, reply.getLength());
            assertEquals(16, reply.getLength(), "only connect replies go to an unproven sender");
            assertEquals(0, r.getInt(0), "action connect");
            Integer requestLength = connects.get(r.getInt(4));
            assertNotNull(requestLength, "a reply to a packet that was not a connect");
            assertTrue(reply.getLength() <= requestLength, "reply larger than the request");
            n++;
        }
    }

    /** Packet {@code i} of the flood: random bytes, or near-valid packets with forged ids. Transaction id = i. */
    private static byte[] hostilePacket(Random random, int i) {
        switch (i % 8) {
            case 0: { // pure noise, 0 to 1,500 bytes
                byte[] p = new byte[random.nextInt(1_501)];
                random.nextBytes(p);
                return p;
            }
            case 1: // a connect, sometimes padded
                return ByteBuffer.allocate(16 + random.nextInt(3) * 8)
                        .putLong(MAGIC)
                        .putInt(0)
                        .putInt(i)
                        .array();
            case 2: // wrong magic
                return ByteBuffer.allocate(16)
                        .putLong(MAGIC ^ (1L << random.nextInt(64)))
                        .putInt(0)
                        .putInt(i)
                        .array();
            case 3: // announce with a forged id and a bad event (would be an error reply if the id were valid)
                return ByteBuffer.allocate(98)
                        .putLong(random.nextLong())
                        .putInt(1)
                        .putInt(i)
                        .put(new byte[40])
                        .putLong(0)
                        .putLong(0)
                        .putLong(0)
                        .putInt(99)
                        .putInt(0)
                        .putInt(0)
                        .putInt(-1)
                        .putShort((short) 1)
                        .array();
            case 4: // scrape with a forged id and too many hashes
                return ByteBuffer.allocate(16 + 20 * 100)
                        .putLong(random.nextLong())
                        .putInt(2)
                        .putInt(i)
                        .array();
            case 5: // short: 1 to 15 bytes
                return new byte[1 + random.nextInt(15)];
            case 6: // an unknown action
                return ByteBuffer.allocate(16)
                        .putLong(random.nextLong())
                        .putInt(4 + random.nextInt(100))
                        .putInt(i)
                        .array();
            default: // an oversized datagram (the receive buffer is 2,048 bytes; the kernel truncates)
                byte[] p = new byte[2_049 + random.nextInt(8_000)];
                random.nextBytes(p);
                return p;
        }
    }

    @Test
    void shouldAnswerOrDropButStayUpWhenDatagramsAreOversized() throws Exception {
        try (UdpTrackerTest.Client c = new UdpTrackerTest.Client(server)) {
            // A connect padded to the largest UDP payload: truncated to 2,048 bytes, still a connect, answered with 16.
            byte[] huge = ByteBuffer.allocate(65_507)
                    .putLong(MAGIC)
                    .putInt(0)
                    .putInt(42)
                    .array();
            ByteBuffer r = c.exchange(ByteBuffer.wrap(huge));
            assertNotNull(r);
            assertEquals(16, r.remaining());
            assertEquals(42, r.getInt(4));

            // An announce with a valid id and 4,000 bytes of BEP 41 NOP options: truncated, options ignored, answered.
            long id = c.connect();
            ByteBuffer base = UdpTrackerTest.Client.announcePacket(
                    id, 77, UdpTrackerTest.hash(), UdpTrackerTest.peerId(2), 5, 2, -1, 6882);
            byte[] big = new byte[98 + 4_000];
            base.get(big, 0, 98);
            java.util.Arrays.fill(big, 98, big.length, (byte) 1);
            ByteBuffer reply = c.exchange(ByteBuffer.wrap(big));
            assertNotNull(reply);
            assertEquals(1, reply.getInt(0));
            assertEquals(77, reply.getInt(4));
            assertEquals(1, reply.getInt(12), "one leecher: the sender");
        }
    }
}
