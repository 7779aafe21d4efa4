package dev.hayate.protocol;

/**
 * Scans the raw, undecoded query string of an HTTP announce (BEP 3) or scrape (BEP 48) straight into an
 * {@link AnnounceRequest} or {@link ScrapeRequest}. Allocation-free after construction, and stateless apart from its
 * limit, so one instance may be shared by all IO threads.
 *
 * <p>Why by hand: Undertow decodes parameters as UTF-8, which mangles the binary {@code info_hash} and {@code peer_id}.
 * Here each {@code %XX} is decoded straight into the fixed 20-byte slots, chars are read with {@code charAt}, and no
 * {@code String} is created.
 *
 * <p>Rules shared by both scans:
 * <ul>
 *   <li>A query longer than the limit fails with {@link FailureReason#QUERY_TOO_LONG}; a bad escape ({@code %G1},
 *       a truncated {@code %1}) or a char above 0xFF anywhere fails with {@link FailureReason#MALFORMED_QUERY}.
 *       Chars 0x80-0xFF stand for that byte; {@code +} decodes to a space (form encoding).</li>
 *   <li>Keys are matched exactly and are not decoded, so a key with {@code %} in it is just unknown. Unknown keys are
 *       ignored. A parameter without {@code =} has an empty value.</li>
 * </ul>
 * In an announce, parameters come in any order and a repeated key takes its last value: the query is scanned from
 * the end and a key already seen is skipped, so an earlier, overridden value is never parsed. {@code ip},
 * {@code ipv4} and {@code ipv6} share one slot: the last one that parses as an address wins, and one that does not
 * parse (a host name) is ignored rather than refused.
 */
public final class QueryScanner {
    /** A 64-bit FNV-1a hash folds a {@code key} of any length into {@link AnnounceRequest#key}. */
    static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;

    static final long FNV_PRIME = 0x100000001b3L;

    private static final int SEEN_INFO_HASH = 1;
    private static final int SEEN_PEER_ID = 1 << 1;
    private static final int SEEN_PORT = 1 << 2;
    private static final int SEEN_UPLOADED = 1 << 3;
    private static final int SEEN_DOWNLOADED = 1 << 4;
    private static final int SEEN_LEFT = 1 << 5;
    private static final int SEEN_EVENT = 1 << 6;
    private static final int SEEN_NUM_WANT = 1 << 7;
    private static final int SEEN_COMPACT = 1 << 8;
    private static final int SEEN_NO_PEER_ID = 1 << 9;
    private static final int SEEN_KEY = 1 << 10;
    private static final int SEEN_IP = 1 << 11;

    /** Returned by the number parsers for any value that is not a plain decimal integer. */
    private static final long NOT_A_NUMBER = -1;

    private static final int MAX_PORT = 65535;

    private final int maxQueryLength;

    /** @param maxQueryLength the longest query accepted, in chars; longer ones fail with QUERY_TOO_LONG */
    public QueryScanner(int maxQueryLength) {
        if (maxQueryLength < 0) {
            throwNegativeLimit(maxQueryLength);
        }
        this.maxQueryLength = maxQueryLength;
    }

    public int maxQueryLength() {
        return maxQueryLength;
    }

    /**
     * Scans an announce query into {@code out} (reset first).
     *
     * @param query Undertow's raw query string, without the leading {@code ?}; may be null or empty
     * @return null on success, otherwise why the query was refused ({@code out} then holds partial values)
     */
    public FailureReason scanAnnounce(String query, AnnounceRequest out) {
        out.reset();
        int length = query == null ? 0 : query.length();
        FailureReason failure = checkQuery(query, length);
        if (failure != null) {
            return failure;
        }
        int seen = 0;
        int end = length;
        while (end > 0) {
            int start = lastIndexOf(query, '&', end - 1) + 1;
            int equals = indexOf(query, '=', start, end);
            int keyEnd = equals < 0 ? end : equals;
            int valueStart = equals < 0 ? end : equals + 1;
            int bit = keyBit(query, start, keyEnd);
            if (bit != 0 && (seen & bit) == 0) {
                failure = parseValue(bit, query, valueStart, end, out);
                if (failure != null) {
                    return failure;
                }
                if (bit != SEEN_IP || out.ipLength != 0) {
                    seen |= bit;
                }
            }
            end = start - 1;
        }
        return checkRequired(seen);
    }

    /**
     * Scans a scrape query into {@code out} (reset first): every {@code info_hash} value, in request order, repeats
     * included. No {@code info_hash} at all is a success with a count of 0; the caller decides what a full scrape
     * means.
     *
     * @return null on success, otherwise why the query was refused
     */
    public FailureReason scanScrape(String query, ScrapeRequest out) {
        out.reset();
        int length = query == null ? 0 : query.length();
        FailureReason failure = checkQuery(query, length);
        if (failure != null) {
            return failure;
        }
        int start = 0;
        while (start < length) {
            int end = indexOf(query, '&', start, length);
            if (end < 0) {
                end = length;
            }
            if (end - start >= 10 && query.regionMatches(start, "info_hash=", 0, 10)) {
                if (out.count == out.maxHashes) {
                    return FailureReason.TOO_MANY_INFO_HASHES;
                }
                int decoded = decodeInto(
                        query,
                        start + 10,
                        end,
                        out.infoHashes,
                        out.offsetOf(out.count),
                        AnnounceRequest.INFO_HASH_LENGTH);
                if (decoded != AnnounceRequest.INFO_HASH_LENGTH) {
                    return FailureReason.INVALID_INFO_HASH;
                }
                out.count++;
            } else if (end - start == 9 && query.regionMatches(start, "info_hash", 0, 9)) {
                return FailureReason.INVALID_INFO_HASH;
            }
            start = end + 1;
        }
        return null;
    }

