package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The WebTorrent codec against real frames (src/test/resources/dev/hayate/protocol/webtorrent/, from
 * shared/protocol/webtorrent/frames.md): what WebTorrent 3.0.21 sent, and what the reference tracker answered, byte
 * for byte.
 */
class WebTorrentCodecTest {
    static final byte[] INFO_HASH = HexFormat.of().parseHex("9ee6cace29e4942137c40a9b9c0b778b3a5204e8");
    static final byte[] SEEDER = "-WW0300-qKiointwZgmD".getBytes(StandardCharsets.ISO_8859_1);
    static final byte[] LEECHER = "-WW0300-hVY2q+QSy3Ec".getBytes(StandardCharsets.ISO_8859_1);

    private final WebTorrentCodec codec = new WebTorrentCodec();
    private final WebTorrentRequest request = new WebTorrentRequest(10, 74);

    static byte[] frame(String name) {
        try (InputStream in = WebTorrentCodecTest.class.getResourceAsStream("webtorrent/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no frame " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private WebTorrentFailure parse(byte[] message) {
        return codec.parse(message, 0, message.length, request);
    }

    private WebTorrentFailure parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private byte[] written(int length) {
        return Arrays.copyOf(codec.buffer(), length);
    }

    @Test
    void shouldReadTheSeedersFirstAnnounceWhenItIsCompletedWithoutOffers() {
        assertNull(parse(frame("01-seeder-completed")));
        assertSame(WebTorrentRequest.Action.ANNOUNCE, request.action);
        assertArrayEquals(INFO_HASH, request.infoHash);
        assertArrayEquals(SEEDER, request.peerId);
        assertSame(AnnounceEvent.COMPLETED, request.event);
        assertEquals(0, request.left);
        assertTrue(request.seeder());
        assertEquals(0, request.offerCount);
        assertFalse(request.hasAnswer);
    }

    @Test
    void shouldCountALeecherWhenLeftIsNull() {
        byte[] message = frame("06-leecher-started-offer");
        assertNull(parse(message));
        assertEquals(-1, request.left);
        assertFalse(request.seeder());
        assertSame(AnnounceEvent.STARTED, request.event);
        assertArrayEquals(LEECHER, request.peerId);
        assertEquals(1, request.offerCount);
        String offer = new String(
                message, request.offerStart[0], request.offerEnd[0] - request.offerStart[0], StandardCharsets.UTF_8);
        assertTrue(offer.startsWith("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 4791713272904684763"), offer);
        assertTrue(offer.endsWith("…\"}"), offer);
    }

    @Test
    void shouldWriteTheReferenceReplyByteForByteWhenEchoingABinaryInfoHash() {
        assertNull(parse(frame("01-seeder-completed")));
        int length = codec.writeAnnounceReply(request.infoHash, 1, 0, 120);
        assertArrayEquals(frame("02-reply"), written(length));
        assertEquals(121, length);
    }

    @Test
    void shouldRelayTheOfferByteForByteWhenALeecherAnnouncesWithOffers() {
        byte[] announce = frame("06-leecher-started-offer");
        assertNull(parse(announce));
        int length = codec.writeOfferRelay(request, announce, 0);
        assertEquals(
                new String(frame("08-offer-relay"), StandardCharsets.UTF_8),
                new String(written(length), StandardCharsets.UTF_8));
        assertArrayEquals(frame("08-offer-relay"), written(length));
    }

    /**
     * Undertow checks a text frame's UTF-8 before the codec sees it; the codec must not depend on that alone. Invalid
     * UTF-8 inside an offer's SDP (a lead byte without its continuation, a stray continuation byte, an overlong
     * encoding, a truncated sequence at the end of the string) is refused by jackson-core, so it is never relayed.
     */
    @Test
    void shouldRefuseTheAnnounceWhenAnOfferHoldsInvalidUtf8() {
        byte[][] bad = {{(byte) 0xC3, '('}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}};
        for (byte[] b : bad) {
            byte[] announce = frame("06-leecher-started-offer");
            int sdp = new String(announce, StandardCharsets.ISO_8859_1).indexOf("\\r\\na=setup");
            byte[] m = new byte[announce.length + b.length];
            System.arraycopy(announce, 0, m, 0, sdp);
            System.arraycopy(b, 0, m, sdp, b.length);
            System.arraycopy(announce, sdp, m, sdp + b.length, announce.length - sdp);
            assertTrue(parse(m) != null, "accepted " + HexFormat.of().formatHex(b));
        }
    }

    @Test
    void shouldRelayThePeriodicOfferByteForByteWhenItHasNoEvent() {
        byte[] announce = frame("periodic-announce");
        assertNull(parse(announce));
        assertSame(AnnounceEvent.NONE, request.event);
        assertArrayEquals(frame("periodic-offer-relay"), written(codec.writeOfferRelay(request, announce, 0)));
        assertArrayEquals(frame("periodic-reply"), written(codec.writeAnnounceReply(request.infoHash, 2, 0, 2)));
    }

    @Test
    void shouldForwardTheAnswerByteForByteWhenRoutedByToPeerId() {
        byte[] answer = frame("09-seeder-answer");
        assertNull(parse(answer));
        assertTrue(request.hasAnswer);
        assertArrayEquals(SEEDER, request.peerId);
        assertArrayEquals(LEECHER, request.toPeerId);
        assertArrayEquals(frame("10-answer-relay"), written(codec.writeAnswerRelay(request, answer)));
    }

    @Test
    void shouldReadCompletedAndStoppedWhenTheLeecherFinishes() {
        assertNull(parse(frame("11-leecher-completed")));
        assertSame(AnnounceEvent.COMPLETED, request.event);
        assertTrue(request.seeder());
        assertNull(parse(frame("13-leecher-stopped")));
        assertSame(AnnounceEvent.STOPPED, request.event);
        assertEquals(-1, request.left, "stopped carries no left");
        assertArrayEquals(frame("12-reply"), written(codec.writeAnnounceReply(INFO_HASH, 2, 0, 120)));
        assertArrayEquals(frame("17-reply"), written(codec.writeAnnounceReply(INFO_HASH, 0, 0, 120)));
    }

    @Test
    void shouldAnswerAScrapeOfOneHashByteForByteWhenTheHashHoldsEveryEscape() {
        assertNull(parse(frame("scrape-one")));
        assertSame(WebTorrentRequest.Action.SCRAPE, request.action);
        assertEquals(1, request.scrapeCount);
        byte[] hash = Arrays.copyOf(request.scrapeHashes, 20);
        assertEquals("000a225c2f7f80c3a9ff3e70eef158aa292eb472", HexFormat.of().formatHex(hash));
        int length = codec.writeScrapeReply(request, new long[] {1}, new long[] {2}, new long[] {1}, 600);
        assertArrayEquals(frame("scrape-one-reply"), written(length));
    }

    @Test
    void shouldAnswerAScrapeOfAListWhenOneHashIsUnknown() {
        assertNull(parse(frame("scrape-list")));
        assertEquals(2, request.scrapeCount);
        int length = codec.writeScrapeReply(request, new long[] {1, 0}, new long[] {2, 0}, new long[] {1, 0}, 600);
        assertArrayEquals(frame("scrape-list-reply"), written(length));
    }

    @Test
    void shouldWriteTheReferenceFailureWhenTheEventIsBogus() {
        byte[] hash = HexFormat.of().parseHex("000a225c2f7f80c3a9ff3e70eef158aa292eb472");
        String bogus = "{\"action\":\"announce\",\"event\":\"bogus\",\"info_hash\":\""
                + esc(new String(hash, StandardCharsets.ISO_8859_1)) + "\",\"peer_id\":\"-WW0300-qKiointwZgmD\"}";
        assertSame(WebTorrentFailure.INVALID_EVENT, parse(bogus));
        assertArrayEquals(
                frame("error-invalid-event"), written(codec.writeFailure(request, WebTorrentFailure.INVALID_EVENT)));
    }

    @Test
    void shouldFailWithoutActionWhenTheMessageIsNotJson() {
        assertSame(WebTorrentFailure.INVALID_JSON, parse("hello tracker"));
        assertSame(WebTorrentFailure.INVALID_JSON, parse("null"));
        assertSame(WebTorrentFailure.INVALID_JSON, parse("[1,2]"));
        assertSame(WebTorrentFailure.INVALID_JSON, parse("{\"action\":\"announce\"} {}"));
        assertSame(WebTorrentFailure.INVALID_JSON, parse("{\"action\":\"announce\""));
        assertSame(WebTorrentFailure.INVALID_JSON, parse(""));
        assertSame(WebTorrentFailure.INVALID_JSON, parse("x".repeat(100_000)));
        assertSame(WebTorrentFailure.INVALID_JSON, parse("{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}"));
        assertEquals(
                "{\"failure reason\":\"invalid message: not a JSON object\"}",
                new String(
                        written(codec.writeFailure(request, WebTorrentFailure.INVALID_JSON)), StandardCharsets.UTF_8));
    }

    @Test
    void shouldFailWithActionAndInfoHashWhenTheyAreKnown() {
        String hash = new String(INFO_HASH, StandardCharsets.ISO_8859_1);
        assertSame(
                WebTorrentFailure.INVALID_ACTION,
                parse("{\"action\":\"connect\",\"info_hash\":\"" + esc(hash) + "\"}"));
        assertNull(request.action);
        assertSame(WebTorrentFailure.INVALID_ACTION, parse("{\"action\":1}"));
        assertSame(WebTorrentFailure.INVALID_ACTION, parse("{}"));
        assertSame(
                WebTorrentFailure.INVALID_INFO_HASH,
                parse("{\"action\":\"announce\",\"peer_id\":\"-WW0300-qKiointwZgmD\"}"));
        assertSame(WebTorrentRequest.Action.ANNOUNCE, request.action);
        assertFalse(request.hasInfoHash);
        assertSame(
                WebTorrentFailure.INVALID_INFO_HASH,
                parse("{\"action\":\"announce\",\"info_hash\":\"9ee6cace29e4942137c40a9b9c0b778b3a5204e8\"}"));
        assertSame(
                WebTorrentFailure.INVALID_INFO_HASH,
                parse("{\"action\":\"announce\",\"info_hash\":\"0123456789012345678\"}"));
        assertSame(WebTorrentFailure.INVALID_INFO_HASH, parse("{\"action\":\"announce\",\"info_hash\":12}"));
        assertSame(WebTorrentFailure.INVALID_INFO_HASH, parse("{\"action\":\"announce\",\"info_hash\":{\"a\":[1]}}"));
        // a char above U+00FF is no byte
        assertSame(
                WebTorrentFailure.INVALID_INFO_HASH,
                parse("{\"action\":\"announce\",\"info_hash\":\"\u0100123456789012345678\"}"));
        assertSame(
                WebTorrentFailure.INVALID_PEER_ID,
                parse("{\"action\":\"announce\",\"info_hash\":\"" + esc(hash) + "\"}"));
        assertTrue(request.hasInfoHash);
        String ids = "\"info_hash\":\"" + esc(hash) + "\",\"peer_id\":\"-WW0300-qKiointwZgmD\"";
        assertSame(WebTorrentFailure.INVALID_LEFT, parse("{\"action\":\"announce\"," + ids + ",\"left\":\"10\"}"));
        assertSame(WebTorrentFailure.INVALID_LEFT, parse("{\"action\":\"announce\"," + ids + ",\"left\":-1}"));
        assertSame(WebTorrentFailure.INVALID_EVENT, parse("{\"action\":\"announce\"," + ids + ",\"event\":7}"));
        assertSame(WebTorrentFailure.INVALID_OFFERS, parse("{\"action\":\"announce\"," + ids + ",\"offers\":{}}"));
        assertSame(WebTorrentFailure.INVALID_OFFERS, parse("{\"action\":\"announce\"," + ids + ",\"offers\":[1]}"));
        assertSame(
                WebTorrentFailure.INVALID_OFFERS,
                parse("{\"action\":\"announce\"," + ids + ",\"offers\":[{\"offer\":{},\"offer_id\":\"short\"}]}"));
        assertSame(
                WebTorrentFailure.INVALID_OFFERS,
                parse("{\"action\":\"announce\"," + ids + ",\"offers\":[{\"offer\":\"sdp\",\"offer_id\":\"" + esc(hash)
                        + "\"}]}"));
        assertSame(
                WebTorrentFailure.INVALID_TO_PEER_ID,
                parse("{\"action\":\"announce\"," + ids + ",\"answer\":{\"type\":\"answer\"},\"offer_id\":\""
                        + esc(hash) + "\"}"));
        assertSame(
                WebTorrentFailure.INVALID_OFFER_ID,
                parse("{\"action\":\"announce\"," + ids + ",\"answer\":{},\"to_peer_id\":\"-WW0300-hVY2q+QSy3Ec\"}"));
        assertSame(
                WebTorrentFailure.INVALID_ANSWER,
                parse("{\"action\":\"announce\"," + ids
                        + ",\"answer\":\"x\",\"to_peer_id\":\"-WW0300-hVY2q+QSy3Ec\"}"));
        assertSame(
                WebTorrentFailure.INVALID_ANSWER,
                parse("{\"action\":\"announce\"," + ids + ",\"to_peer_id\":\"-WW0300-hVY2q+QSy3Ec\"}"));
        assertEquals(
                "{\"action\":\"announce\",\"failure reason\":\"invalid answer\",\"info_hash\":\"" + stringify(hash)
                        + "\"}",
                new String(
                        written(codec.writeFailure(request, WebTorrentFailure.INVALID_ANSWER)),
                        StandardCharsets.UTF_8));
    }

    @Test
    void shouldKeepAtMostMaxOffersWhenMoreAreSent() {
        WebTorrentRequest small = new WebTorrentRequest(2, 74);
        StringBuilder offers = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            offers.append(i == 0 ? "" : ",")
                    .append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"s")
                    .append(i)
                    .append("\"},\"offer_id\":\"offer-id-")
                    .append(i)
                    .append("-234567890\"}");
        }
        String message =
                "{\"action\":\"announce\",\"info_hash\":\"" + esc(new String(INFO_HASH, StandardCharsets.ISO_8859_1))
                        + "\",\"peer_id\":\"-WW0300-qKiointwZgmD\",\"offers\":[" + offers + "]}";
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        assertNull(codec.parse(bytes, 0, bytes.length, small));
        assertEquals(2, small.offerCount);
        assertEquals(
                "{\"type\":\"offer\",\"sdp\":\"s1\"}",
                new String(
                        bytes, small.offerStart[1], small.offerEnd[1] - small.offerStart[1], StandardCharsets.UTF_8));
        assertEquals("offer-id-1-234567890", new String(small.offerIds, 20, 20, StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldReadTheMessageWhenItSitsInsideALargerBufferOrAfterABom() {
        byte[] frame = frame("06-leecher-started-offer");
        byte[] padded = new byte[frame.length + 10];
        System.arraycopy(frame, 0, padded, 7, frame.length);
        assertNull(codec.parse(padded, 7, frame.length, request));
        assertArrayEquals(frame("08-offer-relay"), written(codec.writeOfferRelay(request, padded, 0)));
        byte[] bom = new byte[frame.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(frame, 0, bom, 3, frame.length);
        WebTorrentFailure f = codec.parse(bom, 0, bom.length, request);
        if (f == null) {
            assertArrayEquals(frame("08-offer-relay"), written(codec.writeOfferRelay(request, bom, 0)));
        } else {
            assertSame(WebTorrentFailure.INVALID_JSON, f);
        }
    }

    @Test
    void shouldRefuseAFullScrapeAndTooManyHashesWhenScraping() {
        assertSame(WebTorrentFailure.FULL_SCRAPE_NOT_OFFERED, parse("{\"action\":\"scrape\"}"));
        assertSame(WebTorrentRequest.Action.SCRAPE, request.action);
        assertSame(WebTorrentFailure.INVALID_INFO_HASH, parse("{\"action\":\"scrape\",\"info_hash\":[]}"));
        assertSame(WebTorrentFailure.INVALID_INFO_HASH, parse("{\"action\":\"scrape\",\"info_hash\":[\"x\"]}"));
        WebTorrentRequest two = new WebTorrentRequest(1, 2);
        String h = "\"abcdefghijklmnopqrst\"";
        byte[] three = ("{\"action\":\"scrape\",\"info_hash\":[" + h + "," + h + "," + h + "]}")
                .getBytes(StandardCharsets.UTF_8);
        assertSame(WebTorrentFailure.TOO_MANY_INFO_HASHES, codec.parse(three, 0, three.length, two));
    }

    /** Escapes like JSON.stringify: short escapes for backspace, tab, newline, form feed, return; lowercase hex else. */
    static String stringify(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\f' -> b.append("\\f");
                case '\r' -> b.append("\\r");
                default -> b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.toString();
    }

    /** JSON-escapes a binary string (every control character in hex, quote, backslash): another valid spelling. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
