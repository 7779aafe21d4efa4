package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AnnounceRateLimiterTest {
    private static final byte[] A = {10, 0, 0, 1};
    private static final byte[] B = {10, 0, 0, 2};

    /** A clock the test moves by hand. */
    static final class ManualClock implements AnnounceRateLimiter.MillisClock {
        long now = 1_000_000;

        @Override
        public long nowMillis() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock();

    /** 60 a minute: one every 1,000 ms. */
    private AnnounceRateLimiter limiter(int perMinute, int burst, int slots) {
        return new AnnounceRateLimiter(perMinute, burst, slots, clock, 42);
    }

    private static int allowed(AnnounceRateLimiter l, byte[] address, int times) {
        int n = 0;
        for (int i = 0; i < times; i++) {
            if (l.tryAcquire(address, address.length)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void shouldAllowTheBurstThenRefuseWhenAnAddressAnnouncesAtOnce() {
        AnnounceRateLimiter l = limiter(60, 3, 1024);
        assertEquals(3, allowed(l, A, 10));
    }

    @Test
    void shouldLetOneAnnounceThroughPerIntervalWhenAnAddressKeepsHammering() {
        AnnounceRateLimiter l = limiter(60, 3, 1024);
        assertEquals(3, allowed(l, A, 3));
        clock.now += 999;
        assertEquals(0, allowed(l, A, 50), "refused announces must not push the next allowed time back");
        clock.now += 1;
        assertEquals(1, allowed(l, A, 50));
        clock.now += 10_000; // 10 intervals: the bucket holds only `burst`
        assertEquals(3, allowed(l, A, 50));
    }

    @Test
    void shouldRefillOneAnnouncePerIntervalWhenAnAddressIsIdle() {
        AnnounceRateLimiter l = limiter(30, 4, 1024); // one every 2,000 ms
        assertEquals(4, allowed(l, A, 4));
        clock.now += 4_000;
        assertEquals(2, allowed(l, A, 10));
    }

    @Test
    void shouldNotLimitOtherAddressesWhenOneIsOverItsLimit() {
        // The default table size: 200 busy addresses fill 0.6% of it, so no two choices are both taken.
        AnnounceRateLimiter l = limiter(60, 2, 65_536);
        assertEquals(2, allowed(l, A, 100));
        for (int i = 1; i <= 200; i++) {
            byte[] other = {(byte) 192, (byte) 168, (byte) (i >> 8), (byte) i};
            assertEquals(2, allowed(l, other, 3), "address " + i);
        }
        assertFalse(l.tryAcquire(A, 4));
    }

    @Test
    void shouldCountAnIpv6AddressByItsSlash64WhenTwoAddressesShareThePrefix() {
        AnnounceRateLimiter l = limiter(60, 2, 1024);
        byte[] host1 = new byte[16];
        byte[] host2 = new byte[16];
        byte[] otherPrefix = new byte[16];
        host1[0] = host2[0] = otherPrefix[0] = 0x20;
        host1[1] = host2[1] = otherPrefix[1] = 0x01;
        host1[15] = 1;
        host2[15] = 2;
        host2[9] = 0x55; // different interface id, same /64
        otherPrefix[7] = 1;
        otherPrefix[15] = 1;
        assertEquals(2, allowed(l, host1, 1) + allowed(l, host2, 5));
        assertEquals(2, allowed(l, otherPrefix, 5));
    }

    @Test
    void shouldShareTheOccupantsBudgetWhenTheTableIsFull() {
        AnnounceRateLimiter l = limiter(60, 3, 1); // one slot: every address collides
        assertEquals(2, allowed(l, A, 2)); // A holds the slot and is still busy (tat in the future)
        assertEquals(1, allowed(l, B, 5), "B shares A's remaining budget of one");
        assertEquals(0, allowed(l, A, 5), "B's announce was charged to the shared budget");
        clock.now += 1_000;
        assertEquals(1, allowed(l, B, 5));
    }

    @Test
    void shouldTakeOverAnIdleSlotWithAFullBudgetWhenTheTableIsFull() {
        AnnounceRateLimiter l = limiter(60, 3, 1);
        assertEquals(3, allowed(l, A, 3));
        clock.now += 3_000; // A is idle again: its bucket is full, forgetting it loses nothing
        assertEquals(3, allowed(l, B, 10));
        assertEquals(0, allowed(l, A, 1), "A now shares B's (exhausted) budget");
    }

    @Test
    void shouldKeepAHammeringAddressLimitedWhenManyOtherAddressesFillTheTable() {
        AnnounceRateLimiter l = limiter(60, 3, 1024);
        assertEquals(3, allowed(l, A, 3));
        for (int i = 0; i < 100_000; i++) {
            byte[] other = {11, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            l.tryAcquire(other, 4);
        }
        assertEquals(1024, l.slotCount(), "the table never grows");
        assertEquals(0, allowed(l, A, 10), "flooding the table from other addresses must not reset A's budget");
    }

    @Test
    void shouldAllowEverythingWhenTheLimitIsOff() {
        AnnounceRateLimiter l = AnnounceRateLimiter.create(0, 3, 1024, clock);
        assertFalse(l.enabled());
        assertEquals(10_000, allowed(l, A, 10_000));
    }

    @Test
    void shouldAllowExactlyTheBurstWhenManyThreadsRaceForOneAddress() throws Exception {
        AnnounceRateLimiter l = limiter(1, 500, 1024);
        AtomicInteger total = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                total.addAndGet(allowed(l, A, 1_000));
            });
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(500, total.get());
        assertTrue(l.enabled());
    }
}
