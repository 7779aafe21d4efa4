package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import dev.hayate.protocol.Bencode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** access.mode / access.file end to end: HTTP announce and scrape, UDP announce, reload, start-up errors. */
class AccessListTest {
    private static final String ALLOWED = "aa00000000000000000000000000000000000001";
    private static final String OTHER = "bb00000000000000000000000000000000000002";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private static Tracker start(String mode, Path file) {
        Map<String, String> overrides = new java.util.HashMap<>(Map.of(
                "http.host",
                "127.0.0.1",
                "http.port",
                "0",
                "udp.host",
                "127.0.0.1",
                "udp.port",
                "0",
                "udp.threads",
                "1",
                "store.max_peers",
                "1000",
                "store.max_torrents",
                "100",
                "access.mode",
                mode,
                "access.file",
                file.toString(),
                "access.reload_seconds",
                "1"));
        overrides.put("admin.enabled", "false");
        return Tracker.start(ConfigLoader.load(new Properties(), overrides), new SimpleMeterRegistry());
    }

    private static String enc(String hex) {
        StringBuilder sb = new StringBuilder();
        for (byte b : HexFormat.of().parseHex(hex)) {
            sb.append('%').append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }

    private static Map<String, Object> get(Tracker t, String pathAndQuery) throws Exception {
        InetSocketAddress a = t.httpAddresses().get(0);
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + pathAndQuery))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return Bencode.dict(Bencode.decode(r.body()));
    }

    private static Map<String, Object> announce(Tracker t, String hex, int port) throws Exception {
        return get(t, "/announce?info_hash=" + enc(hex) + "&peer_id=-HY0001-000000000001&port=" + port + "&left=0");
    }

    private static String reason(Map<String, Object> d) {
        return d.containsKey("failure reason") ? Bencode.string(d.get("failure reason")) : null;
    }

    private static long scrapeComplete(Tracker t, String hex) throws Exception {
        Map<String, Object> files =
                Bencode.dict(get(t, "/scrape?info_hash=" + enc(hex)).get("files"));
        return (Long) Bencode.dict(files.values().iterator().next()).get("complete");
    }

    /** A UDP connect and announce for {@code hex}; returns the reply's action (1 announce, 3 error) and text. */
    private static String udpAnnounce(Tracker t, String hex) throws IOException {
        InetSocketAddress server = t.udpAddresses().get(0);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(3_000);
            byte[] in = new byte[2048];
            byte[] connect = ByteBuffer.allocate(16)
                    .putLong(0x41727101980L)
                    .putInt(0)
                    .putInt(7)
                    .array();
            s.send(new DatagramPacket(connect, 16, server));
            DatagramPacket p = new DatagramPacket(in, in.length);
            s.receive(p);
            long id = ByteBuffer.wrap(in, 8, 8).getLong();
            byte[] announce = ByteBuffer.allocate(98)
                    .putLong(id)
                    .putInt(1)
                    .putInt(8)
                    .put(HexFormat.of().parseHex(hex))
                    .put("-HY0001-000000000002".getBytes(StandardCharsets.US_ASCII))
                    .putLong(0)
                    .putLong(0)
                    .putLong(0)
                    .putInt(2)
                    .putInt(0)
                    .putInt(1)
                    .putInt(-1)
                    .putShort((short) 6881)
                    .array();
            s.send(new DatagramPacket(announce, announce.length, server));
            p = new DatagramPacket(in, in.length);
            s.receive(p);
            ByteBuffer r = ByteBuffer.wrap(in, 0, p.getLength());
            int action = r.getInt();
            assertEquals(8, r.getInt(), "transaction id");
            return action == 3
                    ? "error: " + new String(in, 8, p.getLength() - 8, StandardCharsets.US_ASCII)
                    : "action " + action;
        }
    }

    /** A UDP connect and scrape of {@code hex}; returns seeders, completed, leechers. */
    private static int[] udpScrape(Tracker t, String hex) throws IOException {
        InetSocketAddress server = t.udpAddresses().get(0);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(3_000);
            byte[] in = new byte[2048];
            byte[] connect = ByteBuffer.allocate(16)
                    .putLong(0x41727101980L)
                    .putInt(0)
                    .putInt(7)
                    .array();
            s.send(new DatagramPacket(connect, 16, server));
            DatagramPacket p = new DatagramPacket(in, in.length);
            s.receive(p);
            long id = ByteBuffer.wrap(in, 8, 8).getLong();
            byte[] scrape = ByteBuffer.allocate(36)
                    .putLong(id)
                    .putInt(2)
                    .putInt(9)
                    .put(HexFormat.of().parseHex(hex))
                    .array();
            s.send(new DatagramPacket(scrape, scrape.length, server));
            p = new DatagramPacket(in, in.length);
            s.receive(p);
            assertEquals(20, p.getLength());
            ByteBuffer r = ByteBuffer.wrap(in, 0, 20);
            assertEquals(2, r.getInt(), "action scrape");
            assertEquals(9, r.getInt());
            return new int[] {r.getInt(), r.getInt(), r.getInt()};
        }
    }

    @Test
    void shouldRefuseUnlistedTorrentsOverHttpAndUdpWhenModeIsAllow() throws Exception {
        Path file = Files.writeString(dir.resolve("allow.txt"), "# our torrents\n" + ALLOWED + "\n");
        try (Tracker t = start("allow", file)) {
            assertEquals(null, reason(announce(t, ALLOWED, 6881)));
            assertEquals("torrent not allowed on this tracker", reason(announce(t, OTHER, 6881)));
            assertEquals(1L, scrapeComplete(t, ALLOWED));
            assertEquals(0L, scrapeComplete(t, OTHER), "a refused torrent scrapes as zeros");
            assertEquals("action 1", udpAnnounce(t, ALLOWED));
            assertEquals("error: torrent not allowed on this tracker", udpAnnounce(t, OTHER));
            assertEquals(2, udpScrape(t, ALLOWED)[0], "the HTTP and the UDP seeder");
            assertEquals(0, udpScrape(t, OTHER)[0]);
        }
    }

    @Test
    void shouldRefuseListedTorrentsWhenModeIsDeny() throws Exception {
        Path file = Files.writeString(dir.resolve("deny.txt"), OTHER + "  # takedown notice\n");
        try (Tracker t = start("deny", file)) {
            assertEquals(null, reason(announce(t, ALLOWED, 6881)));
            assertEquals("torrent not allowed on this tracker", reason(announce(t, OTHER, 6881)));
            assertEquals("error: torrent not allowed on this tracker", udpAnnounce(t, OTHER));

            // Denied later: its peers are still stored until they expire, but a scrape shows zeros.
            assertEquals(1L, scrapeComplete(t, ALLOWED));
            Files.writeString(file, OTHER + "\n" + ALLOWED + "\n");
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 2_000));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (reason(announce(t, ALLOWED, 6881)) == null && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertEquals("torrent not allowed on this tracker", reason(announce(t, ALLOWED, 6881)));
            assertEquals(0L, scrapeComplete(t, ALLOWED));
            assertEquals(0, udpScrape(t, ALLOWED)[0]);
        }
    }

    @Test
    void shouldApplyAnEditedListWithoutARestartWhenTheFileChanges() throws Exception {
        Path file = Files.writeString(dir.resolve("allow.txt"), ALLOWED + "\n");
        try (Tracker t = start("allow", file)) {
            assertEquals("torrent not allowed on this tracker", reason(announce(t, OTHER, 6881)));
            Files.writeString(file, ALLOWED + "\n" + OTHER + "\n");
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 2_000));
            String r = "torrent not allowed on this tracker";
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (r != null && System.nanoTime() < deadline) {
                Thread.sleep(200);
                r = reason(announce(t, OTHER, 6881));
            }
            assertEquals(null, r, "the new list is in force within a few reload periods");
            assertEquals(1L, scrapeComplete(t, OTHER));
        }
    }

    @Test
    void shouldNotStartWhenTheAccessFileHasABadLine() throws IOException {
        Path file = Files.writeString(dir.resolve("allow.txt"), ALLOWED + "\n" + "xyz\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start("allow", file));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("40 hex digits"), e.getMessage());
        assertNotNull(e.getMessage());
    }
}
