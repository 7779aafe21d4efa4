package dev.hayate.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConnectionIdsTest {
    private static final byte[] V4 = {(byte) 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] V6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    @Test
    void shouldAcceptAnIdWhenTheSameAddressAndPortUseItWithinTheTtl() {
        ConnectionIds ids = new ConnectionIds(120, new Random(1));
        long now = 1_800_000_000L;
        long id = ids.issue(V4, 4, 6881, now);
        assertTrue(ids.isValid(id, V4, 4, 6881, now));
        assertTrue(ids.isValid(id, V4, 4, 6881, now + 120));
        long id6 = ids.issue(V6, 16, 6881, now);
        assertTrue(ids.isValid(id6, V6, 16, 6881, now + 60));
    }

    @Test
    void shouldRejectAnIdWhenItHasExpiredOrComesFromTheFuture() {
        ConnectionIds ids = new ConnectionIds(120, new Random(2));
        long now = 1_800_000_000L;
        long id = ids.issue(V4, 4, 6881, now);
        assertFalse(ids.isValid(id, V4, 4, 6881, now + 121));
        assertFalse(ids.isValid(id, V4, 4, 6881, now + 65_536), "a wrapped timestamp still fails the MAC");
        assertFalse(ids.isValid(id, V4, 4, 6881, now - 1));
    }

    @Test
    void shouldRejectAnIdWhenAnotherAddressOrPortPresentsIt() {
        ConnectionIds ids = new ConnectionIds(120, new Random(3));
        long now = 1_800_000_000L;
        long id = ids.issue(V4, 4, 6881, now);
        assertFalse(ids.isValid(id, V4, 4, 6882, now));
        byte[] other = V4.clone();
        other[3] = 2;
        assertFalse(ids.isValid(id, other, 4, 6881, now));
        assertFalse(ids.isValid(id, V4, 16, 6881, now), "same leading bytes, other family");
    }

    @Test
    void shouldNotAcceptForgedIdsWhenTheyAreGuessed() {
        ConnectionIds ids = new ConnectionIds(120, new Random(4));
        ConnectionIds otherProcess = new ConnectionIds(120, new Random(5));
        long now = 1_800_000_000L;
        assertNotEquals(ids.issue(V4, 4, 1, now), otherProcess.issue(V4, 4, 1, now), "keys differ per process");
        Random r = new Random(6);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            if (ids.isValid(r.nextLong(), V4, 4, 6881, now)) {
                accepted++;
            }
        }
        assertEquals(0, accepted);
        Set<Long> seen = new HashSet<>();
        for (int port = 1; port <= 10_000; port++) {
            seen.add(ids.issue(V4, 4, port, now));
        }
        assertEquals(10_000, seen.size());
    }

    @Test
    void shouldMatchTheSipHashReferenceWhenKeyedWithZeroToFifteen() {
        // SipHash-2-4 reference vector for the 24-byte message 00 01 .. 17 with key 00 01 .. 0f
        // (Aumasson & Bernstein), as a 64-bit little-endian word; also cross-checked against the published
        // vectors for the empty and 15-byte messages with an independent implementation.
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        long m0 = 0x0706050403020100L;
        long m1 = 0x0f0e0d0c0b0a0908L;
        long m2 = 0x1716151413121110L;
        assertEquals(0xb8ad50c6f649af94L, ConnectionIds.sipHash24(k0, k1, m0, m1, m2));
    }

    /**
     * The id binds every bit of the address and port (BEP 15: it proves the sender owns its source address): an id
     * issued to one client is refused for any address or port that differs from it in a single bit.
     */
    @Test
    void shouldRejectAnIdWhenAnyOneBitOfTheAddressOrPortDiffers() {
        ConnectionIds ids = new ConnectionIds(120, new Random(7));
        long now = 1_800_000_000L;
        for (byte[] address : new byte[][] {V4, V6}) {
            int length = address == V4 ? 4 : 16;
            long id = ids.issue(address, length, 6881, now);
            assertTrue(ids.isValid(id, address, length, 6881, now));
            for (int bit = 0; bit < length * 8; bit++) {
                byte[] other = address.clone();
                other[bit >>> 3] ^= (byte) (0x80 >>> (bit & 7));
                assertFalse(ids.isValid(id, other, length, 6881, now), "address bit " + bit + " of " + length);
            }
            for (int bit = 0; bit < 16; bit++) {
                assertFalse(ids.isValid(id, address, length, 6881 ^ (1 << bit), now), "port bit " + bit);
            }
        }
    }

    @Test
    void shouldRefuseATtlOutsideOneToOneLessThan32768WhenConstructed() {
        new ConnectionIds(1, new Random(8));
        new ConnectionIds(0x7FFF, new Random(8));
        for (int bad : new int[] {0, -1, 0x8000}) {
            assertThrows(IllegalArgumentException.class, () -> new ConnectionIds(bad, new Random(8)), "ttl " + bad);
        }
    }

    @Test
    void shouldBindTheAddressLengthWhenAnIpv6AddressHoldsTheSameBytes() {
        ConnectionIds ids = new ConnectionIds(120, new Random(9));
        long now = 1_800_000_000L;
        byte[] v4 = {1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        long id = ids.issue(v4, 4, 6881, now);
        // ::102:304:0:0:0:0 folds to the same 64-bit words as 1.2.3.4; only the length tells them apart.
        byte[] v6 = {0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0};
        assertFalse(ids.isValid(id, v6, 16, 6881, now));
    }

    @Test
    void shouldIgnoreScratchBytesPastTheAddressWhenTheBufferIsReused() {
        // The receive loop reuses one 16-byte buffer: after an IPv6 sender, an IPv4 sender's bytes 4..15 are stale.
        ConnectionIds ids = new ConnectionIds(120, new Random(10));
        long now = 1_800_000_000L;
        byte[] clean = {(byte) 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        byte[] stale = {(byte) 192, 0, 2, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
        long id = ids.issue(clean, 4, 6881, now);
        assertTrue(ids.isValid(id, stale, 4, 6881, now));
    }
}
