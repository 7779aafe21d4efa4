package dev.hayate.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An address block, IPv4 (4-byte network) or IPv6 (16-byte network). IPv4-mapped IPv6 blocks are stored as IPv4.
 */
public record Cidr(byte[] network, int prefixLength) {

    public Cidr {
        network = network.clone();
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    /** True when {@code address[0..length)} (4 or 16 bytes) lies in this block. Allocation-free. */
    public boolean contains(byte[] address, int length) {
        if (length != network.length) {
            return false;
        }
        int fullBytes = prefixLength >>> 3;
        for (int i = 0; i < fullBytes; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int restBits = prefixLength & 7;
        if (restBits == 0) {
            return true;
        }
        int mask = (0xFF << (8 - restBits)) & 0xFF;
        return (address[fullBytes] & mask) == (network[fullBytes] & mask);
    }

    /** Parses {@code a.b.c.d/n} or {@code x::y/n}; a bare address is a /32 or /128. Never does a DNS lookup. */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addressText = slash < 0 ? s : s.substring(0, slash);
        byte[] address = parseLiteral(addressText);
        int max = address.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid CIDR prefix in '" + text + "'");
            }
            if (address.length == 4 && addressText.contains(":")) {
                prefix -= 96; // ::ffff:a.b.c.d/120 -> a.b.c.d/24
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("CIDR prefix out of range in '" + text + "'");
            }
        }
        return new Cidr(address, prefix);
    }

    /** Parses an IP literal (never a host name) to 4 or 16 bytes, unmapping ::ffff:a.b.c.d to 4 bytes. */
    public static byte[] parseLiteral(String text) {
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.isEmpty() || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            throw new IllegalArgumentException("not an IP address literal: '" + text + "'");
        }
        try {
            // getByName does no lookup for a literal, and the check above admits literals only.
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address literal: '" + text + "'");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
