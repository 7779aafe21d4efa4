package dev.hayate.protocol;

import static dev.hayate.protocol.Bencode.dict;
import static dev.hayate.protocol.Bencode.list;
import static dev.hayate.protocol.Bencode.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BencodeWriterTest {
    private static final int MAX_PEERS = 8;
    private static final byte[] NO_IP = new byte[16];

    private final byte[] out = new byte[BencodeWriter.maxAnnounceLength(MAX_PEERS) + 100];

    // ---- announce, compact (BEP 23, BEP 7, BEP 24) ----

    @Test
    void shouldWriteSortedKeysAndCountsWhenCompactWithBothFamilies() throws UnknownHostException {
        AnnounceResponse r = response(3, 2);
        r.complete = 7;
        r.incomplete = 12;
        r.downloaded = 123456;
        byte[] external = InetAddress.getByName("203.0.113.9").getAddress();

        int end = BencodeWriter.writeAnnounce(r, 1800, 900, true, external, 4, out, 0);
        Map<String, Object> d = dict(Bencode.decode(out, 0, end));

        assertEquals(
                List.of(
                        "complete",
                        "downloaded",
                        "external ip",
                        "incomplete",
                        "interval",
                        "min interval",
                        "peers",
                        "peers6"),
                new ArrayList<>(d.keySet()));
        assertEquals(7L, d.get("complete"));
        assertEquals(123456L, d.get("downloaded"));
        assertArrayEquals(external, (byte[]) d.get("external ip"));
        assertEquals(12L, d.get("incomplete"));
        assertEquals(1800L, d.get("interval"));
        assertEquals(900L, d.get("min interval"));
        assertArrayEquals(Arrays.copyOf(r.peers4, 3 * 6), (byte[]) d.get("peers"));
        assertArrayEquals(Arrays.copyOf(r.peers6, 2 * 18), (byte[]) d.get("peers6"));
    }

    @Test
    void shouldWriteEmptyPeersAndNoPeers6WhenSwarmIsEmpty() {
        AnnounceResponse r = new AnnounceResponse(MAX_PEERS);
        int end = BencodeWriter.writeAnnounce(r, 60, 30, true, NO_IP, 0, out, 0);
        String text = new String(out, 0, end, StandardCharsets.ISO_8859_1);
        assertEquals("d8:completei0e10:downloadedi0e10:incompletei0e8:intervali60e12:min intervali30e5:peers0:e", text);
    }

    @Test
    void shouldWriteSixteenByteExternalIpWhenRequesterIsIpv6() throws UnknownHostException {
        AnnounceResponse r = response(0, 1);
        byte[] external = InetAddress.getByName("2001:db8::42").getAddress();
        int end = BencodeWriter.writeAnnounce(r, 60, 30, true, external, 16, out, 0);
        Map<String, Object> d = dict(Bencode.decode(out, 0, end));
        assertArrayEquals(external, (byte[]) d.get("external ip"));
        assertArrayEquals(new byte[0], (byte[]) d.get("peers"));
        assertArrayEquals(Arrays.copyOf(r.peers6, 18), (byte[]) d.get("peers6"));
    }

    @Test
    void shouldWriteAtOffsetAndTouchNothingElseWhenOffsetIsNonZero() {
        AnnounceResponse r = response(2, 0);
        Arrays.fill(out, (byte) 0x5A);
        int end = BencodeWriter.writeAnnounce(r, 60, 30, true, NO_IP, 0, out, 17);
        for (int i = 0; i < 17; i++) {
            assertEquals(0x5A, out[i]);
        }
        assertEquals(0x5A, out[end]);
        Map<String, Object> d = dict(Bencode.decode(out, 17, end - 17));
        assertEquals(12, ((byte[]) d.get("peers")).length);
    }

    // ---- announce, dictionary model (BEP 3) ----

    @Test
    void shouldListBothFamiliesAsIpAndPortWhenNotCompact() throws UnknownHostException {
        AnnounceResponse r = response(3, 2);
        int end = BencodeWriter.writeAnnounce(r, 60, 30, false, NO_IP, 0, out, 0);
        Map<String, Object> d = dict(Bencode.decode(out, 0, end));

        assertFalse(d.containsKey("peers6"), "the dictionary model lists every family under peers");
        List<Object> peers = list(d.get("peers"));
        assertEquals(5, peers.size());
        for (int i = 0; i < 5; i++) {
            Map<String, Object> peer = dict(peers.get(i));
            // BEP 23's no_peer_id form: the store keeps a hash of each peer_id, not the id
            assertEquals(List.of("ip", "port"), new ArrayList<>(peer.keySet()));
            boolean v4 = i < 3;
            int k = v4 ? i : i - 3;
            byte[] compact = v4
                    ? Arrays.copyOfRange(r.peers4, k * 6, k * 6 + 6)
                    : Arrays.copyOfRange(r.peers6, k * 18, k * 18 + 18);
            byte[] address = Arrays.copyOf(compact, compact.length - 2);
            assertArrayEquals(
                    address, InetAddress.getByName(string(peer.get("ip"))).getAddress());
            int port = ((compact[compact.length - 2] & 0xFF) << 8) | (compact[compact.length - 1] & 0xFF);
            assertEquals((long) port, peer.get("port"));
        }
    }

    @Test
    void shouldWriteDottedQuadWhenPeerIsIpv4() {
        AnnounceResponse r = new AnnounceResponse(1);
        byte[] peer = {(byte) 255, 0, 10, 1, (byte) 0xFF, (byte) 0xFF};
        System.arraycopy(peer, 0, r.peers4, 0, 6);
        r.peers4Count = 1;
        int end = BencodeWriter.writeAnnounce(r, 60, 30, false, NO_IP, 0, out, 0);
        Map<String, Object> p =
                dict(list(dict(Bencode.decode(out, 0, end)).get("peers")).get(0));
        assertEquals("255.0.10.1", string(p.get("ip")));
        assertEquals(65535L, p.get("port"));
    }

    @Test
    void shouldWriteOneDigitLengthWhenAddressTextIsShort() {
        AnnounceResponse r = new AnnounceResponse(1);
        r.peers4Count = 1;
        r.peers6Count = 1;
        r.peers6[17] = 7;
        int end = BencodeWriter.writeAnnounce(r, 60, 30, false, NO_IP, 0, out, 0);
        String text = new String(out, 0, end, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("5:peersld2:ip7:0.0.0.04:porti0eed2:ip2:::4:porti7eee"), text);
        Bencode.decode(out, 0, end);
    }

    // ---- IPv6 text (RFC 5952) ----

    /** RFC 5952 examples and edge cases; section 4.2.2: a single zero group is never shortened to {@code ::}. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "2001:db8::1",
                "::",
                "::1",
                "1::",
                "fe80::1:2",
                "2001:db8:0:1:1:1:1:1",
                "2001:db8::1:0:0:1",
                "2001:0:0:1::1",
                "1:2:3:4:5:6:7:8",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
                "1:0:0:2::3",
                "0:2:3:4:5:6:7:8",
                "1:2:3:4:5:6:7:0",
                "0:1::",
                "abcd:ef01::",
                "::ffff:192.0.2.1",
                "::ffff:0.0.0.0",
                "64:ff9b::c000:221",
                "::c000:221",
                "::1:ffff:c000:221"
            })
    void shouldWriteRfc5952TextWhenPeerIsIpv6(String canonical) throws UnknownHostException {
        byte[] address = sixteenBytes(canonical);
        byte[] text = new byte[64];
        int end = BencodeWriter.writeIpv6Text(address, 0, text, 0);
        assertEquals(canonical, new String(text, 0, end, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldMatchIndependentFormatterWhenIpv6IsRandom() throws UnknownHostException {
        Random random = new Random(5952);
        byte[] text = new byte[64];
        for (int round = 0; round < 5000; round++) {
            byte[] address = new byte[16];
            for (int g = 0; g < 8; g++) {
                int kind = random.nextInt(3);
                int value = kind == 0 ? 0 : kind == 1 ? random.nextInt(0x10000) : random.nextInt(0x100);
                address[2 * g] = (byte) (value >>> 8);
                address[2 * g + 1] = (byte) value;
            }
            int end = BencodeWriter.writeIpv6Text(address, 0, text, 0);
            String written = new String(text, 0, end, StandardCharsets.US_ASCII);
            assertEquals(referenceRfc5952(address), written);
            assertTrue(end <= BencodeWriter.MAX_IPV6_TEXT_LENGTH);
            byte[] reparsed = InetAddress.getByName(written).getAddress();
            assertArrayEquals(reparsed.length == 4 ? Arrays.copyOfRange(address, 12, 16) : address, reparsed);
        }
    }

    /** RFC 5952 section 4 by string manipulation, without the writer's code (v4-mapped aside). */
    private static String referenceRfc5952(byte[] a) {
        int[] groups = new int[8];
        for (int g = 0; g < 8; g++) {
            groups[g] = ((a[2 * g] & 0xFF) << 8) | (a[2 * g + 1] & 0xFF);
        }
        if (groups[0] == 0
                && groups[1] == 0
                && groups[2] == 0
                && groups[3] == 0
                && groups[4] == 0
                && groups[5] == 0xFFFF) {
            return "::ffff:" + (a[12] & 0xFF) + "." + (a[13] & 0xFF) + "." + (a[14] & 0xFF) + "." + (a[15] & 0xFF);
        }
        for (int length = 8; length >= 2; length--) {
            for (int start = 0; start + length <= 8; start++) {
                boolean zeros = true;
                for (int g = start; g < start + length; g++) {
                    zeros &= groups[g] == 0;
                }
                if (zeros) {
                    return join(groups, 0, start) + "::" + join(groups, start + length, 8);
                }
            }
        }
        return join(groups, 0, 8);
    }

    private static String join(int[] groups, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int g = from; g < to; g++) {
            sb.append(g > from ? ":" : "").append(Integer.toHexString(groups[g]));
        }
        return sb.toString();
    }

    // ---- integers ----

    @ParameterizedTest
    @ValueSource(
            longs = {
                0,
                1,
                9,
                10,
                99,
                100,
                -1,
                -10,
                65535,
                Integer.MAX_VALUE,
                Integer.MIN_VALUE,
                Long.MAX_VALUE,
                Long.MIN_VALUE + 1
            })
    void shouldWriteDecimalWhenIntegerIsAnyLong(long value) {
        int end = BencodeWriter.writeInt(value, out, 3);
        assertEquals("i" + value + "e", new String(out, 3, end - 3, StandardCharsets.US_ASCII));
        assertEquals(value, Bencode.decode(out, 3, end - 3));
    }

    @Test
    void shouldWriteLongMinValueWhenIntegerCannotBeNegated() {
        int end = BencodeWriter.writeInt(Long.MIN_VALUE, out, 0);
        assertEquals("i-9223372036854775808e", new String(out, 0, end, StandardCharsets.US_ASCII));
        assertEquals(BencodeWriter.MAX_INT_LENGTH, end);
    }

    // ---- size bounds ----

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 50, 200})
    void shouldFitInMaxLengthWhenEveryFieldIsAtItsLongest(int maxPeers) {
        AnnounceResponse r = new AnnounceResponse(maxPeers);
        Arrays.fill(r.peers4, (byte) 0xFF);
        Arrays.fill(r.peers6, (byte) 0xFF);
        r.peers4Count = maxPeers;
        r.peers6Count = maxPeers;
        r.complete = Integer.MIN_VALUE;
        r.incomplete = Integer.MIN_VALUE;
        r.downloaded = Integer.MIN_VALUE;
        byte[] external = new byte[16];
        int bound = BencodeWriter.maxAnnounceLength(maxPeers);
        for (boolean compact : new boolean[] {true, false}) {
            byte[] exact = new byte[bound];
            int end = BencodeWriter.writeAnnounce(
                    r, Integer.MIN_VALUE, Integer.MIN_VALUE, compact, external, 16, exact, 0);
            assertTrue(end <= bound);
            Bencode.decode(exact, 0, end);
        }
    }

    @Test
    void shouldFitInMaxLengthWhenScrapeIsFullAndCountsAreLongest() {
        int maxHashes = 74;
        ScrapeRequest req = new ScrapeRequest(maxHashes);
        ScrapeResponse res = new ScrapeResponse(maxHashes);
        new Random(1).nextBytes(req.infoHashes);
        req.count = maxHashes;
        Arrays.fill(res.complete, Integer.MIN_VALUE);
        Arrays.fill(res.downloaded, Integer.MIN_VALUE);
        Arrays.fill(res.incomplete, Integer.MIN_VALUE);
        byte[] exact = new byte[BencodeWriter.maxScrapeLength(maxHashes)];
        int end = BencodeWriter.writeScrape(req, res, new int[maxHashes], exact, 0);
        assertEquals(
                maxHashes,
                dict(dict(Bencode.decode(exact, 0, end)).get("files")).size());
    }

    // ---- scrape (BEP 48) ----

    @Test
    void shouldWriteEmptyFilesWhenScrapeHasNoHashes() {
        int end = BencodeWriter.writeScrape(new ScrapeRequest(4), new ScrapeResponse(4), new int[4], out, 0);
        assertEquals("d5:filesdee", new String(out, 0, end, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldWriteExactBytesWhenScrapeHasOneHash() {
        ScrapeRequest req = new ScrapeRequest(1);
        Arrays.fill(req.infoHashes, (byte) 'a');
        req.count = 1;
        ScrapeResponse res = new ScrapeResponse(1);
        res.complete[0] = 5;
        res.downloaded[0] = 10;
        res.incomplete[0] = 3;
        int end = BencodeWriter.writeScrape(req, res, new int[1], out, 0);
        assertEquals(
                "d5:filesd20:" + "a".repeat(20) + "d8:completei5e10:downloadedi10e10:incompletei3eeee",
                new String(out, 0, end, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldSortByUnsignedBytesAndDedupeWhenScrapeIsRandom() {
        Random random = new Random(48);
        int maxHashes = 32;
        ScrapeRequest req = new ScrapeRequest(maxHashes);
        ScrapeResponse res = new ScrapeResponse(maxHashes);
        int[] scratch = new int[maxHashes];
        byte[] buffer = new byte[BencodeWriter.maxScrapeLength(maxHashes)];
        for (int round = 0; round < 300; round++) {
            req.reset();
            int count = random.nextInt(maxHashes + 1);
            // Expected: the first occurrence of each hash, keyed in unsigned byte order.
            TreeMap<byte[], long[]> expected = new TreeMap<>(Arrays::compareUnsigned);
            for (int i = 0; i < count; i++) {
                byte[] hash = new byte[20];
                if (i > 0 && random.nextInt(3) == 0) {
                    int earlier = random.nextInt(i);
                    System.arraycopy(req.infoHashes, earlier * 20, hash, 0, 20);
                } else {
                    random.nextBytes(hash);
                    hash[0] = (byte) (random.nextBoolean() ? 0x7F : 0x80);
                }
                System.arraycopy(hash, 0, req.infoHashes, i * 20, 20);
                req.count++;
                res.complete[i] = random.nextInt(1000);
                res.downloaded[i] = random.nextInt(1000);
                res.incomplete[i] = random.nextInt(1000);
                expected.putIfAbsent(hash, new long[] {res.complete[i], res.downloaded[i], res.incomplete[i]});
            }
            int end = BencodeWriter.writeScrape(req, res, scratch, buffer, 0);
            // The decoder itself refuses unsorted or repeated keys.
            Map<String, Object> files =
                    dict(dict(Bencode.decode(buffer, 0, end)).get("files"));
            assertEquals(expected.size(), files.size());
            List<byte[]> expectedKeys = new ArrayList<>(expected.keySet());
            int k = 0;
            for (Map.Entry<String, Object> entry : files.entrySet()) {
                byte[] key = entry.getKey().getBytes(StandardCharsets.ISO_8859_1);
                assertArrayEquals(expectedKeys.get(k++), key);
                Map<String, Object> counts = dict(entry.getValue());
                assertEquals(List.of("complete", "downloaded", "incomplete"), new ArrayList<>(counts.keySet()));
                long[] want = expected.get(key);
                assertEquals(want[0], counts.get("complete"));
                assertEquals(want[1], counts.get("downloaded"));
                assertEquals(want[2], counts.get("incomplete"));
            }
        }
    }

    // ---- helpers ----

    /** A response with random compact peers; IPv6 peers have zero runs so text compression is exercised. */
    private static AnnounceResponse response(int v4, int v6) {
        Random random = new Random(v4 * 31L + v6);
        AnnounceResponse r = new AnnounceResponse(MAX_PEERS);
        random.nextBytes(r.peers4);
        random.nextBytes(r.peers6);
        for (int i = 0; i < v6; i++) {
            Arrays.fill(r.peers6, i * 18 + 4, i * 18 + 10, (byte) 0);
        }
        r.peers4Count = v4;
        r.peers6Count = v6;
        return r;
    }

    private static byte[] sixteenBytes(String literal) throws UnknownHostException {
        byte[] address = InetAddress.getByName(literal).getAddress();
        if (address.length == 16) {
            return address;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(address, 0, mapped, 12, 4);
        return mapped;
    }
}
