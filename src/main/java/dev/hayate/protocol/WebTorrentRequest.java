package dev.hayate.protocol;

/**
 * One WebTorrent message from a client, as {@link WebTorrentCodec#parse} read it. A flyweight: one instance per IO
 * thread, reset and refilled for every message; allocation-free after construction.
 *
 * <p>Binary strings ({@code info_hash}, {@code peer_id}, {@code to_peer_id}, {@code offer_id}) are kept as their 20
 * bytes (one byte per JSON character, ISO-8859-1). Offers and the answer are not modelled: they are byte ranges of
 * the message the codec read ({@link #offerStart}/{@link #offerEnd}, {@link #answerStart}/{@link #answerEnd}), copied
 * unchanged into what is relayed.
 */
public final class WebTorrentRequest {
    public static final int ID_LENGTH = 20;

    public enum Action {
        ANNOUNCE,
        SCRAPE
    }

    /** {@code null} until the codec has checked the message. */
    public Action action;

    public final byte[] infoHash = new byte[ID_LENGTH];
    /** {@code info_hash} was one valid 20-character string (not a list). */
    public boolean hasInfoHash;

    public final byte[] peerId = new byte[ID_LENGTH];
    public boolean hasPeerId;

    public AnnounceEvent event = AnnounceEvent.NONE;
    /** Bytes left to download; -1 when {@code left} is {@code null} or missing (unknown, so a leecher). */
    public long left = -1;

    /** Offers kept (at most {@link #maxOffers}); offers beyond are read and ignored. */
    public int offerCount;

    public final int[] offerStart;
    public final int[] offerEnd;
    /** {@code offer_id} of offer i at {@code i * 20}. */
    public final byte[] offerIds;

    /** An answer ({@code answer} with {@code to_peer_id} and {@code offer_id}) rather than an announce. */
    public boolean hasAnswer;

    public int answerStart;
    public int answerEnd;
    public final byte[] toPeerId = new byte[ID_LENGTH];
    public final byte[] offerId = new byte[ID_LENGTH];

    /** Scrape: the requested hashes at {@code i * 20}; a single {@code info_hash} string counts as a list of one. */
    public int scrapeCount;

    public final byte[] scrapeHashes;

    private final int maxOffers;
    private final int maxScrapeHashes;

    public WebTorrentRequest(int maxOffers, int maxScrapeHashes) {
        this.maxOffers = maxOffers;
        this.maxScrapeHashes = maxScrapeHashes;
        offerStart = new int[maxOffers];
        offerEnd = new int[maxOffers];
        offerIds = new byte[maxOffers * ID_LENGTH];
        scrapeHashes = new byte[maxScrapeHashes * ID_LENGTH];
    }

    public int maxOffers() {
        return maxOffers;
    }

    public int maxScrapeHashes() {
        return maxScrapeHashes;
    }

    void reset() {
        action = null;
        hasInfoHash = false;
        hasPeerId = false;
        event = AnnounceEvent.NONE;
        left = -1;
        offerCount = 0;
        hasAnswer = false;
        scrapeCount = 0;
    }

    /** A seeder: {@code left} is 0, or the peer says it completed (a WebTorrent seeder's first announce). */
    public boolean seeder() {
        return left == 0 || event == AnnounceEvent.COMPLETED;
    }
}
