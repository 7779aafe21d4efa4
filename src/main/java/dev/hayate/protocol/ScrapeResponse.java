package dev.hayate.protocol;

/**
 * Counts for each hash of a {@link ScrapeRequest}, parallel to it by index. Allocation-free after construction.
 */
public final class ScrapeResponse {
    public final int[] complete;
    public final int[] downloaded;
    public final int[] incomplete;
    public int count;

    public ScrapeResponse(int maxHashes) {
        complete = new int[maxHashes];
        downloaded = new int[maxHashes];
        incomplete = new int[maxHashes];
    }

    public void reset() {
        count = 0;
    }
}
