package dev.hayate.protocol;

/**
 * Scans the raw, undecoded query string of an HTTP announce (BEP 3) or scrape (BEP 48) straight into an
 * {@link AnnounceRequest} or {@link ScrapeRequest}. Allocation-free after construction. Not thread-safe: it owns a
 * buffer of {@code maxQueryLength} bytes, so each IO thread has its own instance (the HTTP handler's per-thread
 * scratch).
 *
 * <p>Why by hand: Undertow decodes parameters as UTF-8, which mangles the binary {@code info_hash} and {@code peer_id}.
 * Here each {@code %XX} is decoded straight into the fixed 20-byte slots and no {@code String} is created. The query's
 * chars are copied once into the scanner's byte buffer (one pass that also finds any char above 0xFF) and every later
 * pass reads bytes: {@code String.charAt} costs a coder check and a bounds check per char, and it made the scan about
 * a fifth of the tracker's Java time per keep-alive announce (benchmarks/RESULTS.md, "HTTP announce path vs the
 * Undertow ceiling").
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

    /** Long.MAX_VALUE = MAX_TENTH * 10 + MAX_LAST_DIGIT. */
    private static final long MAX_TENTH = Long.MAX_VALUE / 10;

    private static final int MAX_LAST_DIGIT = (int) (Long.MAX_VALUE % 10);

    /** Bytes past the query's end that {@link #load} keeps zero (an escape's two digits may be read from there). */
    private static final int PAD = 2;

    /** Hex digit value of every byte 0-255, -1 for a byte that is not a hex digit. */
    private static final byte[] HEX = hexTable();

    private static final byte[] IP = ascii("ip");
    private static final byte[] KEY = ascii("key");
    private static final byte[] PORT = ascii("port");
    private static final byte[] LEFT = ascii("left");
    private static final byte[] IPV4 = ascii("ipv4");
    private static final byte[] IPV6 = ascii("ipv6");
    private static final byte[] EVENT = ascii("event");
    private static final byte[] PEER_ID = ascii("peer_id");
    private static final byte[] NUM_WANT = ascii("numwant");
    private static final byte[] COMPACT = ascii("compact");
    private static final byte[] UPLOADED = ascii("uploaded");
    private static final byte[] INFO_HASH = ascii("info_hash");
    private static final byte[] INFO_HASH_EQUALS = ascii("info_hash=");
    private static final byte[] DOWNLOADED = ascii("downloaded");
    private static final byte[] NO_PEER_ID = ascii("no_peer_id");

    private final int maxQueryLength;
    /**
     * The current query, one byte per char (chars are 0-255 once {@link #load} accepted it), followed by {@link #PAD}
     * zero bytes: the branch-free decoding reads the two bytes after any position, and 0 is not a hex digit.
     */
    private final byte[] bytes;

    /** @param maxQueryLength the longest query accepted, in chars; longer ones fail with QUERY_TOO_LONG */
    public QueryScanner(int maxQueryLength) {
        if (maxQueryLength < 0) {
            throwNegativeLimit(maxQueryLength);
        }
        this.maxQueryLength = maxQueryLength;
        this.bytes = new byte[maxQueryLength + PAD];
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
        FailureReason failure = load(query, length);
        if (failure != null) {
            return failure;
        }
        byte[] q = bytes;
        int seen = 0;
        int end = length;
        while (end > 0) {
            int start = lastIndexOf(q, '&', end - 1) + 1;
            int equals = indexOf(q, '=', start, end);
            int keyEnd = equals < 0 ? end : equals;
            int valueStart = equals < 0 ? end : equals + 1;
            int bit = keyBit(q, start, keyEnd);
            if (bit != 0 && (seen & bit) == 0) {
                failure = parseValue(bit, q, query, valueStart, end, out);
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
        FailureReason failure = load(query, length);
        if (failure != null) {
            return failure;
        }
        byte[] q = bytes;
        int start = 0;
        while (start < length) {
            int end = indexOf(q, '&', start, length);
            if (end < 0) {
                end = length;
            }
            if (end - start >= 10 && matches(q, start, INFO_HASH_EQUALS)) {
                if (out.count == out.maxHashes) {
                    return FailureReason.TOO_MANY_INFO_HASHES;
                }
                int decoded = decodeInto(
                        q, start + 10, end, out.infoHashes, out.offsetOf(out.count), AnnounceRequest.INFO_HASH_LENGTH);
                if (decoded != AnnounceRequest.INFO_HASH_LENGTH) {
                    return FailureReason.INVALID_INFO_HASH;
                }
                out.count++;
            } else if (end - start == 9 && matches(q, start, INFO_HASH)) {
                return FailureReason.INVALID_INFO_HASH;
            }
            start = end + 1;
        }
        return null;
    }

    /**
     * Checks the length, copies the query into {@link #bytes} and validates it: a char above 0xFF or a bad escape is
     * MALFORMED_QUERY, so decoding later can trust every escape.
     */
    private FailureReason load(String query, int length) {
        if (length > maxQueryLength) {
            return FailureReason.QUERY_TOO_LONG;
        }
        if (length == 0) {
            return null;
        }
        byte[] q = bytes;
        int wide = 0;
        // One pass: copy, and check the escape (if any) that starts two chars back, once its digits are copied.
        int bad = 0;
        for (int i = 0; i < length; i++) {
            char c = query.charAt(i);
            wide |= c;
            q[i] = (byte) c;
            if (i >= 2) {
                bad |= isPercent(q[i - 2]) & (HEX[q[i - 1] & 0xFF] | HEX[c & 0xFF]);
            }
        }
        q[length] = 0;
        q[length + 1] = 0;
        // The last two positions: an escape there is truncated, and meets the padding.
        for (int i = Math.max(0, length - 2); i < length; i++) {
            bad |= isPercent(q[i]) & (HEX[q[i + 1] & 0xFF] | HEX[q[i + 2] & 0xFF]);
        }
        return wide <= 0xFF && bad >= 0 ? null : FailureReason.MALFORMED_QUERY;
    }

    /**
     * Every {@code %} is followed by two hex digits (a truncated escape meets the zero padding, which is not one).
     * Branch-free: in a random info_hash about half the bytes are escapes, so a branch on {@code %} mispredicts often.
     * Checking every {@code %} (not skipping an escape's digits) gives the same answer: a valid escape's digits are
     * never {@code %}.
     */
    private static boolean escapesValid(byte[] q, int length) {
        int bad = 0;
        for (int i = 0; i < length; i++) {
            bad |= isPercent(q[i]) & (HEX[q[i + 1] & 0xFF] | HEX[q[i + 2] & 0xFF]);
        }
        return bad >= 0;
    }

    /** -1 (all bits) when {@code b} is {@code %}, else 0; without a branch. */
    private static int isPercent(byte b) {
        int d = b ^ '%';
        return ((d - 1) & ~d) >> 31;
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
    private static int keyBit(byte[] q, int start, int end) {
        switch (end - start) {
            case 2:
                return matches(q, start, IP) ? SEEN_IP : 0;
            case 3:
                return matches(q, start, KEY) ? SEEN_KEY : 0;
            case 4:
                if (matches(q, start, PORT)) {
                    return SEEN_PORT;
                }
                if (matches(q, start, LEFT)) {
                    return SEEN_LEFT;
                }
                return matches(q, start, IPV4) || matches(q, start, IPV6) ? SEEN_IP : 0;
            case 5:
                return matches(q, start, EVENT) ? SEEN_EVENT : 0;
            case 7:
                if (matches(q, start, PEER_ID)) {
                    return SEEN_PEER_ID;
                }
                if (matches(q, start, NUM_WANT)) {
                    return SEEN_NUM_WANT;
                }
                return matches(q, start, COMPACT) ? SEEN_COMPACT : 0;
            case 8:
                return matches(q, start, UPLOADED) ? SEEN_UPLOADED : 0;
            case 9:
                return matches(q, start, INFO_HASH) ? SEEN_INFO_HASH : 0;
            case 10:
                if (matches(q, start, DOWNLOADED)) {
                    return SEEN_DOWNLOADED;
                }
                return matches(q, start, NO_PEER_ID) ? SEEN_NO_PEER_ID : 0;
            default:
                return 0;
        }
    }

    /** Whether the raw (undecoded) bytes at {@code start} are {@code literal}; the caller checked the room. */
    private static boolean matches(byte[] q, int start, byte[] literal) {
        for (int k = 0; k < literal.length; k++) {
            if (q[start + k] != literal[k]) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param query the same query as a String, for {@link InetText#parseQueryValue} (chars and bytes share positions)
     */
    private static FailureReason parseValue(int bit, byte[] q, String query, int start, int end, AnnounceRequest out) {
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
                out.ipLength = InetText.parseQueryValue(query, start, end, out.ip);
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

    private static byte[] hexTable() {
        byte[] t = new byte[256];
        for (int c = 0; c < 256; c++) {
            t[c] = (byte) hexValue((char) c);
        }
        return t;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    // ---- decoding primitives on the loaded bytes; escapes were validated by load before any of these run ----

    /**
     * The decoded byte (0-255) of the byte or escape at {@code i}; branch-free (see {@link #escapesValid}): the escape's
     * value is computed always (from the padding at the end) and selected by mask.
     */
    private static int byteAt(byte[] q, int i) {
        int c = q[i] & 0xFF;
        int percent = isPercent(q[i]);
        int escaped = (HEX[q[i + 1] & 0xFF] << 4) | HEX[q[i + 2] & 0xFF];
        int d = c ^ '+';
        int plus = ((d - 1) & ~d) >> 31;
        int plain = c ^ (plus & ('+' ^ ' '));
        return (escaped & percent) | (plain & ~percent);
    }

    /** How many bytes the byte or escape at {@code i} spans: 3 or 1, branch-free. */
    private static int widthAt(byte[] q, int i) {
        return 1 + (isPercent(q[i]) & 2);
    }

    /**
     * Decodes {@code q[start, end)} into {@code dest} at {@code destOffset}, writing at most {@code capacity} bytes.
     *
     * @return the decoded length, or {@code capacity + 1} when the value is longer than the slot (nothing is
     *     written past the slot)
     */
    private static int decodeInto(byte[] q, int start, int end, byte[] dest, int destOffset, int capacity) {
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
    private static long parseNonNegative(byte[] q, int start, int end) {
        if (start == end) {
            return NOT_A_NUMBER;
        }
        long value = 0;
        for (int i = start; i < end; i += widthAt(q, i)) {
            int digit = byteAt(q, i) - '0';
            if (digit < 0 || digit > 9 || overflows(value, digit)) {
                return NOT_A_NUMBER;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** Like {@link #parseNonNegative} but a value past Long.MAX_VALUE saturates instead of failing. */
    private static long parseNonNegativeSaturated(byte[] q, int start, int end) {
        if (start == end) {
            return NOT_A_NUMBER;
        }
        long value = 0;
        for (int i = start; i < end; i += widthAt(q, i)) {
            int digit = byteAt(q, i) - '0';
            if (digit < 0 || digit > 9) {
                return NOT_A_NUMBER;
            }
            value = overflows(value, digit) ? Long.MAX_VALUE : value * 10 + digit;
        }
        return value;
    }

    /**
     * Whether {@code value * 10 + digit} passes Long.MAX_VALUE; the same as {@code value > (Long.MAX_VALUE - digit) /
     * 10} without a 64-bit division per digit.
     */
    private static boolean overflows(long value, int digit) {
        return value > MAX_TENTH || (value == MAX_TENTH && digit > MAX_LAST_DIGIT);
    }

    /** BEP 3 events; empty and BEP 21's {@code paused} are regular updates. Null for anything else. */
    private static AnnounceEvent parseEvent(byte[] q, int start, int end) {
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
    private static boolean valueEquals(byte[] q, int start, int end, String literal) {
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
    private static void foldKey(byte[] q, int start, int end, AnnounceRequest out) {
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

    private static int indexOf(byte[] q, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (q[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(byte[] q, char c, int from) {
        for (int i = from; i >= 0; i--) {
            if (q[i] == c) {
                return i;
            }
        }
        return -1;
    }

    // ---- the same primitives on a validated query String, for InetText.parseQueryValue ----

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
}
