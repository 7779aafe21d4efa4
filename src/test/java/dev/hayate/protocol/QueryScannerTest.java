package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class QueryScannerTest {
    private static final int MAX_QUERY_LENGTH = 2048;
    private static final String[] SAMPLE_FILES = {
        "aria2-http.txt",
        "aria2-http6.txt",
        "libtorrent-python-http.txt",
        "libtorrent-python-http6.txt",
        "qbittorrent-http.txt",
        "rtorrent-http.txt",
        "transmission-http.txt"
    };
    /** An info_hash and peer_id of 20 bytes, percent-encoded, and a port: the least a valid announce needs. */
    private static final String HASH_20 = "%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13";

    private static final String ID_20 = "-TR3000-abcdefghijkl";
    private static final String VALID = "info_hash=" + HASH_20 + "&peer_id=" + ID_20 + "&port=6881";

    private final QueryScanner scanner = new QueryScanner(MAX_QUERY_LENGTH);
    private final AnnounceRequest request = new AnnounceRequest();

    // ---- golden requests captured from real clients ----

    static Stream<Arguments> sampleRequests() {
        List<Arguments> requests = new ArrayList<>();
        for (String file : SAMPLE_FILES) {
            int inFile = 0;
            for (String line : readSample(file).split("\r?\n")) {
                if (line.startsWith("GET ")) {
                    requests.add(Arguments.of(file, line));
                    inFile++;
                }
            }
            assertTrue(inFile > 0, "no request lines in " + file);
        }
        return requests.stream();
    }

    @Test
    void shouldFindEveryClientWhenSamplesAreLoaded() {
        assertEquals(43, sampleRequests().count());
        for (String file : SAMPLE_FILES) {
            assertFalse(readSample(file).contains("/scrape"), "a scrape sample appeared: test it in " + file);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("sampleRequests")
    void shouldDecodeLikeUrlDecoderWhenRequestComesFromRealClient(String file, String line) {
        String query = line.substring(line.indexOf('?') + 1, line.lastIndexOf(" HTTP/1."));
        Map<String, String> raw = independentParse(query);

        assertNull(scanner.scanAnnounce(query, request), file);

        assertArrayEquals(urlDecode(raw.get("info_hash")), request.infoHash);
        assertArrayEquals(urlDecode(raw.get("peer_id")), request.peerId);
        assertEquals(Integer.parseInt(raw.get("port")), request.port);
        assertEquals(Long.parseLong(raw.get("uploaded")), request.uploaded);
        assertEquals(Long.parseLong(raw.get("downloaded")), request.downloaded);
        assertEquals(Long.parseLong(raw.get("left")), request.left);
        assertEquals(raw.get("left").equals("0"), request.isSeeder());
        String event = raw.getOrDefault("event", "");
        assertEquals(event.isEmpty() ? AnnounceEvent.NONE : AnnounceEvent.valueOf(event.toUpperCase()), request.event);
        String numWant = raw.get("numwant");
        assertEquals(numWant == null ? AnnounceRequest.NUM_WANT_DEFAULT : Integer.parseInt(numWant), request.numWant);
        assertEquals(!"0".equals(raw.get("compact")), request.compact);
        assertTrue(raw.containsKey("key"), "every captured client sends key");
        assertTrue(request.hasKey);
        assertEquals(fnv1a(urlDecode(raw.get("key"))), request.key);
        assertEquals(0, request.ipLength);
    }

    @Test
    void shouldReadEightRawBytesWhenKeyIsFromAria2() {
        String query = VALID + "&key=%15%FA%BC%0F%D9%8A%AB%AC";
        assertNull(scanner.scanAnnounce(query, request));
        assertTrue(request.hasKey);
        assertEquals(
                fnv1a(new byte[] {
                    0x15, (byte) 0xFA, (byte) 0xBC, 0x0F, (byte) 0xD9, (byte) 0x8A, (byte) 0xAB, (byte) 0xAC
                }),
                request.key);
    }

    @Test
    void shouldGiveDifferentKeysWhenKeyTextDiffers() {
        assertNull(scanner.scanAnnounce(VALID + "&key=4aa70e68", request));
        long first = request.key;
        assertNull(scanner.scanAnnounce(VALID + "&key=4aa70e69", request));
        assertTrue(request.hasKey);
        assertTrue(first != request.key);
    }

    // ---- defaults and single rules ----

    @Test
    void shouldApplyDefaultsWhenOnlyRequiredParametersAreSent() {
        assertNull(scanner.scanAnnounce(VALID, request));
        assertArrayEquals(hexBytes("000102030405060708090a0b0c0d0e0f10111213"), request.infoHash);
        assertArrayEquals(ID_20.getBytes(StandardCharsets.ISO_8859_1), request.peerId);
        assertEquals(6881, request.port);
        assertEquals(0, request.uploaded);
        assertEquals(0, request.downloaded);
        assertEquals(AnnounceRequest.LEFT_UNKNOWN, request.left);
        assertFalse(request.isSeeder());
        assertSame(AnnounceEvent.NONE, request.event);
        assertEquals(AnnounceRequest.NUM_WANT_DEFAULT, request.numWant);
        assertTrue(request.compact);
        assertFalse(request.hasKey);
        assertEquals(0, request.ipLength);
    }

    @Test
    void shouldResetEarlierValuesWhenRequestIsReused() {
        assertNull(scanner.scanAnnounce(
                VALID + "&left=5&numwant=3&compact=0&no_peer_id=1&key=a&event=stopped"
                        + "&ip=1.2.3.4&uploaded=7&downloaded=8",
                request));
        assertNull(scanner.scanAnnounce(VALID, request));
        assertEquals(AnnounceRequest.LEFT_UNKNOWN, request.left);
        assertEquals(AnnounceRequest.NUM_WANT_DEFAULT, request.numWant);
        assertTrue(request.compact);
        assertFalse(request.hasKey);
        assertSame(AnnounceEvent.NONE, request.event);
        assertEquals(0, request.ipLength);
        assertEquals(0, request.uploaded);
        assertEquals(0, request.downloaded);
    }

    @Test
    void shouldTakeLastValueWhenKeyIsRepeated() {
        String query = "port=abc&left=-1&event=bogus&info_hash=short&" + VALID
                + "&port=1&left=9&event=completed&numwant=5&numwant=6&compact=0&compact=1";
        assertNull(scanner.scanAnnounce(query, request));
        assertEquals(1, request.port);
        assertEquals(9, request.left);
        assertSame(AnnounceEvent.COMPLETED, request.event);
        assertEquals(6, request.numWant);
        assertTrue(request.compact);
        assertArrayEquals(hexBytes("000102030405060708090a0b0c0d0e0f10111213"), request.infoHash);
    }

    @Test
    void shouldIgnoreUnknownParametersWhenClientsSendExtras() {
        String query = "supportcrypto=1&corrupt=0&redundant=0&requirecrypto=1&localip=10.0.0.1&trackerid=abc"
                + "&Port=0&INFO_HASH=x&peer%5Fid=x&info_hash%3D=x&&=&novalue&" + VALID;
        assertNull(scanner.scanAnnounce(query, request));
        assertEquals(6881, request.port);
    }

    @Test
    void shouldDecodePlusAsSpaceWhenValueIsFormEncoded() {
        String query = "info_hash=" + HASH_20 + "&peer_id=-TR3000-abcdefghi+kl&port=1";
        assertNull(scanner.scanAnnounce(query, request));
        assertEquals(' ', request.peerId[17]);
    }

    @Test
    void shouldTakeCharAsByteWhenCharIsLatin1() {
        String query = "info_hash=" + HASH_20 + "&peer_id=-TR3000-abcdefghij\u00ff\u0080&port=1";
        assertNull(scanner.scanAnnounce(query, request));
        assertEquals((byte) 0xFF, request.peerId[18]);
        assertEquals((byte) 0x80, request.peerId[19]);
    }

    @Test
    void shouldAcceptPortRangeEndsWhenPortIsOneOrMax() {
        assertNull(scanner.scanAnnounce(VALID + "&port=65535", request));
        assertEquals(65535, request.port);
        assertNull(scanner.scanAnnounce(VALID + "&port=00001", request));
        assertEquals(1, request.port);
    }

    @Test
    void shouldReadLongMaxWhenNumbersAreAtTheLimit() {
        assertNull(scanner.scanAnnounce(VALID + "&uploaded=9223372036854775807&downloaded=0&left=0", request));
        assertEquals(Long.MAX_VALUE, request.uploaded);
        assertEquals(0, request.downloaded);
        assertTrue(request.isSeeder());
    }

    @Test
    void shouldClampNumWantWhenValueIsHuge() {
        assertNull(scanner.scanAnnounce(VALID + "&numwant=2147483648", request));
        assertEquals(Integer.MAX_VALUE, request.numWant);
        assertNull(scanner.scanAnnounce(VALID + "&numwant=99999999999999999999999999999", request));
        assertEquals(Integer.MAX_VALUE, request.numWant);
        assertNull(scanner.scanAnnounce(VALID + "&numwant=0", request));
        assertEquals(0, request.numWant);
    }

    @Test
    void shouldReadEventsWhenEventIsKnownEmptyOrPaused() {
        String[] values = {"started", "completed", "stopped", "", "paused", "st%61rted"};
        AnnounceEvent[] expected = {
            AnnounceEvent.STARTED,
            AnnounceEvent.COMPLETED,
            AnnounceEvent.STOPPED,
            AnnounceEvent.NONE,
            AnnounceEvent.NONE,
            AnnounceEvent.STARTED
        };
        for (int i = 0; i < values.length; i++) {
            assertNull(scanner.scanAnnounce(VALID + "&event=" + values[i], request), values[i]);
            assertSame(expected[i], request.event, values[i]);
        }
    }

    @Test
    void shouldReadCompactAndAcceptNoPeerIdWhenValuesVary() {
        // no_peer_id (BEP 23) is accepted with any value and changes nothing: no answer carries peer ids
        assertNull(scanner.scanAnnounce(VALID + "&compact=0&no_peer_id=1", request));
        assertFalse(request.compact);
        assertNull(scanner.scanAnnounce(VALID + "&compact=&no_peer_id=0", request));
        assertTrue(request.compact);
        assertNull(scanner.scanAnnounce(VALID + "&compact=yes&no_peer_id=true&no_peer_id=1", request));
        assertTrue(request.compact);
    }

    @Test
    void shouldReportNoKeyWhenKeyIsEmpty() {
        assertNull(scanner.scanAnnounce(VALID + "&key=", request));
        assertFalse(request.hasKey);
    }

    @Test
    void shouldAcceptQueryWhenLengthEqualsLimit() {
        QueryScanner exact = new QueryScanner(VALID.length());
        assertNull(exact.scanAnnounce(VALID, request));
        assertSame(FailureReason.QUERY_TOO_LONG, exact.scanAnnounce(VALID + "&", request));
    }

    // ---- bad inputs ----

    static Stream<Arguments> badAnnounces() {
        String hash19 = HASH_20.substring(3);
        String id = "&peer_id=" + ID_20;
        String hash = "info_hash=" + HASH_20;
        return Stream.of(
                Arguments.of(null, FailureReason.MISSING_INFO_HASH),
                Arguments.of("", FailureReason.MISSING_INFO_HASH),
                Arguments.of("peer_id=" + ID_20 + "&port=1", FailureReason.MISSING_INFO_HASH),
                Arguments.of("info_hash=" + hash19 + id + "&port=1", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash=" + HASH_20 + "%FF" + id + "&port=1", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash=" + HASH_20 + HASH_20 + id + "&port=1", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash=" + id + "&port=1", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash" + id + "&port=1", FailureReason.INVALID_INFO_HASH),
                Arguments.of(hash + "&port=1", FailureReason.MISSING_PEER_ID),
                Arguments.of(hash + "&peer_id=-TR3000-abcdefghijk&port=1", FailureReason.INVALID_PEER_ID),
                Arguments.of(hash + "&peer_id=-TR3000-abcdefghijklm&port=1", FailureReason.INVALID_PEER_ID),
                Arguments.of(hash + id, FailureReason.MISSING_PORT),
                Arguments.of(VALID + "&port=0", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&port=65536", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&port=99999999999999999999999", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&port=abc", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&port=-1", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&port=", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&port=+80", FailureReason.INVALID_PORT),
                Arguments.of(VALID + "&uploaded=-1", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&downloaded=1.5", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&left=", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&left=-1", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&left=9223372036854775808", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&uploaded=1e9", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&numwant=-1", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&numwant=abc", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&numwant=", FailureReason.INVALID_NUMBER),
                Arguments.of(VALID + "&event=start", FailureReason.INVALID_EVENT),
                Arguments.of(VALID + "&event=Started", FailureReason.INVALID_EVENT),
                Arguments.of(VALID + "&event=startedx", FailureReason.INVALID_EVENT),
                Arguments.of(VALID + "&event=paused%00", FailureReason.INVALID_EVENT),
                Arguments.of(VALID + "&x=%G1", FailureReason.MALFORMED_QUERY),
                Arguments.of(VALID + "&x=%1", FailureReason.MALFORMED_QUERY),
                Arguments.of(VALID + "&x=%", FailureReason.MALFORMED_QUERY),
                Arguments.of("%" + VALID, FailureReason.MALFORMED_QUERY),
                Arguments.of("info_hash=%0g" + HASH_20.substring(3) + id + "&port=1", FailureReason.MALFORMED_QUERY),
                Arguments.of(VALID + "&x=\u0100", FailureReason.MALFORMED_QUERY),
                Arguments.of(VALID + "&x=\u20ac", FailureReason.MALFORMED_QUERY),
                Arguments.of(VALID + "&k%zz=1", FailureReason.MALFORMED_QUERY),
                Arguments.of(VALID + "&pad=" + "a".repeat(MAX_QUERY_LENGTH), FailureReason.QUERY_TOO_LONG),
                Arguments.of("x=%G1&pad=" + "a".repeat(MAX_QUERY_LENGTH), FailureReason.QUERY_TOO_LONG));
    }

    @ParameterizedTest(name = "{1} <- {0}")
    @MethodSource("badAnnounces")
    void shouldFailWithReasonWhenAnnounceIsBad(String query, FailureReason expected) {
        assertSame(expected, scanner.scanAnnounce(query, request));
    }

    /**
     * A scanner is reused for every query of its thread: a truncated escape at the end of a short query must not be
     * completed by what a longer, earlier query left behind (a guard for any buffer-reusing scanner; the byte- and
     * char-buffer variants tried on the http branch, 2026-12-02, needed it).
     */
    @Test
    void shouldFailTruncatedEscapeWhenEarlierQueryWasLonger() {
        for (String tail : new String[] {"&x=%", "&x=%4", "&x=%%41"}) {
            String shorter = VALID + tail;
            assertNull(scanner.scanAnnounce(VALID + "&x=%41%42%43%44" + "&y=4142", request));
            assertEquals(FailureReason.MALFORMED_QUERY, scanner.scanAnnounce(shorter, request), shorter);
            ScrapeRequest scrape = new ScrapeRequest(4);
            assertNull(scanner.scanScrape("info_hash=" + HASH_20 + "&x=%41%42%43%44", scrape));
            assertEquals(
                    FailureReason.MALFORMED_QUERY, scanner.scanScrape("info_hash=" + HASH_20 + tail, scrape), tail);
        }
    }

    @Test
    void shouldNotWritePastSlotWhenValueIsLonger() {
        AnnounceRequest guarded = new AnnounceRequest();
        String longHash = "info_hash=" + "%AB".repeat(64);
        assertSame(
                FailureReason.INVALID_INFO_HASH,
                scanner.scanAnnounce(longHash + "&peer_id=" + ID_20 + "&port=1", guarded));
        String longId = "info_hash=" + HASH_20 + "&peer_id=" + "x".repeat(500) + "&port=1";
        assertSame(FailureReason.INVALID_PEER_ID, scanner.scanAnnounce(longId, guarded));
    }

    // ---- ip, ipv4, ipv6 ----

    static Stream<Arguments> addresses() {
        return Stream.of(
                Arguments.of("1.2.3.4", "1.2.3.4"),
                Arguments.of("255.255.255.255", "255.255.255.255"),
                Arguments.of("0.0.0.0", "0.0.0.0"),
                Arguments.of("10.0.0.1:6881", "10.0.0.1"),
                Arguments.of("2001:db8::1", "2001:db8::1"),
                Arguments.of("2001%3Adb8%3A%3A1", "2001:db8::1"),
                Arguments.of("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
                Arguments.of("::", "::"),
                Arguments.of("::1", "::1"),
                Arguments.of("fe80::", "fe80::"),
                Arguments.of("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
                Arguments.of("1::8", "1::8"),
                Arguments.of("1:2:3:4:5:6::8", "1:2:3:4:5:6::8"),
                Arguments.of("::2:3:4:5:6:7:8", "::2:3:4:5:6:7:8"),
                Arguments.of("::ffff:192.0.2.1", "192.0.2.1"),
                Arguments.of("::FFFF:c000:0201", "192.0.2.1"),
                Arguments.of("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
                Arguments.of("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
                Arguments.of("[2001:db8::1]", "2001:db8::1"),
                Arguments.of("%5B2001:db8::1%5D:6881", "2001:db8::1"),
                Arguments.of("[::ffff:10.1.2.3]:1", "10.1.2.3"),
                Arguments.of("tracker.example.org", null),
                Arguments.of("", null),
                Arguments.of("1.2.3", null),
                Arguments.of("1.2.3.4.5", null),
                Arguments.of("1.2.3.256", null),
                Arguments.of("1.2.3.0004", null),
                Arguments.of("1.2.3.4:", null),
                Arguments.of("1.2.3.4:port", null),
                Arguments.of("1:2:3:4:5:6:7", null),
                Arguments.of("1:2:3:4:5:6:7:8:9", null),
                Arguments.of("1:2:3:4:5:6:7::8", null),
                Arguments.of("1::2::3", null),
                Arguments.of(":1::", null),
                Arguments.of("1:", null),
                Arguments.of(":::", null),
                Arguments.of("12345::", null),
                Arguments.of("g::1", null),
                Arguments.of("fe80::1%25eth0", null),
                Arguments.of("1:2:3:4:5:6:7:1.2.3.4", null),
                Arguments.of("[2001:db8::1", null),
                Arguments.of("[2001:db8::1]x", null),
                Arguments.of("[1.2.3.4]", null));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("addresses")
    void shouldParseAddressWhenIpIsTextual(String value, String expectedLiteral) throws UnknownHostException {
        for (String key : new String[] {"ip", "ipv4", "ipv6"}) {
            assertNull(scanner.scanAnnounce(VALID + "&" + key + "=" + value, request), "an ip is never a failure");
            if (expectedLiteral == null) {
                assertEquals(0, request.ipLength, key);
            } else {
                // A literal never causes a lookup; a v4-mapped literal comes back as an Inet4Address.
                byte[] expected = InetAddress.getByName(expectedLiteral).getAddress();
                assertEquals(expected.length, request.ipLength, key);
                assertArrayEquals(expected, Arrays.copyOf(request.ip, request.ipLength), key);
            }
        }
    }

    @Test
    void shouldKeepEarlierAddressWhenLaterOneIsUnparsable() {
        assertNull(scanner.scanAnnounce(VALID + "&ipv4=1.2.3.4&ipv6=2001:db8::2&ip=host.example", request));
        assertEquals(16, request.ipLength);
        assertEquals(0x20, request.ip[0]);
        assertEquals(2, request.ip[15]);
    }

    // ---- seeded random round trips ----

    @Test
    void shouldReadBackEveryFieldWhenQueryIsRandomlyEncoded() throws UnknownHostException {
        Random random = new Random(0x5EED_4A7EL);
        BitSet hashBytesSeen = new BitSet(256);
        for (int round = 0; round < 3000; round++) {
            byte[] infoHash = randomBytes(random, 20);
            byte[] peerId = randomBytes(random, 20);
            for (byte b : infoHash) {
                hashBytesSeen.set(b & 0xFF);
            }
            int port = 1 + random.nextInt(65535);
            long uploaded = randomCount(random);
            long downloaded = randomCount(random);
            Long left = random.nextInt(4) == 0 ? null : randomCount(random);
            String event = new String[] {null, "", "started", "completed", "stopped", "paused"}[random.nextInt(6)];
            Integer numWant = random.nextInt(3) == 0 ? null : random.nextInt(300);
            String compact = new String[] {null, "0", "1"}[random.nextInt(3)];
            String noPeerId = new String[] {null, "0", "1"}[random.nextInt(3)];
            byte[] key = random.nextInt(3) == 0 ? null : randomBytes(random, 1 + random.nextInt(16));
            byte[] ip = random.nextInt(3) == 0 ? null : randomBytes(random, random.nextBoolean() ? 4 : 16);

            List<String> params = new ArrayList<>();
            params.add("info_hash=" + encode(random, infoHash));
            params.add("peer_id=" + encode(random, peerId));
            params.add("port=" + port);
            params.add("uploaded=" + uploaded);
            params.add("downloaded=" + downloaded);
            addIf(params, "left", left == null ? null : Long.toString(left));
            addIf(params, "event", event);
            addIf(params, "numwant", numWant == null ? null : Integer.toString(numWant));
            addIf(params, "compact", compact);
            addIf(params, "no_peer_id", noPeerId);
            addIf(params, "key", key == null ? null : encode(random, key));
            if (ip != null) {
                String text = InetAddress.getByAddress(ip).getHostAddress();
                String colon = random.nextBoolean() ? ":" : "%3a";
                params.add((ip.length == 4 ? "ipv4=" : "ipv6=") + text.replace(":", colon));
            }
            Collections.shuffle(params, random);
            addNoise(random, params);
            String query = String.join("&", params);

            assertNull(scanner.scanAnnounce(query, request), query);
            assertArrayEquals(infoHash, request.infoHash, query);
            assertArrayEquals(peerId, request.peerId, query);
            assertEquals(port, request.port, query);
            assertEquals(uploaded, request.uploaded, query);
            assertEquals(downloaded, request.downloaded, query);
            assertEquals(left == null ? AnnounceRequest.LEFT_UNKNOWN : left, request.left, query);
            AnnounceEvent expectedEvent = event == null || event.isEmpty() || event.equals("paused")
                    ? AnnounceEvent.NONE
                    : AnnounceEvent.valueOf(event.toUpperCase());
            assertSame(expectedEvent, request.event, query);
            assertEquals(numWant == null ? AnnounceRequest.NUM_WANT_DEFAULT : numWant, request.numWant, query);
            assertEquals(!"0".equals(compact), request.compact, query);
            assertEquals(key != null, request.hasKey, query);
            if (key != null) {
                assertEquals(fnv1a(key), request.key, query);
            }
            byte[] expectedIp =
                    ip == null ? new byte[0] : InetAddress.getByAddress(ip).getAddress();
            assertArrayEquals(expectedIp, Arrays.copyOf(request.ip, request.ipLength), query);
        }
        assertEquals(256, hashBytesSeen.cardinality(), "every byte value appears in some info_hash");
    }

    /** Adds extras a client might send, and an earlier, overridden copy of a known key (the last one must win). */
    private static void addNoise(Random random, List<String> params) {
        String[] extras = {
            "supportcrypto=1",
            "corrupt=0",
            "redundant=0",
            "requirecrypto=0",
            "localip=10.0.0.2",
            "trackerid=%00%ff",
            "Info_hash=x",
            "port%3D=1",
            "",
            "flag"
        };
        for (int n = random.nextInt(4); n > 0; n--) {
            params.add(random.nextInt(params.size() + 1), extras[random.nextInt(extras.length)]);
        }
        if (random.nextBoolean()) {
            // Only keys that every generated query carries, so the real value always comes later.
            String[] overridden = {
                "port=", "port=0", "port=x", "info_hash=%00", "peer_id=", "uploaded=-1", "downloaded=x"
            };
            params.add(0, overridden[random.nextInt(overridden.length)]);
        }
    }

    // ---- scrape ----

    @Test
    void shouldCollectHashesInOrderWhenScrapeRepeatsInfoHash() {
        ScrapeRequest scrape = new ScrapeRequest(4);
        byte[] a = hexBytes("ff0102030405060708090a0b0c0d0e0f10111213");
        byte[] b = hexBytes("00000000000000000000000000000000000000ff");
        String query = "info_hash=" + percent(a, true) + "&foo=bar&info_hash=" + percent(b, false) + "&info_hash="
                + percent(a, false);
        assertNull(scanner.scanScrape(query, scrape));
        assertEquals(3, scrape.count);
        assertArrayEquals(a, Arrays.copyOfRange(scrape.infoHashes, 0, 20));
        assertArrayEquals(b, Arrays.copyOfRange(scrape.infoHashes, 20, 40));
        assertArrayEquals(a, Arrays.copyOfRange(scrape.infoHashes, 40, 60));
    }

    @Test
    void shouldReturnNoHashesWhenScrapeHasNoInfoHash() {
        ScrapeRequest scrape = new ScrapeRequest(4);
        scrape.count = 3;
        assertNull(scanner.scanScrape(null, scrape));
        assertEquals(0, scrape.count);
        assertNull(scanner.scanScrape("", scrape));
        assertNull(scanner.scanScrape("foo=1&INFO_HASH=" + HASH_20, scrape));
        assertEquals(0, scrape.count);
    }

    @Test
    void shouldAcceptExactlyMaxHashesWhenScrapeIsFull() {
        ScrapeRequest scrape = new ScrapeRequest(2);
        String two = "info_hash=" + HASH_20 + "&info_hash=" + HASH_20;
        assertNull(scanner.scanScrape(two, scrape));
        assertEquals(2, scrape.count);
        assertSame(FailureReason.TOO_MANY_INFO_HASHES, scanner.scanScrape(two + "&info_hash=" + HASH_20, scrape));
    }

    static Stream<Arguments> badScrapes() {
        return Stream.of(
                Arguments.of("info_hash=" + HASH_20.substring(3), FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash=" + HASH_20 + "&info_hash=" + HASH_20 + "A", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash=", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash", FailureReason.INVALID_INFO_HASH),
                Arguments.of("info_hash=" + HASH_20 + "&x=%G0", FailureReason.MALFORMED_QUERY),
                Arguments.of("info_hash=" + HASH_20 + "%", FailureReason.MALFORMED_QUERY),
                Arguments.of("info_hash=" + HASH_20.repeat(100), FailureReason.QUERY_TOO_LONG));
    }

    @ParameterizedTest(name = "{1} <- {0}")
    @MethodSource("badScrapes")
    void shouldFailWithReasonWhenScrapeIsBad(String query, FailureReason expected) {
        assertSame(expected, scanner.scanScrape(query, new ScrapeRequest(8)));
    }

    @Test
    void shouldReadBackHashesWhenScrapeIsRandomlyEncoded() {
        Random random = new Random(48);
        ScrapeRequest scrape = new ScrapeRequest(16);
        for (int round = 0; round < 500; round++) {
            int count = random.nextInt(17);
            byte[][] hashes = new byte[count][];
            List<String> params = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                hashes[i] = random.nextInt(4) == 0 && i > 0 ? hashes[i - 1] : randomBytes(random, 20);
                params.add("info_hash=" + encode(random, hashes[i]));
                if (random.nextInt(4) == 0) {
                    params.add("extra=" + i);
                }
            }
            String query = String.join("&", params);
            assertNull(new QueryScanner(8192).scanScrape(query, scrape), query);
            assertEquals(count, scrape.count);
            for (int i = 0; i < count; i++) {
                assertArrayEquals(hashes[i], Arrays.copyOfRange(scrape.infoHashes, i * 20, i * 20 + 20), query);
            }
        }
    }

    // ---- test-only encoder and independent decoder ----

    /**
     * Percent-encodes like a client might: unreserved and other safe ASCII sometimes literal, escapes in random case,
     * space sometimes as {@code +}, bytes 0x80-0xFF sometimes as the raw Latin-1 char.
     */
    static String encode(Random random, byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte value : bytes) {
            int b = value & 0xFF;
            boolean literalOk = b > 0x20 && b < 0x7F && "&=%+#".indexOf(b) < 0;
            if (literalOk && random.nextBoolean()) {
                sb.append((char) b);
            } else if (b == ' ' && random.nextBoolean()) {
                sb.append('+');
            } else if (b >= 0x80 && random.nextInt(4) == 0) {
                sb.append((char) b);
            } else {
                String hex = String.format("%02X", b);
                sb.append('%').append(random.nextBoolean() ? hex : hex.toLowerCase());
            }
        }
        return sb.toString();
    }

    static String percent(byte[] bytes, boolean upper) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format(upper ? "%02X" : "%02x", b & 0xFF));
        }
        return sb.toString();
    }

    private static void addIf(List<String> params, String key, String value) {
        if (value != null) {
            params.add(key + "=" + value);
        }
    }

    private static Map<String, String> independentParse(String query) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            map.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
        }
        return map;
    }

    private static byte[] urlDecode(String value) {
        assertNotNull(value);
        return URLDecoder.decode(value, StandardCharsets.ISO_8859_1).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** 64-bit FNV-1a, straight from its definition. */
    static long fnv1a(byte[] bytes) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            hash ^= b & 0xFF;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    private static long randomCount(Random random) {
        switch (random.nextInt(4)) {
            case 0:
                return 0;
            case 1:
                return Long.MAX_VALUE;
            case 2:
                return random.nextInt(1 << 24);
            default:
                return random.nextLong() & Long.MAX_VALUE;
        }
    }

    static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    static byte[] hexBytes(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    private static String readSample(String file) {
        try (InputStream in = QueryScannerTest.class.getResourceAsStream("/samples/" + file)) {
            assertNotNull(in, "missing test resource samples/" + file);
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
