package dev.hayate.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Loopback integration over real UDP (BEP 15), on IPv4 and IPv6, with a test-only client. */
class UdpTrackerTest {
    private static Tracker tracker;
    private static InetSocketAddress v4;
    private static InetSocketAddress v6;
    private static final Random RANDOM = new Random(42);

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
                                "127.0.0.1,::1",
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
        for (InetSocketAddress a : tracker.udpAddresses()) {
            if (a.getAddress() instanceof Inet6Address) {
                v6 = a;
            } else {
                v4 = a;
            }
        }
        assertNotNull(v4);
        assertNotNull(v6);
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    /** A minimal BEP 15 client, independent of the codec under test. */
    static final class Client implements AutoCloseable {
        final DatagramSocket socket;
        final InetSocketAddress server;

        Client(InetSocketAddress server) throws IOException {
            this(server, server.getAddress());
        }

        /** A client sending from {@code local} (another loopback address, to be a second peer address). */
        Client(InetSocketAddress server, java.net.InetAddress local) throws IOException {
            this.server = server;
            socket = new DatagramSocket(new InetSocketAddress(local, 0));
            socket.setSoTimeout(2_000);
        }

        ByteBuffer exchange(ByteBuffer request) throws IOException {
            byte[] bytes = Arrays.copyOf(request.array(), request.limit());
            socket.send(new DatagramPacket(bytes, bytes.length, server));
            return receive();
        }

