package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.openhft.chronicle.algo.hashing.LongHashFunction;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.AbstractData;
import net.openhft.chronicle.hash.Data;
import org.junit.jupiter.api.Test;

/**
 * The access's own hash and comparison must agree with Chronicle's defaults byte for byte: a persisted store placed
 * its keys with the default hash, and a different hash would lose every key of a reopened store.
 */
class ReusedByteArrayAccessTest {

    /** Chronicle's default {@link Data#hash} and {@link Data#equivalent}, over a plain wrapper of the same bytes. */
    private static Data<byte[]> defaults(byte[] b) {
        BytesStore<?, ?> w = BytesStore.wrap(b.clone());
        return new AbstractData<>() {
            @Override
            public RandomDataInput bytes() {
                return w;
            }

            @Override
            public long offset() {
                return 0;
            }

            @Override
            public long size() {
                return b.length;
            }

            @Override
            public byte[] get() {
                return b;
            }

            @Override
            public byte[] getUsing(byte[] using) {
                return b;
            }
        };
    }

    @Test
    void shouldHashAndCompareAsChronicleDefaultsWhenKeysAreAnySize() {
        Random random = new Random(7);
        ReusedByteArrayAccess access = new ReusedByteArrayAccess();
        LongHashFunction[] functions = {LongHashFunction.xx_r39(), LongHashFunction.xx_r39(12345)};
        for (int k = 0; k < 20_000; k++) {
            byte[] key = new byte[k % 3 == 0 ? 20 : k % 3 == 1 ? 24 : 1 + k % 41];
            random.nextBytes(key);
            Data<byte[]> mine = access.getData(key);
            Data<byte[]> reference = defaults(key);
            for (LongHashFunction f : functions) {
                assertEquals(reference.hash(f), mine.hash(f), "hash of a " + key.length + "-byte key");
            }
            assertTrue(mine.equivalent(reference.bytes(), 0));
            byte[] other = key.clone();
            other[random.nextInt(other.length)] ^= (byte) (1 << random.nextInt(8));
            assertFalse(mine.equivalent(BytesStore.wrap(other), 0), "one bit differs");
        }
    }
}