    private FailureReason checkQuery(String query, int length) {
        if (length > maxQueryLength) {
            return FailureReason.QUERY_TOO_LONG;
        }
        return length == 0 || escapesValid(query, length) ? null : FailureReason.MALFORMED_QUERY;
    }

    /** One pass over the whole query, so that decoding later can trust every escape. */
    private static boolean escapesValid(String query, int length) {
        for (int i = 0; i < length; i++) {
            char c = query.charAt(i);
            if (c > 0xFF) {
                return false;
            }
            if (c == '%') {
                if (i + 2 >= length || hexValue(query.charAt(i + 1)) < 0 || hexValue(query.charAt(i + 2)) < 0) {
                    return false;
                }
                i += 2;
            }
        }
        return true;
    }

    private static FailureReason checkRequired(int seen) {
        if ((seen & SEEN_INFO_HASH) == 0) {
            return FailureReason.MISSING_INFO_HASH;
        }
        if ((seen & SEEN_PEER_ID) == 0) {
            return FailureReason.MISSING_PEER_ID;
        }
        if ((seen & SEEN_PORT) == 0) {
            return FailureReason.MISSING_PORT;
        }
        return null;
    }

    /** The SEEN_ bit of a known key, or 0 for an unknown key. Keys are compared raw and case-sensitively. */
    private static int keyBit(String q, int start, int end) {
        switch (end - start) {
            case 2:
                return q.regionMatches(start, "ip", 0, 2) ? SEEN_IP : 0;
            case 3:
                return q.regionMatches(start, "key", 0, 3) ? SEEN_KEY : 0;
            case 4:
                if (q.regionMatches(start, "port", 0, 4)) {
                    return SEEN_PORT;
                }
                if (q.regionMatches(start, "left", 0, 4)) {
                    return SEEN_LEFT;
                }
                return q.regionMatches(start, "ipv4", 0, 4) || q.regionMatches(start, "ipv6", 0, 4) ? SEEN_IP : 0;
            case 5:
                return q.regionMatches(start, "event", 0, 5) ? SEEN_EVENT : 0;
            case 7:
                if (q.regionMatches(start, "peer_id", 0, 7)) {
                    return SEEN_PEER_ID;
                }
                if (q.regionMatches(start, "numwant", 0, 7)) {
                    return SEEN_NUM_WANT;
                }
                return q.regionMatches(start, "compact", 0, 7) ? SEEN_COMPACT : 0;
            case 8:
                return q.regionMatches(start, "uploaded", 0, 8) ? SEEN_UPLOADED : 0;
            case 9:
                return q.regionMatches(start, "info_hash", 0, 9) ? SEEN_INFO_HASH : 0;
            case 10:
                if (q.regionMatches(start, "downloaded", 0, 10)) {
                    return SEEN_DOWNLOADED;
                }
                return q.regionMatches(start, "no_peer_id", 0, 10) ? SEEN_NO_PEER_ID : 0;
            default:
                return 0;
        }
    }

    private static FailureReason parseValue(int bit, String q, int start, int end, AnnounceRequest out) {
        switch (bit) {
            case SEEN_INFO_HASH:
                return decodeInto(q, start, end, out.infoHash, 0, AnnounceRequest.INFO_HASH_LENGTH)
                                == AnnounceRequest.INFO_HASH_LENGTH
                        ? null
                        : FailureReason.INVALID_INFO_HASH;
            case SEEN_PEER_ID:
                return decodeInto(q, start, end, out.peerId, 0, AnnounceRequest.PEER_ID_LENGTH)
                                == AnnounceRequest.PEER_ID_LENGTH
                        ? null
                        : FailureReason.INVALID_PEER_ID;
            case SEEN_PORT:
                long port = parseNonNegative(q, start, end);
                if (port < 1 || port > MAX_PORT) {
                    return FailureReason.INVALID_PORT;
                }
                out.port = (int) port;
                return null;
            case SEEN_UPLOADED:
                out.uploaded = parseNonNegative(q, start, end);
                return out.uploaded < 0 ? FailureReason.INVALID_NUMBER : null;
            case SEEN_DOWNLOADED:
                out.downloaded = parseNonNegative(q, start, end);
                return out.downloaded < 0 ? FailureReason.INVALID_NUMBER : null;
            case SEEN_LEFT:
                out.left = parseNonNegative(q, start, end);
                return out.left < 0 ? FailureReason.INVALID_NUMBER : null;
            case SEEN_NUM_WANT:
                long numWant = parseNonNegativeSaturated(q, start, end);
                if (numWant < 0) {
                    return FailureReason.INVALID_NUMBER;
                }
                out.numWant = (int) Math.min(numWant, Integer.MAX_VALUE);
                return null;
            case SEEN_EVENT:
                out.event = parseEvent(q, start, end);
                return out.event == null ? FailureReason.INVALID_EVENT : null;
            case SEEN_COMPACT:
                out.compact = !valueEquals(q, start, end, "0");
                return null;
            case SEEN_NO_PEER_ID:
                out.noPeerId = valueEquals(q, start, end, "1");
                return null;
            case SEEN_KEY:
                foldKey(q, start, end, out);
                return null;
            case SEEN_IP:
                out.ipLength = InetText.parseQueryValue(q, start, end, out.ip);
                return null;
            default:
                throw unhandledKey(bit);
        }
    }

