package dev.hayate.http;

import static dev.hayate.http.TrackerHttpTest.announce;
import static dev.hayate.http.TrackerHttpTest.compactPeers4;
import static dev.hayate.http.TrackerHttpTest.decode;
import static dev.hayate.http.TrackerHttpTest.enc;
import static dev.hayate.http.TrackerHttpTest.newHash;
import static dev.hayate.http.TrackerHttpTest.peerId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP config keys that change what a client sees, each set to a non-default value on one tracker and compared with
 * a tracker on the defaults: {@code announce.allow_ip_param}, {@code announce.interval_seconds},
 * {@code announce.min_interval_seconds}, {@code http.max_query_length}, {@code scrape.max_hashes},
 * {@code http.backlog}; and the HTTP counters on {@code /metrics}.
 */
class HttpConfigTest {
    static final int INTERVAL = 1234;
    static final int MIN_INTERVAL = 567;
    static final int MAX_QUERY_LENGTH = 600;
    static final int MAX_HASHES = 3;
    static final int BACKLOG = 77;

    private static Tracker defaults;
    private static Tracker custom;

    @BeforeAll
    static void start() {
        defaults = TestTrackers.start(Map.of());
        custom = TestTrackers.start(Map.of(
                "announce.allow_ip_param", "true",
                "announce.interval_seconds", Integer.toString(INTERVAL),
                "announce.min_interval_seconds", Integer.toString(MIN_INTERVAL),
                "http.max_query_length", Integer.toString(MAX_QUERY_LENGTH),
                "scrape.max_hashes", Integer.toString(MAX_HASHES),
                "http.backlog", Integer.toString(BACKLOG)));
    }

    @AfterAll
    static void stop() {
        if (defaults != null) {
            defaults.close();
        }
        if (custom != null) {
            custom.close();
        }
    }

    private static InetSocketAddress http(Tracker t) {
        return t.httpAddresses().get(0);
    }

