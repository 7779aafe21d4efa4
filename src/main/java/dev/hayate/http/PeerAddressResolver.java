package dev.hayate.http;

import dev.hayate.config.Cidr;
import dev.hayate.protocol.InetText;
import java.net.InetAddress;
import java.util.List;

/**
 * Decides a request's peer address: the socket's, or, when the socket peer is a trusted proxy
 * ({@code http.trusted_proxies}), the rightmost {@code X-Forwarded-For} address that is not itself a trusted proxy.
 * The leftmost addresses are whatever the client wrote, so they are never trusted.
 *
 * <p>Dual-stack listeners see IPv4 clients as {@code ::ffff:a.b.c.d}; the JDK already reports those as
 * {@code Inet4Address}, and anything textual is unmapped by {@link InetText}. Allocation-free except for the first
 * request of a new IPv6 socket address (the JDK's {@code getAddress()} copies 16 bytes), which is cached per thread.
 */
final class PeerAddressResolver {
    private final Cidr[] trustedProxies;

    PeerAddressResolver(List<Cidr> trustedProxies) {
        this.trustedProxies = trustedProxies.toArray(new Cidr[0]);
    }

    /** Per-thread state: the last socket address seen and its bytes. */
    static final class State {
        InetAddress lastSocketAddress;
        final byte[] socketBytes = new byte[16];
        int socketLength;
        final byte[] forwardedBytes = new byte[16];
    }

    /**
     * Writes the peer address into {@code out} and returns its length (4 or 16).
     *
     * @param forwardedFor the X-Forwarded-For header's last value, or null
     */
    int resolve(InetAddress socketAddress, String forwardedFor, State state, byte[] out) {
        if (socketAddress != state.lastSocketAddress) {
            state.socketLength = InetText.toBytes(socketAddress, state.socketBytes);
            state.lastSocketAddress = socketAddress;
        }
        int length = state.socketLength;
        System.arraycopy(state.socketBytes, 0, out, 0, length);
        if (trustedProxies.length == 0 || forwardedFor == null || !isTrusted(out, length)) {
            return length;
        }
        // Walk X-Forwarded-For from the right; the first untrusted address is the client.
        int end = forwardedFor.length();
        while (end > 0) {
            int comma = end - 1;
            while (comma >= 0 && forwardedFor.charAt(comma) != ',') {
                comma--;
            }
            int len = InetText.parse(forwardedFor, comma + 1, end, state.forwardedBytes);
            if (len == 0) {
                break; // garbage: fall back to the last good hop
            }
            System.arraycopy(state.forwardedBytes, 0, out, 0, len);
            length = len;
            if (!isTrusted(out, len)) {
                return len;
            }
            end = comma;
        }
        return length;
    }

    private boolean isTrusted(byte[] address, int length) {
        for (Cidr c : trustedProxies) {
            if (c.contains(address, length)) {
                return true;
            }
        }
        return false;
    }
}
