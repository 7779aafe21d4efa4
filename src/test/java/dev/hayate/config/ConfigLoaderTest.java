package dev.hayate.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    @Test
    void shouldDocumentEveryKeyWithItsDefaultWhenReadingTrackerProperties() {
        Properties shipped = ConfigLoader.readFile(Path.of("tracker.properties"));
        assertEquals(ConfigLoader.DEFAULTS.keySet(), shipped.stringPropertyNames());
        for (String key : ConfigLoader.DEFAULTS.keySet()) {
            assertEquals(
                    ConfigLoader.DEFAULTS.get(key), shipped.getProperty(key).trim(), key);
        }
    }

    @Test
    void shouldUseDocumentedDefaultsWhenNothingIsSet() {
        TrackerConfig c = TrackerConfig.defaults();
        assertEquals(List.of("::"), c.httpHosts());
        assertEquals(6969, c.httpPort());
        assertEquals(1800, c.announceIntervalSeconds());
        assertEquals(3900, c.peerTtlSeconds());
        assertEquals(50, c.numWantDefault());
        assertEquals(200, c.numWantMax());
        assertFalse(c.allowIpParam());
        assertNull(c.storePath());
        assertTrue(c.trustedProxies().isEmpty());
        assertEquals(Runtime.getRuntime().availableProcessors(), c.httpIoThreads());
    }

    @Test
    void shouldLetTheCommandLineWinWhenBothSetAKey() {
        Properties file = new Properties();
        file.setProperty("http.port", "7000");
        file.setProperty("store.path", "/tmp/x");
        TrackerConfig c = ConfigLoader.load(file, Map.of("http.port", "7001"));
        assertEquals(7001, c.httpPort());
        assertEquals(Path.of("/tmp/x"), c.storePath());
    }

    @Test
    void shouldFailNamingTheKeyWhenAKeyIsUnknown() {
        Properties file = new Properties();
        file.setProperty("http.prot", "1");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()));
        assertTrue(e.getMessage().contains("http.prot"), e.getMessage());
        ConfigException e2 =
                assertThrows(ConfigException.class, () -> ConfigLoader.load(new Properties(), Map.of("nope", "1")));
        assertTrue(e2.getMessage().contains("nope"), e2.getMessage());
    }

    @Test
    void shouldFailClearlyWhenAValueIsInvalid() {
        for (Map<String, String> bad : List.of(
                Map.of("http.port", "65536"),
                Map.of("http.port", "six"),
                Map.of("announce.allow_ip_param", "yes"),
                Map.of("http.host", "example.com"),
                Map.of("http.trusted_proxies", "10.0.0.0/33"),
                Map.of("announce.numwant_default", "300"),
                Map.of("announce.min_interval_seconds", "4000"))) {
            String key = bad.keySet().iterator().next();
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new Properties(), bad));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    /** Every range is inclusive at both ends: the bounds themselves load, one past them fails naming the key. */
    @Test
    void shouldAcceptEachBoundAndRefuseOnePastItWhenAValueIsAtTheEdgeOfItsRange() {
        String[][] ranges = {
            {"http.port", "0", "65535"},
            {"http.backlog", "1", "1000000"},
            {"http.max_query_length", "256", "1000000"},
            {"udp.connection_id_ttl_seconds", "10", "3600"},
            {"udp.receive_buffer_bytes", "65536", "1073741824"},
            {"announce.peer_ttl_seconds", "1", "604800"},
            {"announce.sweep_interval_seconds", "1", "86400"},
            {"scrape.max_hashes", "1", "1000"},
            {"store.max_peers", "1", "1000000000"},
            {"http.max_connections", "1", "10000000"},
        };
        for (String[] r : ranges) {
            String key = r[0];
            long min = Long.parseLong(r[1]);
            long max = Long.parseLong(r[2]);
            ConfigLoader.load(new Properties(), Map.of(key, Long.toString(min)));
            ConfigLoader.load(new Properties(), Map.of(key, Long.toString(max)));
            for (long out : new long[] {min - 1, max + 1}) {
                ConfigException e = assertThrows(
                        ConfigException.class,
                        () -> ConfigLoader.load(new Properties(), Map.of(key, Long.toString(out))),
                        key + "=" + out);
                assertTrue(e.getMessage().contains(key), e.getMessage());
            }
        }
    }

    @Test
    void shouldAllowEqualValuesWhenOneKeyMustNotExceedAnother() {
        TrackerConfig c = ConfigLoader.load(
                new Properties(),
                Map.of(
                        "announce.interval_seconds", "600",
                        "announce.min_interval_seconds", "600",
                        "announce.numwant_max", "30",
                        "announce.numwant_default", "30"));
        assertEquals(600, c.minAnnounceIntervalSeconds());
        assertEquals(30, c.numWantDefault());
        assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(
                        new Properties(),
                        Map.of("announce.interval_seconds", "600", "announce.min_interval_seconds", "601")));
        assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(
                        new Properties(), Map.of("announce.numwant_max", "30", "announce.numwant_default", "31")));
    }

    @Test
    void shouldResolveZeroThreadsToOnePerCoreAndKeepAnExplicitCountWhenThreadsAreSet() {
        int cores = Runtime.getRuntime().availableProcessors();
        TrackerConfig zero = ConfigLoader.load(new Properties(), Map.of("http.io_threads", "0", "udp.threads", "0"));
        assertEquals(cores, zero.httpIoThreads());
        assertEquals(cores, zero.udpThreads());
        TrackerConfig three = ConfigLoader.load(new Properties(), Map.of("http.io_threads", "3", "udp.threads", "3"));
        assertEquals(3, three.httpIoThreads());
        assertEquals(3, three.udpThreads());
    }

    @Test
    void shouldPrintTheFilesValueWhenTheEffectiveConfigIsAskedFor() {
        Properties file = new Properties();
        file.setProperty("http.port", "7123");
        file.setProperty("udp.port", "7124");
        Map<String, String> v = ConfigLoader.effective(file, Map.of("udp.port", "7125"));
        assertEquals("7123", v.get("http.port"), "from the file");
        assertEquals("7125", v.get("udp.port"), "the command line wins over the file");
        assertEquals("1800", v.get("announce.interval_seconds"), "a default");
    }

    @Test
    void shouldParseTrustedProxyBlocksWhenGivenCidrs() {
        TrackerConfig c =
                ConfigLoader.load(new Properties(), Map.of("http.trusted_proxies", "10.1.0.0/16, ::1/128,192.0.2.9"));
        List<Cidr> p = c.trustedProxies();
        assertEquals(3, p.size());
        assertTrue(p.get(0).contains(new byte[] {10, 1, 7, 9}, 4));
        assertFalse(p.get(0).contains(new byte[] {10, 2, 0, 0}, 4));
        byte[] loop6 = new byte[16];
        loop6[15] = 1;
        assertTrue(p.get(1).contains(loop6, 16));
        assertFalse(p.get(1).contains(new byte[] {127, 0, 0, 1}, 4));
        assertTrue(p.get(2).contains(new byte[] {(byte) 192, 0, 2, 9}, 4));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, Cidr.parseLiteral("::ffff:1.2.3.4"));
    }

    @Test
    void shouldKeepTheAdminListenerOnLoopbackWhenNothingIsSet() {
        TrackerConfig c = TrackerConfig.defaults();
        assertTrue(c.adminEnabled());
        assertEquals("127.0.0.1", c.adminHost());
        assertEquals(6970, c.adminPort());
    }

    @Test
    void shouldFailNamingTheKeyWhenTheAdminHostIsNotOneAddress() {
        for (String bad : List.of("127.0.0.1,::1", "localhost", "")) {
            ConfigException e = assertThrows(
                    ConfigException.class, () -> ConfigLoader.load(new Properties(), Map.of("admin.host", bad)));
            assertTrue(e.getMessage().contains("admin.host"), e.getMessage());
        }
    }

    @Test
    void shouldFailWhenTheAdminPortIsThePublicPort() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(new Properties(), Map.of("http.port", "7000", "admin.port", "7000")));
        assertTrue(e.getMessage().contains("admin.port"), e.getMessage());
        assertFalse(ConfigLoader.load(new Properties(), Map.of("admin.port", "6969", "admin.enabled", "false"))
                .adminEnabled());
    }

    @Test
    void shouldReadHardeningKeysWhenTheyAreSetAndFailClearlyWhenTheyAreWrong() {
        TrackerConfig d = TrackerConfig.defaults();
        assertEquals(10, d.httpRequestTimeoutSeconds());
        assertEquals(60, d.httpIdleTimeoutSeconds());
        assertEquals(50_000, d.httpMaxConnections());
        assertEquals(TrackerConfig.AccessMode.OFF, d.accessMode());
        assertNull(d.accessFile());
        assertEquals(5, d.accessReloadSeconds());

        TrackerConfig c = ConfigLoader.load(
                new Properties(),
                Map.of("access.mode", "Deny", "access.file", "/etc/deny", "http.max_connections", "50"));
        assertEquals(TrackerConfig.AccessMode.DENY, c.accessMode());
        assertEquals(Path.of("/etc/deny"), c.accessFile());
        assertEquals(50, c.httpMaxConnections());

        ConfigException mode = assertThrows(
                ConfigException.class, () -> ConfigLoader.load(new Properties(), Map.of("access.mode", "whitelist")));
        assertTrue(mode.getMessage().contains("access.mode"), mode.getMessage());
        ConfigException file = assertThrows(
                ConfigException.class, () -> ConfigLoader.load(new Properties(), Map.of("access.mode", "allow")));
        assertTrue(file.getMessage().contains("access.file"), file.getMessage());
        ConfigException timeout = assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(new Properties(), Map.of("http.request_timeout_seconds", "0")));
        assertTrue(timeout.getMessage().contains("http.request_timeout_seconds"), timeout.getMessage());
    }

    @Test
    void shouldUseTheDocumentedWebTorrentDefaultsWhenNoWsKeyIsSet() {
        TrackerConfig.WebTorrent ws = TrackerConfig.defaults().webTorrent();
        assertEquals(
                new TrackerConfig.WebTorrent(true, 120, 300, 65_536, 10, 50_000, 180, 1_048_576, 1000, 200_000), ws);
    }

    @Test
    void shouldFailNamingTheWsKeyWhenAWebTorrentLimitIsInvalid() {
        for (Map<String, String> bad : List.of(
                Map.of("ws.enabled", "yes"),
                Map.of("ws.max_message_bytes", "100"),
                Map.of("ws.max_offers", "0"),
                Map.of("ws.max_connections", "0"),
                Map.of("ws.idle_timeout_seconds", "1"),
                Map.of("ws.max_queued_bytes", "1000"),
                Map.of("ws.max_torrents_per_connection", "0"),
                Map.of("ws.max_peers", "0"),
                Map.of("ws.peer_ttl_seconds", "120"))) {
            String key = bad.keySet().iterator().next();
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new Properties(), bad));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }
}