    /** A seeder announces with {@code key=value}; a leecher's answer shows where the tracker stored it. */
    private static Map<String, Object> leecherAnswerAfterSeederSent(Tracker t, String key, String value)
            throws IOException {
        byte[] hash = newHash();
        try (RawHttpClient c = new RawHttpClient(http(t))) {
            decode(c.get(announce(hash, peerId(1), 6881, 0, "&" + key + "=" + value)));
            return decode(c.get(announce(hash, peerId(2), 6882, 100, "")));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ip", "ipv4"})
    void shouldStoreThePeerAtItsSourceAddressWhenAllowIpParamIsOffByDefault(String key) throws Exception {
        Map<String, Object> d = leecherAnswerAfterSeederSent(defaults, key, "10.1.2.3");
        assertEquals(List.of("127.0.0.1:6881"), compactPeers4(d));
        assertNull(d.get("peers6"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ip", "ipv4"})
    void shouldStoreThePeerAtTheGivenIpv4WhenAllowIpParamIsOn(String key) throws Exception {
        Map<String, Object> d = leecherAnswerAfterSeederSent(custom, key, "10.1.2.3");
        assertEquals(List.of("10.1.2.3:6881"), compactPeers4(d));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ip", "ipv6"})
    void shouldStoreThePeerAtItsSourceAddressWhenAnIpv6IsGivenAndAllowIpParamIsOff(String key) throws Exception {
        Map<String, Object> d = leecherAnswerAfterSeederSent(defaults, key, "2001:db8::5");
        assertEquals(List.of("127.0.0.1:6881"), compactPeers4(d));
        assertNull(d.get("peers6"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ip", "ipv6"})
    void shouldStoreThePeerAtTheGivenIpv6WhenAllowIpParamIsOn(String key) throws Exception {
        Map<String, Object> d = leecherAnswerAfterSeederSent(custom, key, "2001:db8::5");
        assertEquals(List.of(), compactPeers4(d), "not at its source address");
        byte[] peers6 = (byte[]) d.get("peers6");
        assertNotNull(peers6, "BEP 7 peers6");
        assertEquals(18, peers6.length);
        assertArrayEquals(
                InetAddress.getByName("2001:db8::5").getAddress(), Arrays.copyOf(peers6, 16), "the given address");
        assertEquals(6881, ((peers6[16] & 0xFF) << 8) | (peers6[17] & 0xFF));
    }

    @Test
    void shouldAnswerTheConfiguredIntervalsWhenTheyAreNotTheDefaults() throws Exception {
        try (RawHttpClient c = new RawHttpClient(http(custom))) {
            Map<String, Object> d = decode(c.get(announce(newHash(), peerId(3), 6883, 0, "")));
            assertEquals((long) INTERVAL, d.get("interval"));
            assertEquals((long) MIN_INTERVAL, d.get("min interval"));
        }
        try (RawHttpClient c = new RawHttpClient(http(defaults))) {
            Map<String, Object> d = decode(c.get(announce(newHash(), peerId(3), 6883, 0, "")));
            assertEquals(1800L, d.get("interval"), "README default");
            assertEquals(900L, d.get("min interval"), "README default");
        }
    }

    /** A valid announce whose query is exactly {@code length} characters long (padded with an unknown key). */
    private static String announceOfQueryLength(int length) {
        String path = announce(newHash(), peerId(4), 6884, 0, "&pad=");
        int queryLength = path.length() - "/announce?".length();
        assertTrue(queryLength < length);
        return path + "a".repeat(length - queryLength);
    }

    @Test
    void shouldRefuseAQueryOneCharacterOverTheConfiguredMaximumWhenMaxQueryLengthIsSet() throws Exception {
        try (RawHttpClient c = new RawHttpClient(http(custom))) {
            Map<String, Object> atLimit = decode(c.get(announceOfQueryLength(MAX_QUERY_LENGTH)));
            assertNull(atLimit.get("failure reason"), "exactly at the limit is accepted");
            Map<String, Object> over = decode(c.get(announceOfQueryLength(MAX_QUERY_LENGTH + 1)));
            assertEquals("query too long", new String((byte[]) over.get("failure reason")));
        }
        try (RawHttpClient c = new RawHttpClient(http(defaults))) {
            Map<String, Object> d = decode(c.get(announceOfQueryLength(MAX_QUERY_LENGTH + 1)));
            assertNull(d.get("failure reason"), "the default (8192) accepts it");
        }
    }

    private static String scrapeOf(int hashes) {
        StringBuilder sb = new StringBuilder("/scrape?");
        for (int i = 0; i < hashes; i++) {
            sb.append(i == 0 ? "" : "&").append("info_hash=").append(enc(newHash()));
        }
        return sb.toString();
    }

    @Test
    void shouldRefuseOneHashOverTheConfiguredMaximumWhenScrapeMaxHashesIsSet() throws Exception {
        try (RawHttpClient c = new RawHttpClient(http(custom))) {
            Map<String, Object> atLimit = decode(c.get(scrapeOf(MAX_HASHES)));
            assertEquals(MAX_HASHES, ((Map<?, ?>) atLimit.get("files")).size());
            Map<String, Object> over = decode(c.get(scrapeOf(MAX_HASHES + 1)));
            assertEquals("too many info_hash values in one scrape", new String((byte[]) over.get("failure reason")));
        }
        try (RawHttpClient c = new RawHttpClient(http(defaults))) {
            Map<String, Object> d = decode(c.get(scrapeOf(MAX_HASHES + 1)));
            assertEquals(MAX_HASHES + 1, ((Map<?, ?>) d.get("files")).size(), "the default (74) allows it");
        }
    }

    /**
     * The listen backlog is not visible to a client (or to Java: no socket option reads it back), but the kernel
     * reports it: for a listening socket, {@code ss -lnt} prints the backlog in the Send-Q column.
     */
    @Test
    void shouldListenWithTheConfiguredBacklogWhenHttpBacklogIsSet() throws Exception {
        assertEquals(BACKLOG, listenBacklog(http(custom).getPort()));
        assertEquals(1024, listenBacklog(http(defaults).getPort()), "README default (somaxconn here is >= 1024)");
    }

    static int listenBacklog(int port) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("ss", "-lntH", "sport = :" + port)
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            Assumptions.abort("ss (iproute2) is not installed: " + e);
            return -1;
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        String[] lines = out.strip().split("\n");
        assertEquals(1, lines.length, out);
        // State Recv-Q Send-Q Local:Port Peer:Port
        String[] cols = lines[0].trim().split("\\s+");
        assertEquals("LISTEN", cols[0], out);
        return Integer.parseInt(cols[2]);
    }

    @Test
    void shouldCountEachHttpAnnounceScrapeAndFailureWhenTheyAreAnswered() throws Exception {
        String announces = "hayate_announces_total{event=\"started\",protocol=\"http\"}";
        String none = "hayate_announces_total{event=\"none\",protocol=\"http\"}";
        String scrapes = "hayate_scrapes_total{protocol=\"http\"}";
        String badEvent = "hayate_failures_total{reason=\"invalid_event\"}";
        String tooLong = "hayate_failures_total{reason=\"query_too_long\"}";
        String udpAnnounces = "hayate_announces_total{event=\"started\",protocol=\"udp\"}";
        double announcesBefore = TestTrackers.metric(custom, announces);
        double noneBefore = TestTrackers.metric(custom, none);
        double scrapesBefore = TestTrackers.metric(custom, scrapes);
        double badEventBefore = TestTrackers.metric(custom, badEvent);
        double tooLongBefore = TestTrackers.metric(custom, tooLong);
        double udpBefore = TestTrackers.metric(custom, udpAnnounces);
        try (RawHttpClient c = new RawHttpClient(http(custom))) {
            byte[] hash = newHash();
            decode(c.get(announce(hash, peerId(5), 6885, 0, "&event=started")));
            decode(c.get(announce(hash, peerId(6), 6886, 0, "&event=started")));
            decode(c.get("/scrape?info_hash=" + enc(hash)));
            Map<String, Object> bad = decode(c.get(announce(hash, peerId(7), 6887, 0, "&event=exploded")));
            assertNotNull(bad.get("failure reason"));
        }
        assertEquals(announcesBefore + 2, TestTrackers.metric(custom, announces));
        assertEquals(noneBefore, TestTrackers.metric(custom, none), "other events untouched");
        assertEquals(scrapesBefore + 1, TestTrackers.metric(custom, scrapes));
        assertEquals(badEventBefore + 1, TestTrackers.metric(custom, badEvent));
        assertEquals(tooLongBefore, TestTrackers.metric(custom, tooLong), "other reasons untouched");
        assertEquals(udpBefore, TestTrackers.metric(custom, udpAnnounces), "other protocol untouched");
    }
}
