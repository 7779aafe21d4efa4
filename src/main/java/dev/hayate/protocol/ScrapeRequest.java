package dev.hayate.protocol;

/**
 * The info_hashes of one scrape (BEP 48 over HTTP, BEP 15 over UDP), in request order, possibly repeated. A
 * reusable flyweight; allocation-free after construction.
 */
public final class ScrapeRequest {
    public final byte[] infoHashes;
    public int count;
    public final int maxHashes;

    public ScrapeRequest(int maxHashes) {
        this.maxHashes = maxHashes;
        this.infoHashes = new byte[maxHashes * AnnounceRequest.INFO_HASH_LENGTH];
    }

    public void reset() {
        count = 0;
    }

    public int offsetOf(int index) {
        return index * AnnounceRequest.INFO_HASH_LENGTH;
    }
}
