package dev.hayate.swarm;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per-address announce rate limit ({@code limits.announces_per_minute_per_address},
 * {@code limits.announce_burst_per_address}, {@code limits.address_slots}). Every adapter (HTTP, UDP, and the
 * WebSocket adapter) calls {@link #tryAcquire} once per announce it is about to apply, after the request parsed and
 * passed the access list and before the store is touched; {@code false} means "answer rate limited and change
 * nothing". One limiter is shared by all adapters, so an address has one budget whatever protocol it uses.
 *
 * <p><b>Algorithm.</b> GCRA (the generic cell rate algorithm, a token bucket kept as one number): each address has a
 * theoretical arrival time {@code tat}. An announce at {@code now} is allowed when {@code max(tat, now) - now <=
 * (burst - 1) * T}, where {@code T = 60,000 ms / rate}; it then sets {@code tat = max(tat, now) + T}. So an address
 * idle for {@code burst * T} may send {@code burst} announces at once and then one every {@code T}. A refused
 * announce changes nothing, so a client that keeps hammering still gets exactly the configured rate through.
 *
 * <p><b>Addresses.</b> IPv4 by its 4 bytes; IPv6 by its /64 prefix (the first 8 bytes): a subscriber is usually given
 * a whole /64, so keying by the full 128 bits would let one host pick a fresh address per announce.
 *
 * <p><b>Fixed-size table.</b> {@code address_slots} 64-bit words in one {@link AtomicLongArray} (8 bytes each, 512 KiB
 * at the default 65,536), allocated once: memory does not grow with the number of addresses an attacker uses. Each word
 * is {@code fingerprint(24 bits) | tat(40 bits, ms since start)}. An address hashes (keyed with a secret per-process
 * seed, so collisions cannot be aimed) to two slots and a 24-bit fingerprint:
 *
 * <ol>
 *   <li>a slot holding its fingerprint is its own;
 *   <li>otherwise it takes over a slot whose occupant is idle ({@code tat <= now}: that occupant's budget is full
 *       again, so forgetting it loses nothing);
 *   <li>otherwise (both slots held by addresses that announced within their last {@code T}..{@code burst * T}: the table
 *       is full around it) it <em>shares</em> the budget of the less loaded of the two, without taking it over.
 * </ol>
 *
 * So when the table is full, colliding addresses share a budget: an address is refused wrongly only when both of its
 * slots belong to addresses that are themselves at their limit. Nobody is let through unlimited: filling the table
 * from many addresses never switches the limit off.
 *
 * <p><b>Threads.</b> Lock-free: one {@code compareAndSet} per allowed announce (retried on contention), called
 * concurrently by the IO threads and the UDP receive loops. Allocation-free after construction.
 */
public final class AnnounceRateLimiter {

    /** A monotonic millisecond clock; tests inject their own. */
    @FunctionalInterface
    public interface MillisClock {
        long nowMillis();
    }

    /** {@link System#nanoTime()} in milliseconds: monotonic, so a wall-clock step never locks addresses out. */
    public static final MillisClock SYSTEM_CLOCK = () -> System.nanoTime() / 1_000_000L;

    /** Allows everything ({@code limits.announces_per_minute_per_address=0}). */
    public static final AnnounceRateLimiter OFF = new AnnounceRateLimiter();

    private static final int TAT_BITS = 40;
    private static final long TAT_MASK = (1L << TAT_BITS) - 1;
    private static final int FINGERPRINT_MASK = (1 << (64 - TAT_BITS)) - 1;

    private final boolean enabled;
    private final AtomicLongArray slots;
    private final int mask;
    private final long emissionMillis;
    private final long toleranceMillis;
    private final MillisClock clock;
    private final long epochMillis;
    private final long seed;

    private AnnounceRateLimiter() {
        enabled = false;
        slots = new AtomicLongArray(1);
        mask = 0;
        emissionMillis = 0;
        toleranceMillis = 0;
        clock = SYSTEM_CLOCK;
        epochMillis = 0;
        seed = 0;
    }

    /**
     * @param announcesPerMinute the steady rate per address, 1..60,000 ({@code T} is rounded to whole milliseconds)
     * @param burst announces an idle address may send at once, at least 1
     * @param slotCount table entries, a power of two
     * @param clock a monotonic millisecond clock
     * @param seed keys the address hash
     */
    AnnounceRateLimiter(int announcesPerMinute, int burst, int slotCount, MillisClock clock, long seed) {
        if (announcesPerMinute < 1 || burst < 1 || Integer.bitCount(slotCount) != 1) {
            throw new IllegalArgumentException(
                    "rate " + announcesPerMinute + ", burst " + burst + ", slots " + slotCount);
        }
        this.enabled = true;
        this.slots = new AtomicLongArray(slotCount);
        this.mask = slotCount - 1;
        this.emissionMillis = Math.max(1, Math.round(60_000.0 / announcesPerMinute));
        this.toleranceMillis = (burst - 1) * emissionMillis;
        this.clock = clock;
        // tat 0 (an empty slot) must read as idle: times start at 1.
        this.epochMillis = clock.nowMillis() - 1;
        this.seed = seed;
    }

    /**
     * The limiter the config asks for: {@link #OFF} when {@code announcesPerMinute} is 0.
     *
     * @param clock {@link #SYSTEM_CLOCK} outside tests
     */
    public static AnnounceRateLimiter create(int announcesPerMinute, int burst, int slotCount, MillisClock clock) {
        if (announcesPerMinute == 0) {
            return OFF;
        }
        return new AnnounceRateLimiter(announcesPerMinute, burst, slotCount, clock, new SecureRandom().nextLong());
    }

    public boolean enabled() {
        return enabled;
    }

    /** Table entries; fixed at construction (1 when off). */
    public int slotCount() {
        return slots.length();
    }

    /** Milliseconds between announces at the steady rate ({@code T}); 0 when off. */
    public long emissionMillis() {
        return emissionMillis;
    }

    /**
     * Charges one announce to {@code address} and says whether it may go ahead. Allocation-free, lock-free.
     *
     * @param address 4 (IPv4) or 16 (IPv6) bytes, as the adapters resolve them (the forwarded address behind a trusted
     *     proxy)
     * @return {@code false}: over the limit; nothing was charged
     */
    public boolean tryAcquire(byte[] address, int addressLength) {
        if (!enabled) {
            return true;
        }
        long now = clock.nowMillis() - epochMillis;
        long h = hash(address, addressLength);
        int fingerprint = (int) (h >>> 40) & FINGERPRINT_MASK;
        int i1 = (int) h & mask;
        int i2 = (int) (h >>> 20) & mask;
        while (true) {
            long w1 = slots.get(i1);
            long w2 = slots.get(i2);
            int index;
            long word;
            int owner = fingerprint;
            if (fingerprintOf(w1) == fingerprint) {
                index = i1;
                word = w1;
            } else if (fingerprintOf(w2) == fingerprint) {
                index = i2;
                word = w2;
            } else if (tatOf(w1) <= now) {
                index = i1;
                word = w1; // idle occupant: take the slot over
            } else if (tatOf(w2) <= now) {
                index = i2;
                word = w2;
            } else {
                // Both slots busy: share the less loaded budget, keeping its occupant.
                boolean first = tatOf(w1) <= tatOf(w2);
                index = first ? i1 : i2;
                word = first ? w1 : w2;
                owner = fingerprintOf(word);
            }
            long tat = Math.max(tatOf(word), now);
            if (tat - now > toleranceMillis) {
                return false;
            }
            long next = (long) owner << TAT_BITS | ((tat + emissionMillis) & TAT_MASK);
            if (slots.compareAndSet(index, word, next)) {
                return true;
            }
        }
    }

    private static long tatOf(long word) {
        return word & TAT_MASK;
    }

    private static int fingerprintOf(long word) {
        return (int) (word >>> TAT_BITS);
    }

    /**
     * IPv4: the 4 bytes; IPv6: the /64. Keyed with the seed, then mixed (murmur3's fmix64). Two keys may still meet in
     * a slot with the same fingerprint (about one in 2^24 of the collisions): they then share a budget.
     */
    private long hash(byte[] address, int addressLength) {
        long x;
        if (addressLength == 4) {
            x = (address[0] & 0xFFL) << 24
                    | (address[1] & 0xFFL) << 16
                    | (address[2] & 0xFFL) << 8
                    | (address[3] & 0xFFL);
            x |= 4L << 32;
        } else {
            x = 0;
            for (int i = 0; i < 8; i++) {
                x = x << 8 | (address[i] & 0xFFL);
            }
            x = Long.rotateLeft(x, 17) ^ 0x6A09E667F3BCC909L;
        }
        x ^= seed;
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return x;
    }
}
