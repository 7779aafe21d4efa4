package dev.hayate.metrics;

/**
 * Announces per minute over the last hour, for the status page: a ring of {@link #SLOTS} per-minute counts, filled
 * by a scheduled sampler that reads the running announce total once a minute. The announce path never touches it.
 *
 * <p>Thread-safe: one sampler thread writes, admin request threads read; both synchronize on this object, at most a
 * few times a minute.
 */
public final class AnnounceHistory {
    /** One hour of one-minute slots. */
    public static final int SLOTS = 60;

    private final long[] perMinute = new long[SLOTS];
    /** Index of the oldest slot, which the next {@link #sample} overwrites. */
    private int next;

    private int filled;
    private long lastTotal;

    /** @param startTotal the announce total when counting starts (0 for a fresh process) */
    public AnnounceHistory(long startTotal) {
        this.lastTotal = startTotal;
    }

    /** Closes one minute: records {@code total} minus the total at the previous sample. */
    public synchronized void sample(long total) {
        perMinute[next] = Math.max(0, total - lastTotal);
        lastTotal = total;
        next = (next + 1) % SLOTS;
        filled = Math.min(SLOTS, filled + 1);
    }

    /** The completed minutes, oldest first; shorter than {@link #SLOTS} during the first hour. */
    public synchronized long[] minutes() {
        long[] out = new long[filled];
        int start = (next - filled + SLOTS) % SLOTS;
        for (int i = 0; i < filled; i++) {
            out[i] = perMinute[(start + i) % SLOTS];
        }
        return out;
    }

    /** Announces since the last sample: the current, unfinished minute. */
    public synchronized long currentMinute(long total) {
        return Math.max(0, total - lastTotal);
    }
}
