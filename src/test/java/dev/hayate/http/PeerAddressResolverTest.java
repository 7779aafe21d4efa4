package dev.hayate.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hayate.config.Cidr;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerAddressResolverTest {
    private final byte[] out = new byte[16];

    private byte[] resolve(PeerAddressResolver r, String socket, String xff) throws Exception {
        int len = r.resolve(InetAddress.getByName(socket), xff, new PeerAddressResolver.State(), out);
        return Arrays.copyOf(out, len);
    }

    @Test
    void shouldUnmapIpv4WhenADualStackSocketReportsAMappedAddress() throws Exception {
        PeerAddressResolver r = new PeerAddressResolver(List.of());
        // The JDK hands a dual-stack listener's IPv4 clients over as Inet4Address already; both paths give 4 bytes.
        assertArrayEquals(new byte[] {10, 1, 2, 3}, resolve(r, "::ffff:10.1.2.3", null));
        assertArrayEquals(new byte[] {10, 1, 2, 3}, resolve(r, "10.1.2.3", null));
        assertEquals(16, resolve(r, "2001:db8::1", null).length);
    }

    @Test
    void shouldIgnoreForwardedForWhenTheSenderIsNotATrustedProxy() throws Exception {
        PeerAddressResolver r = new PeerAddressResolver(List.of(Cidr.parse("10.0.0.0/8")));
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, resolve(r, "192.0.2.1", "203.0.113.9"));
    }

    @Test
    void shouldTakeTheRightmostUntrustedHopWhenProxiesChain() throws Exception {
        PeerAddressResolver r =
                new PeerAddressResolver(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8:ffff::/48")));
        assertArrayEquals(
                new byte[] {(byte) 203, 0, 113, 9},
                resolve(r, "10.0.0.1", "6.6.6.6, 203.0.113.9, 10.9.9.9"),
                "client-written leftmost is ignored");
        assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7}, resolve(r, "10.0.0.1", " ::ffff:198.51.100.7 "));
        byte[] v6 = resolve(r, "2001:db8:ffff::2", "[2001:db8::5]");
        assertEquals(16, v6.length);
        assertEquals(5, v6[15]);
        // Every hop trusted: the leftmost is the best we know.
        assertArrayEquals(new byte[] {10, 2, 2, 2}, resolve(r, "10.0.0.1", "10.2.2.2, 10.3.3.3"));
        // Garbage stops the walk at the last good hop.
        assertArrayEquals(new byte[] {10, 0, 0, 1}, resolve(r, "10.0.0.1", "evil.example"));
    }
}