        ByteBuffer receive() throws IOException {
            byte[] in = new byte[4096];
            DatagramPacket p = new DatagramPacket(in, in.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return ByteBuffer.wrap(in, 0, p.getLength()).slice();
        }

        long connect() throws IOException {
            int tid = RANDOM.nextInt();
            ByteBuffer r = exchange(ByteBuffer.allocate(16)
                    .putLong(0x41727101980L)
                    .putInt(0)
                    .putInt(tid)
                    .flip());
            assertNotNull(r, "connect reply");
            assertEquals(16, r.remaining());
            assertEquals(0, r.getInt());
            assertEquals(tid, r.getInt());
            return r.getLong();
        }

        static ByteBuffer announcePacket(
                long connId, int tid, byte[] hash, byte[] peerId, long left, int event, int numWant, int port) {
            return ByteBuffer.allocate(98 + 3)
                    .putLong(connId)
                    .putInt(1)
                    .putInt(tid)
                    .put(hash)
                    .put(peerId)
                    .putLong(0)
                    .putLong(left)
                    .putLong(0)
                    .putInt(event)
                    .putInt(0)
                    .putInt(RANDOM.nextInt())
                    .putInt(numWant)
                    .putShort((short) port)
                    .put(new byte[] {2, 1, '/'})
                    .flip();
        }

        ByteBuffer announce(long connId, byte[] hash, byte[] peerId, long left, int event, int port)
                throws IOException {
            int tid = RANDOM.nextInt();
            ByteBuffer r = exchange(announcePacket(connId, tid, hash, peerId, left, event, -1, port));
            assertNotNull(r, "announce reply");
            assertEquals(1, r.getInt(0), "action announce");
            assertEquals(tid, r.getInt(4));
            return r;
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    static byte[] hash() {
        byte[] h = new byte[20];
        RANDOM.nextBytes(h);
        return h;
    }

    static byte[] peerId(int n) {
        return String.format("-HY0001-%012d", n).getBytes(StandardCharsets.ISO_8859_1);
    }

    static InetSocketAddress server(String family) {
        return family.equals("v6") ? v6 : v4;
    }

    @ParameterizedTest
    @ValueSource(strings = {"v4", "v6"})
    void shouldIntroducePeersAndCountThemWhenTheyAnnounceOverUdp(String family) throws Exception {
        byte[] hash = hash();
        try (Client seeder = new Client(server(family));
                Client leecher = new Client(server(family))) {
            long id1 = seeder.connect();
            ByteBuffer first = seeder.announce(id1, hash, peerId(1), 0, 2, 6881);
            assertEquals(20, first.remaining(), "no other peers yet");
            assertEquals(1800, first.getInt(8));
            assertEquals(0, first.getInt(12), "leechers");
            assertEquals(1, first.getInt(16), "seeders");

            long id2 = leecher.connect();
            ByteBuffer second = leecher.announce(id2, hash, peerId(2), 1000, 2, 6882);
            int entry = family.equals("v6") ? 18 : 6;
            assertEquals(20 + entry, second.remaining());
            assertEquals(1, second.getInt(12));
            assertEquals(1, second.getInt(16));
            byte[] address = new byte[entry - 2];
            second.get(20, address);
            assertArrayEquals(server(family).getAddress().getAddress(), address);
            assertEquals(6881, second.getShort(20 + entry - 2) & 0xFFFF);

            // completed once, then scrape: seeders, completed, leechers.
            leecher.announce(id2, hash, peerId(2), 0, 1, 6882);
            int tid = 77;
            ByteBuffer scrape = leecher.exchange(ByteBuffer.allocate(16 + 40)
                    .putLong(id2)
                    .putInt(2)
                    .putInt(tid)
                    .put(hash)
                    .put(new byte[20])
                    .flip());
            assertNotNull(scrape);
            assertEquals(8 + 24, scrape.remaining());
            assertEquals(2, scrape.getInt());
            assertEquals(tid, scrape.getInt());
            assertEquals(2, scrape.getInt(), "seeders");
            assertEquals(1, scrape.getInt(), "completed");
            assertEquals(0, scrape.getInt(), "leechers");
            assertEquals(0, scrape.getInt(), "unknown hash: zeros");

            // stopped: no peers back, and the peer is gone.
            ByteBuffer stopped = leecher.announce(id2, hash, peerId(2), 0, 3, 6882);
            assertEquals(20, stopped.remaining());
            assertEquals(1, stopped.getInt(16));
        }
    }

    /**
     * BEP 15: an answer over IPv4 carries 6-byte IPv4 peers, over IPv6 18-byte IPv6 peers, so numwant is filled from
     * the requester's family alone; peers of the other family in the swarm must not use up its share.
     */
    @ParameterizedTest
    @ValueSource(strings = {"v4", "v6"})
    void shouldFillNumWantFromTheRequestersFamilyWhenTheSwarmHoldsBothFamilies(String family) throws Exception {
        byte[] hash = hash();
        int perFamily = 30;
        int numWant = 20;
        try (Client fours = new Client(v4);
                Client sixes = new Client(v6);
                Client requester = new Client(server(family))) {
            long id4 = fours.connect();
            long id6 = sixes.connect();
            for (int i = 0; i < perFamily; i++) {
                fours.announce(id4, hash, peerId(1000 + i), 1000, 2, 10000 + i);
                sixes.announce(id6, hash, peerId(2000 + i), 1000, 2, 20000 + i);
            }
            long id = requester.connect();
            int tid = RANDOM.nextInt();
            ByteBuffer r =
                    requester.exchange(Client.announcePacket(id, tid, hash, peerId(3000), 1000, 2, numWant, 30000));
            assertNotNull(r, "announce reply");
            assertEquals(1, r.getInt(0), "action announce");
            assertEquals(2 * perFamily + 1, r.getInt(12), "leechers");
            int entry = family.equals("v6") ? 18 : 6;
            assertEquals(0, (r.remaining() - 20) % entry);
            assertEquals(numWant, (r.remaining() - 20) / entry, "peers of the requester's family");
            int basePort = family.equals("v6") ? 20000 : 10000;
            for (int off = 20; off < r.remaining(); off += entry) {
                int port = r.getShort(off + entry - 2) & 0xFFFF;
                assertTrue(port >= basePort && port < basePort + perFamily, "a peer of this family: " + port);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"v4", "v6"})
    void shouldDropSilentlyWhenTheConnectionIdIsForgedOrFromAnotherPort(String family) throws Exception {
        byte[] hash = hash();
        try (Client a = new Client(server(family));
                Client b = new Client(server(family))) {
            long idA = a.connect();
            assertNull(a.exchange(Client.announcePacket(idA ^ 1, 1, hash, peerId(1), 0, 0, 50, 1)), "forged");
            assertNull(b.exchange(Client.announcePacket(idA, 2, hash, peerId(2), 0, 0, 50, 1)), "other port");
            assertNull(
                    b.exchange(ByteBuffer.allocate(36)
                            .putLong(idA)
                            .putInt(2)
                            .putInt(3)
                            .put(hash)
                            .flip()),
                    "scrape with someone else's id");
            // The tracker is still alive for both.
            a.announce(idA, hash, peerId(1), 0, 2, 6881);
            assertEquals(
                    16,
                    b.exchange(ByteBuffer.allocate(16)
                                    .putLong(0x41727101980L)
                                    .putInt(0)
                                    .putInt(5)
                                    .flip())
                            .remaining());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"v4", "v6"})
    void shouldStayAliveAndAnswerWhenPacketsAreMalformed(String family) throws Exception {
        try (Client c = new Client(server(family))) {
            byte[][] junk = {
                new byte[0],
                new byte[1],
                new byte[15],
                ByteBuffer.allocate(16)
                        .putLong(0x41727101981L)
                        .putInt(0)
                        .putInt(1)
                        .array(),
                ByteBuffer.allocate(16)
                        .putLong(0x41727101980L)
                        .putInt(9)
                        .putInt(1)
                        .array(),
                Arrays.copyOf(
                        Client.announcePacket(c.connect(), 1, hash(), peerId(1), 0, 0, 5, 1)
                                .array(),
                        97),
            };
            for (byte[] j : junk) {
                c.socket.send(new DatagramPacket(j, j.length, c.server));
            }
            byte[] noise = new byte[1200];
            for (int i = 0; i < 500; i++) {
                RANDOM.nextBytes(noise);
                int len = RANDOM.nextInt(noise.length);
                c.socket.send(new DatagramPacket(noise, len, c.server));
            }
            // Nothing answered the junk (each would have arrived before this reply).
            long id = c.connect();
            ByteBuffer ok = c.announce(id, hash(), peerId(2), 5, 2, 6881);
            assertEquals(20, ok.remaining());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"v4", "v6"})
    void shouldAnswerAnErrorWhenAValidlyConnectedClientSendsABadEvent(String family) throws Exception {
        try (Client c = new Client(server(family))) {
            long id = c.connect();
            ByteBuffer r = c.exchange(Client.announcePacket(id, 99, hash(), peerId(3), 0, 7, 5, 6881));
            assertNotNull(r);
            assertEquals(3, r.getInt());
            assertEquals(99, r.getInt());
            byte[] text = new byte[r.remaining()];
            r.get(text);
            assertTrue(new String(text, StandardCharsets.US_ASCII).startsWith("invalid event"));
        }
    }
}