    private static void throwNegativeLimit(int maxQueryLength) {
        throw new IllegalArgumentException("maxQueryLength must be >= 0: " + maxQueryLength);
    }

    /** A bug: keyBit returned a bit that parseValue does not handle. */
    private static IllegalStateException unhandledKey(int bit) {
        return new IllegalStateException("unhandled key bit " + bit);
    }

    // ---- decoding primitives; escapes were validated by escapesValid before any of these run ----

    /** The decoded byte (0-255) of the char or escape at {@code i}. */
    static int byteAt(String q, int i) {
        char c = q.charAt(i);
        if (c == '%') {
            return (hexValue(q.charAt(i + 1)) << 4) | hexValue(q.charAt(i + 2));
        }
        return c == '+' ? ' ' : c;
    }

    /** How many chars the char or escape at {@code i} spans. */
    static int widthAt(String q, int i) {
        return q.charAt(i) == '%' ? 3 : 1;
    }

    static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * Decodes {@code q[start, end)} into {@code dest} at {@code destOffset}, writing at most {@code capacity} bytes.
     *
     * @return the decoded length, or {@code capacity + 1} when the value is longer than the slot (nothing is
     *     written past the slot)
     */
    private static int decodeInto(String q, int start, int end, byte[] dest, int destOffset, int capacity) {
        int n = 0;
        for (int i = start; i < end; i += widthAt(q, i)) {
            if (n == capacity) {
                return capacity + 1;
            }
            dest[destOffset + n++] = (byte) byteAt(q, i);
        }
        return n;
    }

    /** A plain decimal integer (digits only, no sign); NOT_A_NUMBER when empty, not digits or past Long.MAX_VALUE. */
    private static long parseNonNegative(String q, int start, int end) {
        if (start == end) {
            return NOT_A_NUMBER;
        }
        long value = 0;
        for (int i = start; i < end; i += widthAt(q, i)) {
            int digit = byteAt(q, i) - '0';
            if (digit < 0 || digit > 9 || value > (Long.MAX_VALUE - digit) / 10) {
                return NOT_A_NUMBER;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** Like {@link #parseNonNegative} but a value past Long.MAX_VALUE saturates instead of failing. */
    private static long parseNonNegativeSaturated(String q, int start, int end) {
        if (start == end) {
            return NOT_A_NUMBER;
        }
        long value = 0;
        for (int i = start; i < end; i += widthAt(q, i)) {
            int digit = byteAt(q, i) - '0';
            if (digit < 0 || digit > 9) {
                return NOT_A_NUMBER;
            }
            value = value > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : value * 10 + digit;
        }
        return value;
    }

    /** BEP 3 events; empty and BEP 21's {@code paused} are regular updates. Null for anything else. */
    private static AnnounceEvent parseEvent(String q, int start, int end) {
        if (start == end) {
            return AnnounceEvent.NONE;
        }
        if (valueEquals(q, start, end, "started")) {
            return AnnounceEvent.STARTED;
        }
        if (valueEquals(q, start, end, "completed")) {
            return AnnounceEvent.COMPLETED;
        }
        if (valueEquals(q, start, end, "stopped")) {
            return AnnounceEvent.STOPPED;
        }
        return valueEquals(q, start, end, "paused") ? AnnounceEvent.NONE : null;
    }

    /** Whether the decoded value equals an ASCII literal. */
    private static boolean valueEquals(String q, int start, int end, String literal) {
        int n = 0;
        for (int i = start; i < end; i += widthAt(q, i)) {
            if (n == literal.length() || byteAt(q, i) != literal.charAt(n)) {
                return false;
            }
            n++;
        }
        return n == literal.length();
    }

    /** Folds every decoded byte into a 64-bit FNV-1a hash. An empty key counts as no key. */
    private static void foldKey(String q, int start, int end, AnnounceRequest out) {
        if (start == end) {
            return;
        }
        long hash = FNV_OFFSET_BASIS;
        for (int i = start; i < end; i += widthAt(q, i)) {
            hash = (hash ^ byteAt(q, i)) * FNV_PRIME;
        }
        out.key = hash;
        out.hasKey = true;
    }

    private static int indexOf(String q, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (q.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(String q, char c, int from) {
        for (int i = from; i >= 0; i--) {
            if (q.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }
}
