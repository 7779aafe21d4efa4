package dev.hayate.protocol;

/**
 * One BEP 15 request, as parsed by {@link UdpCodec#parse}. A reusable flyweight owned by one receive loop;
 * allocation-free after construction.
 */
public final class UdpRequest {
    /** Most URLData bytes kept from BEP 41 options; longer data is cut (it is informational only). */
    public static final int MAX_URL_DATA_LENGTH = 1024;

    public int action;
    public long connectionId;
    public int transactionId;
    public final AnnounceRequest announce = new AnnounceRequest();
    public final ScrapeRequest scrape;
    /** BEP 41 URLData, concatenated (path and query of the announce URL, e.g. "/" or "/announce?passkey"). */
    public final byte[] urlData = new byte[MAX_URL_DATA_LENGTH];

    public int urlDataLength;

    public UdpRequest(int maxScrapeHashes) {
        scrape = new ScrapeRequest(maxScrapeHashes);
    }

    void reset() {
        action = -1;
        connectionId = 0;
        transactionId = 0;
        urlDataLength = 0;
        announce.reset();
        scrape.reset();
    }
}
