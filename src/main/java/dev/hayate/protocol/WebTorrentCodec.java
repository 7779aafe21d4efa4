package dev.hayate.protocol;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.base.ParserBase;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The WebTorrent tracker's wire format: JSON text frames (the {@code bittorrent-tracker} WebSocket protocol, see
 * {@code shared/protocol/webtorrent/}), read with jackson-core's streaming {@link JsonParser} and written with its
 * {@link JsonGenerator}. No tree, no databind.
 *
 * <p><b>Binary strings.</b> {@code info_hash}, {@code peer_id}, {@code to_peer_id} and {@code offer_id} are 20-byte
 * values carried as 20 JSON characters U+0000..U+00FF, one per byte (the client builds them with
 * {@code String.fromCharCode}). They are read from the parser's character buffer straight into 20-byte slots
 * (ISO-8859-1), and written back from those bytes the same way: the generator escapes only what JSON requires
 * ({@code "}, {@code \} and control characters, with lowercase hex like {@code JSON.stringify}), and encodes the rest
 * as UTF-8, so a client's {@code ===} comparison of the echo holds.
 *
 * <p><b>Offers and answers are passed through untouched.</b> The parser reports the byte offsets of the {@code offer}
 * and {@code answer} objects in the message; they are copied byte for byte into the relayed frame. The SDP inside is
 * never decoded.
 *
 * <p>One instance per IO thread (not thread-safe). Reading allocates one Jackson parser per message (Jackson parsers
 * are not reusable; their buffers are recycled per thread by Jackson); writing reuses one generator and one output
 * buffer for the life of the codec, so a reply or relay allocates nothing here (scrape replies allocate one String per
 * hash for the {@code files} keys).
 */
public final class WebTorrentCodec {
    /**
     * Thread-safe and shared. Lowercase hex escapes, as {@code JSON.stringify} writes them (the reference tracker's
     * frames are reproduced byte for byte). Nesting is limited far below Jackson's default: real messages nest 3 deep.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(32).build())
            .build();

    private static final SerializableString ACTION = new SerializedString("action");
    private static final SerializableString ANNOUNCE = new SerializedString("announce");
    private static final SerializableString SCRAPE = new SerializedString("scrape");
    private static final SerializableString COMPLETE = new SerializedString("complete");
    private static final SerializableString INCOMPLETE = new SerializedString("incomplete");
    private static final SerializableString DOWNLOADED = new SerializedString("downloaded");
    private static final SerializableString INTERVAL = new SerializedString("interval");
    private static final SerializableString INFO_HASH = new SerializedString("info_hash");
    private static final SerializableString PEER_ID = new SerializedString("peer_id");
    private static final SerializableString OFFER = new SerializedString("offer");
    private static final SerializableString OFFER_ID = new SerializedString("offer_id");
    private static final SerializableString ANSWER = new SerializedString("answer");
    private static final SerializableString FILES = new SerializedString("files");
    private static final SerializableString FLAGS = new SerializedString("flags");
    private static final SerializableString MIN_REQUEST_INTERVAL = new SerializedString("min_request_interval");
    private static final SerializableString FAILURE_REASON = new SerializedString("failure reason");

    private static final int ABSENT = 0;
    private static final int VALID = 1;
    private static final int INVALID = 2;

    private static final int ID_LENGTH = WebTorrentRequest.ID_LENGTH;

    // Parse state of the message being read: ABSENT, VALID or INVALID per field.
    private WebTorrentRequest.Action action;
    private int actionState;
    private int infoHashState;
    private boolean infoHashList;
    private boolean tooManyHashes;
    private int peerIdState;
    private int eventState;
    private int leftState;
    private int offersState;
    private int answerState;
    private int toPeerIdState;
    private int offerIdState;
    private boolean badSpan;
    private final byte[] discardId = new byte[ID_LENGTH];

    private final Sink out = new Sink(2048);
    private JsonGenerator gen;
    private final char[] chars = new char[ID_LENGTH];

    public WebTorrentCodec() {
        gen = newGenerator();
    }

    private JsonGenerator newGenerator() {
        try {
            JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8);
            // One generator writes every frame of this thread, one root object after another, with nothing between.
            g.setRootValueSeparator(null);
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Reading
    // ------------------------------------------------------------------------------------------------------------

    /**
     * Reads one message, {@code in[offset, offset + length)} (the payload of a text frame: UTF-8 JSON), into
     * {@code r}. Returns {@code null} when {@code r} holds a valid announce, answer or scrape; otherwise the failure to
     * answer with, and {@code r.action} / {@code r.hasInfoHash} say what may be echoed in it. Never throws for any
     * input.
     */
    public WebTorrentFailure parse(byte[] in, int offset, int length, WebTorrentRequest r) {
        r.reset();
        action = null;
        actionState = ABSENT;
        infoHashState = ABSENT;
        infoHashList = false;
        tooManyHashes = false;
        peerIdState = ABSENT;
        eventState = ABSENT;
        leftState = ABSENT;
        offersState = ABSENT;
        answerState = ABSENT;
        toPeerIdState = ABSENT;
        offerIdState = ABSENT;
        badSpan = false;
        JsonParser p = null;
        try {
            p = FACTORY.createParser(in, offset, length);
            // Byte offsets (for the offer/answer spans) need the UTF-8 byte parser. Jackson picks a char-based parser
            // only for input that looks like UTF-16/32 (NUL bytes up front), which is no JSON a client sends.
            if (!(p instanceof UTF8StreamJsonParser) || p.nextToken() != JsonToken.START_OBJECT) {
                return WebTorrentFailure.INVALID_JSON;
            }
            readObject(p, (ParserBase) p, in, offset, r);
            if (p.nextToken() != null || badSpan) {
                return WebTorrentFailure.INVALID_JSON; // one object per frame, nothing after it
            }
        } catch (IOException e) {
            // JsonParseException, StreamConstraintsException, InputCoercionException: all malformed input.
            return WebTorrentFailure.INVALID_JSON;
        } finally {
            closeQuietly(p);
        }
        return check(r);
    }

    private static void closeQuietly(JsonParser p) {
        if (p != null) {
            try {
                p.close();
            } catch (IOException e) {
                // a byte-array parser has nothing to close
            }
        }
    }

    private void readObject(JsonParser p, ParserBase base, byte[] in, int offset, WebTorrentRequest r)
            throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            // Field names are canonicalized by Jackson: currentName() returns a shared String, no allocation.
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "action" -> readAction(p, v);
                case "info_hash" -> readInfoHash(p, v, r);
                case "peer_id" -> peerIdState = readId(p, v, r.peerId, 0);
                case "to_peer_id" -> toPeerIdState = readId(p, v, r.toPeerId, 0);
                case "offer_id" -> offerIdState = readId(p, v, r.offerId, 0);
                case "event" -> readEvent(p, v, r);
                case "left" -> readLeft(p, v, r);
                case "offers" -> readOffers(p, base, v, in, offset, r);
                case "answer" -> {
                    if (v == JsonToken.START_OBJECT) {
                        int start = tokenStart(base, offset);
                        p.skipChildren();
                        int end = tokenStart(base, offset) + 1;
                        checkSpan(in, start, end);
                        r.answerStart = start;
                        r.answerEnd = end;
                        answerState = VALID;
                    } else {
                        p.skipChildren();
                        answerState = v == JsonToken.VALUE_NULL ? ABSENT : INVALID;
                    }
                }
                // numwant, uploaded, downloaded, trackerid, anything else: not used, skipped whatever its type.
                default -> p.skipChildren();
            }
        }
    }

    /**
     * Where the current token (a '{' or '}') starts in the input array. {@code getTokenCharacterOffset()} is one past
     * it for the byte parser (jackson-core 2.23: {@code currentTokenLocation().getByteOffset()} is the same value minus
     * one, but allocates a {@code JsonLocation}); {@link #checkSpan} verifies the result on every message, so a change
     * in Jackson fails as invalid input, never as a wrong copy.
     */
    private static int tokenStart(ParserBase base, int offset) {
        return offset + (int) base.getTokenCharacterOffset() - 1;
    }

    /** The span must be exactly the object the parser saw; anything else is a bug in the offset arithmetic. */
    private void checkSpan(byte[] in, int start, int end) {
        if (start < 0 || end > in.length || start >= end || in[start] != '{' || in[end - 1] != '}') {
            badSpan = true;
        }
    }

    private void readAction(JsonParser p, JsonToken v) throws IOException {
        action = null;
        actionState = INVALID;
        if (v == JsonToken.VALUE_STRING) {
            if (textEquals(p, "announce")) {
                action = WebTorrentRequest.Action.ANNOUNCE;
                actionState = VALID;
            } else if (textEquals(p, "scrape")) {
                action = WebTorrentRequest.Action.SCRAPE;
                actionState = VALID;
            }
        } else {
            p.skipChildren();
        }
    }

    private void readInfoHash(JsonParser p, JsonToken v, WebTorrentRequest r) throws IOException {
        r.hasInfoHash = false;
        r.scrapeCount = 0;
        infoHashList = false;
        tooManyHashes = false;
        if (v == JsonToken.VALUE_STRING) {
            if (binary(p, r.infoHash, 0)) {
                r.hasInfoHash = true;
                System.arraycopy(r.infoHash, 0, r.scrapeHashes, 0, ID_LENGTH);
                r.scrapeCount = 1;
                infoHashState = VALID;
            } else {
                infoHashState = INVALID;
            }
        } else if (v == JsonToken.START_ARRAY) {
            infoHashList = true;
            infoHashState = VALID;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_STRING) {
                    infoHashState = INVALID;
                    p.skipChildren();
                } else if (r.scrapeCount == r.maxScrapeHashes()) {
                    tooManyHashes = true;
                } else if (binary(p, r.scrapeHashes, r.scrapeCount * ID_LENGTH)) {
                    r.scrapeCount++;
                } else {
                    infoHashState = INVALID;
                }
            }
            if (r.scrapeCount == 0) {
                infoHashState = INVALID;
            }
        } else {
            p.skipChildren();
            infoHashState = v == JsonToken.VALUE_NULL ? ABSENT : INVALID;
        }
    }

    private int readId(JsonParser p, JsonToken v, byte[] dst, int dstOffset) throws IOException {
        if (v == JsonToken.VALUE_STRING) {
            return binary(p, dst, dstOffset) ? VALID : INVALID;
        }
        p.skipChildren();
        return v == JsonToken.VALUE_NULL ? ABSENT : INVALID;
    }

    private void readEvent(JsonParser p, JsonToken v, WebTorrentRequest r) throws IOException {
        eventState = VALID;
        if (v == JsonToken.VALUE_NULL) {
            r.event = AnnounceEvent.NONE;
        } else if (v != JsonToken.VALUE_STRING) {
            p.skipChildren();
            eventState = INVALID;
        } else if (textEquals(p, "started")) {
            r.event = AnnounceEvent.STARTED;
        } else if (textEquals(p, "completed")) {
            r.event = AnnounceEvent.COMPLETED;
        } else if (textEquals(p, "stopped")) {
            r.event = AnnounceEvent.STOPPED;
        } else if (textEquals(p, "update") || textEquals(p, "paused") || p.getTextLength() == 0) {
            // bittorrent-tracker's client knows "update" and "paused" besides BEP 3's events: a periodic announce.
            r.event = AnnounceEvent.NONE;
        } else {
            eventState = INVALID;
        }
    }

    private void readLeft(JsonParser p, JsonToken v, WebTorrentRequest r) throws IOException {
        leftState = VALID;
        if (v == JsonToken.VALUE_NULL) {
            r.left = -1; // JavaScript's Infinity (size not known yet): a leecher, not a seeder (README pitfall 4)
        } else if (v == JsonToken.VALUE_NUMBER_INT) {
            JsonParser.NumberType type = p.getNumberType();
            if (type == JsonParser.NumberType.BIG_INTEGER) {
                r.left = p.getText().charAt(0) == '-' ? -2 : Long.MAX_VALUE;
            } else {
                r.left = p.getLongValue();
            }
            if (r.left < 0) {
                leftState = INVALID;
            }
        } else if (v == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (!(d >= 0)) {
                leftState = INVALID;
            } else {
                r.left = d == 0 ? 0 : Math.max(1, (long) Math.ceil(d));
            }
        } else {
            p.skipChildren();
            leftState = INVALID;
        }
    }

    private void readOffers(JsonParser p, ParserBase base, JsonToken v, byte[] in, int offset, WebTorrentRequest r)
            throws IOException {
        r.offerCount = 0;
        if (v != JsonToken.START_ARRAY) {
            p.skipChildren();
            offersState = v == JsonToken.VALUE_NULL ? ABSENT : INVALID;
            return;
        }
        offersState = VALID;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                offersState = INVALID;
                continue;
            }
            int slot = r.offerCount;
            boolean keep = slot < r.maxOffers();
            int start = -1;
            int end = -1;
            boolean id = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken ov = p.nextToken();
                if ("offer".equals(name) && ov == JsonToken.START_OBJECT) {
                    start = tokenStart(base, offset);
                    p.skipChildren();
                    end = tokenStart(base, offset) + 1;
                    checkSpan(in, start, end);
                } else if ("offer_id".equals(name) && ov == JsonToken.VALUE_STRING) {
                    id = keep ? binary(p, r.offerIds, slot * ID_LENGTH) : binary(p, discardId, 0);
                } else {
                    p.skipChildren();
                }
            }
            if (start < 0 || !id) {
                offersState = INVALID;
            } else if (keep) {
                r.offerStart[slot] = start;
                r.offerEnd[slot] = end;
                r.offerCount++;
            }
        }
    }

    /** The validity rules, after the whole object was read (JSON fields come in any order). */
    private WebTorrentFailure check(WebTorrentRequest r) {
        r.action = action;
        if (actionState != VALID) {
            return WebTorrentFailure.INVALID_ACTION;
        }
        if (action == WebTorrentRequest.Action.SCRAPE) {
            r.hasInfoHash = r.hasInfoHash && !infoHashList;
            if (infoHashState == ABSENT) {
                return WebTorrentFailure.FULL_SCRAPE_NOT_OFFERED;
            }
            if (infoHashState == INVALID) {
                return WebTorrentFailure.INVALID_INFO_HASH;
            }
            return tooManyHashes ? WebTorrentFailure.TOO_MANY_INFO_HASHES : null;
        }
        if (infoHashState != VALID || infoHashList) {
            r.hasInfoHash = false;
            return WebTorrentFailure.INVALID_INFO_HASH;
        }
        if (peerIdState != VALID) {
            return WebTorrentFailure.INVALID_PEER_ID;
        }
        if (eventState == INVALID) {
            return WebTorrentFailure.INVALID_EVENT;
        }
        if (answerState != ABSENT) {
            if (answerState == INVALID) {
                return WebTorrentFailure.INVALID_ANSWER;
            }
            if (toPeerIdState != VALID) {
                return WebTorrentFailure.INVALID_TO_PEER_ID;
            }
            if (offerIdState != VALID) {
                return WebTorrentFailure.INVALID_OFFER_ID;
            }
            r.hasAnswer = true;
            return null;
        }
        if (toPeerIdState != ABSENT) {
            return WebTorrentFailure.INVALID_ANSWER; // to_peer_id without an answer to carry
        }
        if (leftState == INVALID) {
            return WebTorrentFailure.INVALID_LEFT;
        }
        if (offersState == INVALID) {
            return WebTorrentFailure.INVALID_OFFERS;
        }
        return null;
    }

    /** A 20-character string of chars U+0000..U+00FF into {@code dst[dstOffset, +20)}; false otherwise. */
    private static boolean binary(JsonParser p, byte[] dst, int dstOffset) throws IOException {
        if (p.getTextLength() != ID_LENGTH) {
            return false;
        }
        char[] c = p.getTextCharacters();
        int o = p.getTextOffset();
        for (int i = 0; i < ID_LENGTH; i++) {
            char ch = c[o + i];
            if (ch > 0xFF) {
                return false;
            }
            dst[dstOffset + i] = (byte) ch;
        }
        return true;
    }

    private static boolean textEquals(JsonParser p, String s) throws IOException {
        int n = p.getTextLength();
        if (n != s.length()) {
            return false;
        }
        char[] c = p.getTextCharacters();
        int o = p.getTextOffset();
        for (int i = 0; i < n; i++) {
            if (c[o + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writing: each method writes one complete frame into buffer()[0, returned length), valid until the next call.
    // ------------------------------------------------------------------------------------------------------------

    /** The output of the last write. */
    public byte[] buffer() {
        return out.buf;
    }

    /**
     * The reply to an announce, fields in the reference tracker's order: {@code complete}, {@code incomplete},
     * {@code action}, {@code interval} (seconds), {@code info_hash}. No peer list: peers meet through relayed offers.
     */
    public int writeAnnounceReply(byte[] infoHash, long complete, long incomplete, int intervalSeconds) {
        try {
            out.count = 0;
            gen.writeStartObject();
            gen.writeFieldName(COMPLETE);
            gen.writeNumber(complete);
            gen.writeFieldName(INCOMPLETE);
            gen.writeNumber(incomplete);
            gen.writeFieldName(ACTION);
            gen.writeString(ANNOUNCE);
            gen.writeFieldName(INTERVAL);
            gen.writeNumber(intervalSeconds);
            gen.writeFieldName(INFO_HASH);
            writeBinary(infoHash, 0);
            gen.writeEndObject();
            return finish();
        } catch (IOException e) {
            throw broken(e);
        }
    }

    /**
     * An offer relayed to another peer: {@code {action, offer, offer_id, peer_id: <offerer>, info_hash}}, with
     * {@code offer} copied byte for byte from {@code in[offer start, offer end)} of request {@code r}.
     */
    public int writeOfferRelay(WebTorrentRequest r, byte[] in, int offer) {
        return writeRelay(
                OFFER, in, r.offerStart[offer], r.offerEnd[offer], r.offerIds, offer * ID_LENGTH, r.peerId, r.infoHash);
    }

    /** An answer forwarded to the {@code to_peer_id}: {@code {action, answer, offer_id, peer_id: <answerer>, info_hash}}. */
    public int writeAnswerRelay(WebTorrentRequest r, byte[] in) {
        return writeRelay(ANSWER, in, r.answerStart, r.answerEnd, r.offerId, 0, r.peerId, r.infoHash);
    }

    private int writeRelay(
            SerializableString field,
            byte[] in,
            int start,
            int end,
            byte[] ids,
            int idOffset,
            byte[] peerId,
            byte[] infoHash) {
        try {
            out.count = 0;
            gen.writeStartObject();
            gen.writeFieldName(ACTION);
            gen.writeString(ANNOUNCE);
            gen.writeFieldName(field);
            // The generator writes the ':' and records that a value was written; the value itself goes straight
            // into the output after a flush, untouched.
            gen.writeRawValue("");
            gen.flush();
            out.write(in, start, end - start);
            gen.writeFieldName(OFFER_ID);
            writeBinary(ids, idOffset);
            gen.writeFieldName(PEER_ID);
            writeBinary(peerId, 0);
            gen.writeFieldName(INFO_HASH);
            writeBinary(infoHash, 0);
            gen.writeEndObject();
            return finish();
        } catch (IOException e) {
            throw broken(e);
        }
    }

    /**
     * The scrape reply: {@code {action:"scrape", files:{<hash>:{complete, incomplete, downloaded}}, flags:
     * {min_request_interval}}}, one entry per requested hash in request order.
     */
    public int writeScrapeReply(
            WebTorrentRequest r, long[] complete, long[] incomplete, long[] downloaded, int minRequestIntervalSeconds) {
        try {
            out.count = 0;
            gen.writeStartObject();
            gen.writeFieldName(ACTION);
            gen.writeString(SCRAPE);
            gen.writeFieldName(FILES);
            gen.writeStartObject();
            for (int i = 0; i < r.scrapeCount; i++) {
                for (int j = 0; j < ID_LENGTH; j++) {
                    chars[j] = (char) (r.scrapeHashes[i * ID_LENGTH + j] & 0xFF);
                }
                gen.writeFieldName(new String(chars)); // escaped by the generator like any name
                gen.writeStartObject();
                gen.writeFieldName(COMPLETE);
                gen.writeNumber(complete[i]);
                gen.writeFieldName(INCOMPLETE);
                gen.writeNumber(incomplete[i]);
                gen.writeFieldName(DOWNLOADED);
                gen.writeNumber(downloaded[i]);
                gen.writeEndObject();
            }
            gen.writeEndObject();
            gen.writeFieldName(FLAGS);
            gen.writeStartObject();
            gen.writeFieldName(MIN_REQUEST_INTERVAL);
            gen.writeNumber(minRequestIntervalSeconds);
            gen.writeEndObject();
            gen.writeEndObject();
            return finish();
        } catch (IOException e) {
            throw broken(e);
        }
    }

    /**
     * {@code {"action": ..., "failure reason": ..., "info_hash": ...}}: {@code action} when the message named a valid
     * one, {@code info_hash} when it carried one valid hash (the client matches the failure to its torrent by it;
     * without {@code action} bittorrent-tracker's client treats the frame as a socket error and reconnects).
     */
    public int writeFailure(WebTorrentRequest.Action action, WebTorrentFailure failure, byte[] infoHash) {
        try {
            out.count = 0;
            gen.writeStartObject();
            if (action != null) {
                gen.writeFieldName(ACTION);
                gen.writeString(action == WebTorrentRequest.Action.SCRAPE ? SCRAPE : ANNOUNCE);
            }
            gen.writeFieldName(FAILURE_REASON);
            gen.writeString(failure.text());
            if (infoHash != null) {
                gen.writeFieldName(INFO_HASH);
                writeBinary(infoHash, 0);
            }
            gen.writeEndObject();
            return finish();
        } catch (IOException e) {
            throw broken(e);
        }
    }

    /** The failure for {@code r} as {@link #parse} left it: echoes what it could read. */
    public int writeFailure(WebTorrentRequest r, WebTorrentFailure failure) {
        return writeFailure(r.action, failure, r.hasInfoHash ? r.infoHash : null);
    }

    private void writeBinary(byte[] bytes, int offset) throws IOException {
        for (int i = 0; i < ID_LENGTH; i++) {
            chars[i] = (char) (bytes[offset + i] & 0xFF);
        }
        gen.writeString(chars, 0, ID_LENGTH);
    }

    private int finish() throws IOException {
        gen.flush();
        return out.count;
    }

    /** Only a bug gets here (the sink never fails); start over with a fresh generator so the next frame is clean. */
    private IllegalStateException broken(IOException e) {
        gen = newGenerator();
        return new IllegalStateException("WebTorrent frame writer: " + e, e);
    }

    /** The output buffer: grows to the largest frame written (a relay is at most a message plus ~200 bytes). */
    private static final class Sink extends OutputStream {
        byte[] buf;
        int count;

        Sink(int initial) {
            buf = new byte[initial];
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        private void ensure(int more) {
            if (count + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }
    }
}
