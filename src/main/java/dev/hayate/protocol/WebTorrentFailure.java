package dev.hayate.protocol;

/**
 * A WebTorrent client's mistake, answered with a {@code failure reason} frame ({@link WebTorrentCodec#writeFailure}).
 * A value, not an exception. The texts are constants: nothing from a message is ever reflected in a failure, except
 * the {@code info_hash} echo the client needs to match the failure to its torrent.
 */
public enum WebTorrentFailure {
    /** Not JSON, trailing garbage, over the nesting limit, or not UTF-8. */
    INVALID_JSON("invalid message: not a JSON object"),
    /** {@code action} missing, not a string, or not {@code announce}/{@code scrape}. */
    INVALID_ACTION("invalid action"),
    /** Missing, not a string, not 20 characters, or a character above U+00FF. */
    INVALID_INFO_HASH("invalid info_hash"),
    INVALID_PEER_ID("invalid peer_id"),
    INVALID_EVENT("invalid event"),
    INVALID_LEFT("invalid left"),
    INVALID_OFFERS("invalid offers"),
    INVALID_ANSWER("invalid answer"),
    INVALID_TO_PEER_ID("invalid to_peer_id"),
    INVALID_OFFER_ID("invalid offer_id"),
    TOO_MANY_INFO_HASHES("too many info_hash values"),
    /** A scrape without {@code info_hash}: a full scrape is not offered (as over HTTP). */
    FULL_SCRAPE_NOT_OFFERED("full scrape is not offered"),
    /** {@code access.mode} refuses the torrent. */
    TORRENT_NOT_ALLOWED("torrent not allowed on this tracker"),
    /** An answer whose {@code to_peer_id} is not (or no longer) in the swarm: the answer is dropped. */
    UNKNOWN_PEER("unknown to_peer_id"),
    /** {@code ws.max_peers} WebTorrent peers are in the swarms already: a new one is refused. */
    TRACKER_FULL("tracker is full"),
    /** The peer_id is announced from another open socket of another address (it may move only when that closes). */
    PEER_ID_IN_USE("peer_id in use by another connection"),
    /** One socket announced more torrents than {@code ws.max_torrents_per_connection}. */
    TOO_MANY_TORRENTS("too many torrents on one connection"),
    /** A bug on our side, logged; the client is told and the socket stays open. */
    INTERNAL_ERROR("internal error");

    private final String text;

    WebTorrentFailure(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}
