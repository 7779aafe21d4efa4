package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Jazzer targets for {@link UdpCodec#parse}. The corpus ({@code UdpCodecFuzzTestInputs/parse/}) holds the real
 * clients' UDP announces of {@code samples/*-udp.txt}, re-encoded, plus a connect and a scrape.
 */
class UdpCodecFuzzTest {
    private static final int MAX_SCRAPE_HASHES = 74;

    private final UdpCodec codec = new UdpCodec();
    private final UdpRequest request = new UdpRequest(MAX_SCRAPE_HASHES);

    /** Any datagram: a declared result, never an exception; ERROR always says why; the buffer is left as it was. */
    @FuzzTest(maxDuration = "60s")
    void parse(byte[] packet) {
        // A non-zero position, as a receive loop's buffer might have.
        ByteBuffer buffer = ByteBuffer.allocate(packet.length + 3);
        buffer.position(3);
        buffer.put(packet).position(3);
        UdpCodec.Parse result = codec.parse(buffer, request);
        assertNotNull(result);
        assertEquals(3, buffer.position());
        assertEquals(packet.length + 3, buffer.limit());
        switch (result) {
            case ERROR:
                assertNotNull(codec.lastFailure());
                break;
            case CONNECT:
                assertTrue(packet.length >= UdpCodec.CONNECT_LENGTH);
                break;
            case ANNOUNCE:
                assertTrue(packet.length >= UdpCodec.ANNOUNCE_MIN_LENGTH);
                assertTrue(request.announce.port >= 1 && request.announce.port <= 65535);
                assertTrue(request.urlDataLength >= 0 && request.urlDataLength <= UdpRequest.MAX_URL_DATA_LENGTH);
                break;
            case SCRAPE:
                assertTrue(request.scrape.count >= 1 && request.scrape.count <= MAX_SCRAPE_HASHES);
                break;
            default:
                break;
        }
    }

    @Test
    void shouldParseEverySeedWhenTheCorpusComesFromRealClients() throws IOException {
        List<Path> seeds = QueryScannerFuzzTest.seeds("UdpCodecFuzzTestInputs/parse");
        assertTrue(seeds.size() >= 30, "seeds: " + seeds.size());
        for (Path seed : seeds) {
            String name = seed.getFileName().toString();
            UdpCodec.Parse expected = name.equals("connect")
                    ? UdpCodec.Parse.CONNECT
                    : name.endsWith("-scrape") ? UdpCodec.Parse.SCRAPE : UdpCodec.Parse.ANNOUNCE;
            assertSame(expected, codec.parse(ByteBuffer.wrap(Files.readAllBytes(seed)), request), name);
        }
    }

    /** An announce written field by field by the test reads back field for field. */
    @FuzzTest(maxDuration = "30s")
    void announceRoundTrip(FuzzedDataProvider data) {
        long connectionId = data.consumeLong();
        int transactionId = data.consumeInt();
        byte[] infoHash = QueryScannerFuzzTest.bytes(data, 20);
        byte[] peerId = QueryScannerFuzzTest.bytes(data, 20);
        long downloaded = QueryScannerFuzzTest.nonNegative(data);
        long left = QueryScannerFuzzTest.nonNegative(data);
        long uploaded = QueryScannerFuzzTest.nonNegative(data);
        int eventCode = data.consumeInt(0, 3); // BEP 15: 0 none, 1 completed, 2 started, 3 stopped
        AnnounceEvent event = UdpCodecTest.bep15Event(eventCode);
        int key = data.consumeInt();
        int numWant = data.consumeInt();
        int port = data.consumeInt(1, 65535);
        byte[] options = data.consumeRemainingAsBytes();

        ByteBuffer p = ByteBuffer.allocate(98 + options.length);
        p.putLong(connectionId)
                .putInt(UdpCodec.ACTION_ANNOUNCE)
                .putInt(transactionId)
                .put(infoHash)
                .put(peerId)
                .putLong(downloaded)
                .putLong(left)
                .putLong(uploaded)
                .putInt(eventCode)
                .putInt(0)
                .putInt(key)
                .putInt(numWant)
                .putShort((short) port)
                .put(options)
                .flip();

        assertSame(UdpCodec.Parse.ANNOUNCE, codec.parse(p, request));
        AnnounceRequest a = request.announce;
        assertEquals(connectionId, request.connectionId);
        assertEquals(transactionId, request.transactionId);
        assertArrayEquals(infoHash, a.infoHash);
        assertArrayEquals(peerId, a.peerId);
        assertEquals(downloaded, a.downloaded);
        assertEquals(left, a.left);
        assertEquals(uploaded, a.uploaded);
        assertSame(event, a.event);
        assertEquals(key & 0xFFFFFFFFL, a.key);
        assertEquals(numWant < 0 ? AnnounceRequest.NUM_WANT_DEFAULT : numWant, a.numWant);
        assertEquals(port, a.port);
        assertEquals(0, a.ipLength);
    }
}
