package dev.hayate.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AnnounceHistoryTest {

    @Test
    void shouldRecordTheDifferenceBetweenSamplesWhenMinutesClose() {
        AnnounceHistory h = new AnnounceHistory(100);
        h.sample(130);
        h.sample(130);
        h.sample(175);
        assertArrayEquals(new long[] {30, 0, 45}, h.minutes());
        assertEquals(5, h.currentMinute(180));
    }

    @Test
    void shouldKeepOnlyTheLastHourWhenMoreThanSixtyMinutesPass() {
        AnnounceHistory h = new AnnounceHistory(0);
        long total = 0;
        for (int minute = 1; minute <= 75; minute++) {
            total += minute;
            h.sample(total);
        }
        long[] m = h.minutes();
        assertEquals(AnnounceHistory.SLOTS, m.length);
        assertEquals(16, m[0]);
        assertEquals(75, m[59]);
    }
}
