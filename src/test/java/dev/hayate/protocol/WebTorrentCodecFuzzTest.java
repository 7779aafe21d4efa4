package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Jazzer target for the WebTorrent message handling on the wire: any WebSocket text payload is read by
 * {@link WebTorrentCodec#parse}, and every frame the tracker would send for it (the reply, each offer relay, the answer
 * relay, the scrape reply, or the failure) is written and read back. The corpus
 * ({@code WebTorrentCodecFuzzTestInputs/message/}) holds the real clients' frames of frames.md plus malformed ones.
 */
class WebTorrentCodecFuzzTest {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int MAX_OFFERS = 10;
    private static final int MAX_SCRAPE_HASHES = 74;

    private final WebTorrentCodec codec = new WebTorrentCodec();
    private final WebTorrentRequest request = new WebTorrentRequest(MAX_OFFERS, MAX_SCRAPE_HASHES);

    /**
     * Any payload, at a non-zero offset: a declared result and never an exception; every frame written from it is one
     * JSON object that echoes the binary strings byte for byte and carries each offer/answer unchanged.
     */
    // 30 s, and the bencode writer's two round trips 15 s each instead of 30, keep fuzz.sh's CI budget as it was.
    @FuzzTest(maxDuration = "30s")
    void message(byte[] payload) throws IOException {
        byte[] in = new byte[payload.length + 5];
        System.arraycopy(payload, 0, in, 5, payload.length);
        WebTorrentFailure failure = codec.parse(in, 5, payload.length, request);
        if (failure != null) {
            Frame f = read(codec.writeFailure(request, failure));
            assertEquals(failure.text(), f.failureReason);
            assertEquals(request.action == null ? null : request.action.name().toLowerCase(), f.action);
            if (request.hasInfoHash) {
                assertArrayEquals(request.infoHash, f.infoHash);
            }
            return;
        }
        assertNotNull(request.action);
        if (request.action == WebTorrentRequest.Action.SCRAPE) {
            assertTrue(request.scrapeCount >= 1 && request.scrapeCount <= MAX_SCRAPE_HASHES);
            long[] n = new long[request.scrapeCount];
            Frame f = read(codec.writeScrapeReply(request, n, n, n, 120));
            assertEquals("scrape", f.action);
            return;
        }
        assertTrue(request.hasInfoHash);
        Frame reply = read(codec.writeAnnounceReply(request.infoHash, 3, 4, 120));
        assertEquals("announce", reply.action);
        assertArrayEquals(request.infoHash, reply.infoHash);
        assertNull(reply.failureReason);
        if (request.hasAnswer) {
            Frame f = read(codec.writeAnswerRelay(request, in));
            assertEquals("announce", f.action);
            assertArrayEquals(request.infoHash, f.infoHash);
            assertArrayEquals(request.peerId, f.peerId);
            assertArrayEquals(request.offerId, f.offerId);
            assertArrayEquals(Arrays.copyOfRange(in, request.answerStart, request.answerEnd), f.raw);
        }
        assertTrue(request.offerCount >= 0 && request.offerCount <= MAX_OFFERS);
        for (int i = 0; i < request.offerCount; i++) {
            Frame f = read(codec.writeOfferRelay(request, in, i));
            assertEquals("announce", f.action);
            assertArrayEquals(request.infoHash, f.infoHash);
            assertArrayEquals(request.peerId, f.peerId);
            assertArrayEquals(Arrays.copyOfRange(request.offerIds, i * 20, i * 20 + 20), f.offerId);
            assertArrayEquals(Arrays.copyOfRange(in, request.offerStart[i], request.offerEnd[i]), f.raw);
        }
    }

    @Test
    void shouldAcceptEveryClientFrameWhenTheCorpusComesFromRealClients() throws IOException {
        List<Path> seeds = QueryScannerFuzzTest.seeds("WebTorrentCodecFuzzTestInputs/message");
        assertTrue(seeds.size() >= 15, "seeds: " + seeds.size());
        for (Path seed : seeds) {
            String name = seed.getFileName().toString();
            byte[] bytes = Files.readAllBytes(seed);
            WebTorrentFailure failure = codec.parse(bytes, 0, bytes.length, request);
            if (name.startsWith("bad-")) {
                assertNotNull(failure, name);
            } else {
                assertNull(failure, name);
                assertSame(
                        name.startsWith("scrape") ? WebTorrentRequest.Action.SCRAPE : WebTorrentRequest.Action.ANNOUNCE,
                        request.action,
                        name);
            }
            message(bytes);
        }
    }

    /** What a written frame says, read back with Jackson: top-level fields, binary strings as bytes. */
    private static final class Frame {
        String action;
        String failureReason;
        byte[] infoHash;
        byte[] peerId;
        byte[] offerId;
        byte[] raw;
    }

    private Frame read(int length) throws IOException {
        byte[] out = Arrays.copyOf(codec.buffer(), length);
        Frame f = new Frame();
        try (JsonParser p = JSON.createParser(out)) {
            assertSame(JsonToken.START_OBJECT, p.nextToken());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "action" -> f.action = p.getText();
                    case "failure reason" -> f.failureReason = p.getText();
                    case "info_hash" -> f.infoHash = latin1(p);
                    case "peer_id" -> f.peerId = latin1(p);
                    case "offer_id" -> f.offerId = latin1(p);
                    case "offer", "answer" -> {
                        assertSame(JsonToken.START_OBJECT, v);
                        int start = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        int end = (int) p.currentTokenLocation().getByteOffset() + 1;
                        f.raw = Arrays.copyOfRange(out, start, end);
                    }
                    default -> p.skipChildren();
                }
            }
            assertNull(p.nextToken(), "one object per frame");
        }
        return f;
    }

    private static byte[] latin1(JsonParser p) throws IOException {
        String s = p.getText();
        assertEquals(20, s.length(), s);
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
