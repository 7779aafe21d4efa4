package dev.hayate.udp;

import java.security.SecureRandom;

/**
 * BEP 15 connection ids that are unguessable and bound to the client's address and port, with no state kept per
 * client. Allocation-free after construction.
 *
 * <pre>
 * id (64 bits) = issued(16) | mac(48)
 *   issued = issue time in seconds, low 16 bits (wraps every ~18 h; only the age is ever needed)
 *   mac    = SipHash-2-4(key, address(16) | port | address length | full issue time), low 48 bits
 * </pre>
 *
 * <p>The key is 128 random bits drawn once per process start, so ids do not survive a restart (clients simply
 * connect again). An id is valid for {@code ttlSeconds} after it was issued, exactly, from the same address and
 * port. Forging one means guessing 48 bits of a keyed MAC.
 */
final class ConnectionIds {
    private final long k0;
    private final long k1;
    private final int ttlSeconds;

    ConnectionIds(int ttlSeconds) {
        this(ttlSeconds, new SecureRandom());
    }

    ConnectionIds(int ttlSeconds, java.util.Random random) {
        if (ttlSeconds <= 0 || ttlSeconds >= 0x8000) {
            throw new IllegalArgumentException("ttlSeconds out of range: " + ttlSeconds);
        }
        this.k0 = random.nextLong();
        this.k1 = random.nextLong();
        this.ttlSeconds = ttlSeconds;
    }

    long issue(byte[] address, int addressLength, int port, long nowSeconds) {
        return ((nowSeconds & 0xFFFFL) << 48) | mac(address, addressLength, port, nowSeconds);
    }

    boolean isValid(long id, byte[] address, int addressLength, int port, long nowSeconds) {
        long issued16 = id >>> 48;
        long age = (nowSeconds - issued16) & 0xFFFFL;
        if (age > ttlSeconds) {
            return false;
        }
        long issued = nowSeconds - age;
        return (id & 0xFFFF_FFFF_FFFFL) == mac(address, addressLength, port, issued);
    }

    private long mac(byte[] address, int addressLength, int port, long issuedSeconds) {
        long a0 = 0;
        long a1 = 0;
        for (int i = 0; i < 8 && i < addressLength; i++) {
            a0 = (a0 << 8) | (address[i] & 0xFF);
        }
        for (int i = 8; i < addressLength; i++) {
            a1 = (a1 << 8) | (address[i] & 0xFF);
        }
        long a2 = ((long) (port & 0xFFFF) << 48) | ((long) addressLength << 40) | (issuedSeconds & 0xFF_FFFF_FFFFL);
        return sipHash24(k0, k1, a0, a1, a2) & 0xFFFF_FFFF_FFFFL;
    }

    /** SipHash-2-4 of three 64-bit words (24 bytes of input). */
    static long sipHash24(long k0, long k1, long m0, long m1, long m2) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        // Phases 0-2 absorb the message words, phase 3 the length word (24 << 56, no tail bytes), with two
        // SipRounds each; phase 4 is the finalisation: v2 ^= 0xff, then four SipRounds.
        for (int phase = 0; phase < 5; phase++) {
            long m = phase == 0 ? m0 : phase == 1 ? m1 : phase == 2 ? m2 : 24L << 56;
            int rounds = 2;
            if (phase < 4) {
                v3 ^= m;
            } else {
                v2 ^= 0xff;
                rounds = 4;
            }
            for (int r = 0; r < rounds; r++) {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13);
                v1 ^= v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16);
                v3 ^= v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21);
                v3 ^= v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17);
                v1 ^= v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            if (phase < 4) {
                v0 ^= m;
            }
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
