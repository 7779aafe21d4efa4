package dev.hayate.protocol;

import java.nio.charset.StandardCharsets;

/**
 * A client's mistake, as a value (BEP 3 {@code failure reason}). Each reason's bencoded HTTP body is encoded once,
 * here, so answering a failure allocates nothing. The text is also what a BEP 15 error packet carries.
 */
public enum FailureReason {
    MISSING_INFO_HASH("missing info_hash"),
    INVALID_INFO_HASH("invalid info_hash: must be 20 bytes"),
    MISSING_PEER_ID("missing peer_id"),
    INVALID_PEER_ID("invalid peer_id: must be 20 bytes"),
    MISSING_PORT("missing port"),
    INVALID_PORT("invalid port: must be 1-65535"),
    INVALID_NUMBER("invalid number: uploaded, downloaded, left and numwant must be non-negative integers"),
    INVALID_EVENT("invalid event: must be started, completed, stopped or empty"),
    INVALID_IP("invalid ip"),
    MALFORMED_QUERY("malformed query: bad percent escape"),
    QUERY_TOO_LONG("query too long"),
    TOO_MANY_INFO_HASHES("too many info_hash values in one scrape"),
    PEER_ID_IN_USE("peer_id in use from another address: send the same key to move it"),
    TRACKER_FULL("tracker is full"),
    NOT_FOUND("not found: use /announce or /scrape"),
    METHOD_NOT_ALLOWED("method not allowed: use GET"),
    INTERNAL_ERROR("internal error"),
    TORRENT_NOT_ALLOWED("torrent not allowed on this tracker"),
    /** Over {@code limits.announces_per_minute_per_address}; HTTP adds {@code min interval}, see below. */
    RATE_LIMITED("rate limited");

    private final String text;
    private final byte[] textBytes;
    private final byte[] httpBody;

    FailureReason(String text) {
        this.text = text;
        this.textBytes = text.getBytes(StandardCharsets.US_ASCII);
        this.httpBody =
                ("d14:failure reason" + textBytes.length + ":" + text + "e").getBytes(StandardCharsets.US_ASCII);
    }

    public String text() {
        return text;
    }

    /** The text as ASCII bytes (for a BEP 15 error packet). Do not modify. */
    public byte[] textBytes() {
        return textBytes;
    }

    /**
     * {@code d14:failure reason<len>:<text>12:min intervali<seconds>ee}: the failure with a {@code min interval} a
     * client should wait before it announces again (keys in raw byte order, BEP 3). Built once, at start-up.
     */
    public byte[] httpBodyWithMinInterval(int minIntervalSeconds) {
        return ("d14:failure reason" + textBytes.length + ":" + text + "12:min intervali" + minIntervalSeconds + "ee")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The whole bencoded HTTP body, {@code d14:failure reason<len>:<text>e}. Do not modify. */
    public byte[] httpBody() {
        return httpBody;
    }
}
