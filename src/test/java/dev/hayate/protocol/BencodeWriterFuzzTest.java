package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Jazzer targets for {@link BencodeWriter}: whatever goes in, what comes out is strict bencode (checked by the test
 * decoder {@link Bencode}, written independently) that decodes back to the same values, within the advertised
 * maximum length.
 */
class BencodeWriterFuzzTest {
    private static final int MAX_PEERS = 40;
    private static final int MAX_HASHES = 74;

    @FuzzTest(maxDuration = "15s")
    void announceRoundTrip(FuzzedDataProvider data) throws UnknownHostException {
        AnnounceResponse r = new AnnounceResponse(MAX_PEERS);
        r.complete = data.consumeInt(0, Integer.MAX_VALUE);
        r.incomplete = data.consumeInt(0, Integer.MAX_VALUE);
        r.downloaded = data.consumeInt(0, Integer.MAX_VALUE);
        r.peers4Count = data.consumeInt(0, MAX_PEERS);
        r.peers6Count = data.consumeInt(0, MAX_PEERS - r.peers4Count);
        byte[] p4 = QueryScannerFuzzTest.bytes(data, r.peers4Count * 6);
        byte[] p6 = QueryScannerFuzzTest.bytes(data, r.peers6Count * 18);
        System.arraycopy(p4, 0, r.peers4, 0, p4.length);
        System.arraycopy(p6, 0, r.peers6, 0, p6.length);
        int interval = data.consumeInt(0, Integer.MAX_VALUE);
        int minInterval = data.consumeInt(0, Integer.MAX_VALUE);
        boolean compact = data.consumeBoolean();
        int externalLength = data.pickValue(new int[] {0, 4, 16});
        byte[] external = QueryScannerFuzzTest.bytes(data, 16);

        byte[] out = new byte[BencodeWriter.maxAnnounceLength(MAX_PEERS) + 8];
        int end = BencodeWriter.writeAnnounce(r, interval, minInterval, compact, external, externalLength, out, 4);
        assertTrue(end - 4 <= BencodeWriter.maxAnnounceLength(MAX_PEERS));
        Map<String, Object> d = Bencode.dict(Bencode.decode(out, 4, end - 4));

        assertEquals((long) r.complete, d.get("complete"));
        assertEquals((long) r.incomplete, d.get("incomplete"));
        assertEquals((long) r.downloaded, d.get("downloaded"));
        assertEquals((long) interval, d.get("interval"));
        assertEquals((long) minInterval, d.get("min interval"));
        if (externalLength == 0) {
            assertTrue(!d.containsKey("external ip"));
        } else {
            assertArrayEquals(Arrays.copyOf(external, externalLength), (byte[]) d.get("external ip"));
        }
        if (compact) {
            assertArrayEquals(p4, (byte[]) d.get("peers"));
            if (r.peers6Count > 0) {
                assertArrayEquals(p6, (byte[]) d.get("peers6"));
            } else {
                assertTrue(!d.containsKey("peers6"));
            }
            return;
        }
        List<Object> peers = Bencode.list(d.get("peers"));
        assertEquals(r.peers4Count + r.peers6Count, peers.size());
        for (int i = 0; i < peers.size(); i++) {
            boolean v4 = i < r.peers4Count;
            int k = v4 ? i : i - r.peers4Count;
            int addressLength = v4 ? 4 : 16;
            byte[] compactPeer =
                    v4 ? Arrays.copyOfRange(p4, k * 6, k * 6 + 6) : Arrays.copyOfRange(p6, k * 18, k * 18 + 18);
            Map<String, Object> peer = Bencode.dict(peers.get(i));
            byte[] address =
                    InetAddress.getByName(Bencode.string(peer.get("ip"))).getAddress();
            if (addressLength == 16 && address.length == 4) {
                // The JDK parses "::ffff:a.b.c.d" to an IPv4 address (the first finding of fuzz.sh, in this harness).
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xFF;
                mapped[11] = (byte) 0xFF;
                System.arraycopy(address, 0, mapped, 12, 4);
                address = mapped;
            }
            assertArrayEquals(Arrays.copyOf(compactPeer, addressLength), address);
            int port = ((compactPeer[addressLength] & 0xFF) << 8) | (compactPeer[addressLength + 1] & 0xFF);
            assertEquals((long) port, peer.get("port"));
            assertEquals(2, peer.size(), "ip and port only (BEP 23's no_peer_id form)");
        }
    }

    @FuzzTest(maxDuration = "15s")
    void scrapeRoundTrip(FuzzedDataProvider data) {
        ScrapeRequest req = new ScrapeRequest(MAX_HASHES);
        ScrapeResponse res = new ScrapeResponse(MAX_HASHES);
        req.count = data.consumeInt(0, MAX_HASHES);
        // Small hash alphabets make repeats likely, which the writer must collapse (first occurrence wins).
        boolean fewValues = data.consumeBoolean();
        Map<String, long[]> expected = new TreeMap<>();
        for (int i = 0; i < req.count; i++) {
            byte[] hash = QueryScannerFuzzTest.bytes(data, 20);
            if (fewValues) {
                for (int j = 1; j < 20; j++) {
                    hash[j] = 0;
                }
                hash[0] &= 3;
            }
            System.arraycopy(hash, 0, req.infoHashes, req.offsetOf(i), 20);
            res.complete[i] = data.consumeInt(0, Integer.MAX_VALUE);
            res.downloaded[i] = data.consumeInt(0, Integer.MAX_VALUE);
            res.incomplete[i] = data.consumeInt(0, Integer.MAX_VALUE);
            expected.putIfAbsent(
                    new String(hash, java.nio.charset.StandardCharsets.ISO_8859_1),
                    new long[] {res.complete[i], res.downloaded[i], res.incomplete[i]});
        }
        byte[] out = new byte[BencodeWriter.maxScrapeLength(MAX_HASHES)];
        int end = BencodeWriter.writeScrape(req, res, new int[MAX_HASHES], out, 0);
        // The strict decoder refuses keys out of raw byte order or repeated.
        Map<String, Object> files =
                Bencode.dict(Bencode.dict(Bencode.decode(out, 0, end)).get("files"));
        assertEquals(expected.keySet(), files.keySet());
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Map<String, Object> entry = Bencode.dict(files.get(e.getKey()));
            assertEquals(e.getValue()[0], entry.get("complete"));
            assertEquals(e.getValue()[1], entry.get("downloaded"));
            assertEquals(e.getValue()[2], entry.get("incomplete"));
        }
    }
}
