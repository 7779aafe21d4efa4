package dev.hayate.protocol;

/**
 * The one parser of textual IP addresses, by hand and allocation-free, for both places an address arrives as text:
 *
 * <ul>
 *   <li>{@link #parse}: plain text, such as an {@code X-Forwarded-For} entry. Surrounding spaces are ignored, and the
 *       whole address may be in {@code [brackets]}; a port is not an address.
 *   <li>{@link #parseQueryValue}: the value of an announce's {@code ip}, {@code ipv4} or {@code ipv6} parameter (BEP 3,
 *       BEP 7), read straight from the still percent-encoded query (any character may be a {@code %XX} escape). BEP 7
 *       allows an endpoint, so {@code a.b.c.d:port} and {@code [v6]:port} are accepted and the port ignored.
 * </ul>
 *
 * <p>Accepted addresses: a dotted quad ({@code 1.2.3.4}); RFC 4291 section 2.2 IPv6 with {@code ::} compression and an
 * optional dotted-quad tail. A v4-mapped address ({@code ::ffff:a.b.c.d}) is returned as its 4 bytes. A host name, a
 * zone id or anything else is not an address (the result is 0): nothing is ever resolved.
 */
public final class InetText {
    public static final int IPV4_LENGTH = 4;
    public static final int IPV6_LENGTH = 16;

    private static final int IPV6_GROUPS = 8;

    private InetText() {}

    /**
     * Parses plain text {@code s[from, to)} into {@code out} (at least 16 bytes).
     *
     * @return 4 or 16, the address length written, or 0 when the text is not an IP literal (then {@code out} may hold
     *     scratch bytes)
     */
    public static int parse(CharSequence s, int from, int to, byte[] out) {
        while (from < to && s.charAt(from) == ' ') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == ' ') {
            to--;
        }
        return parse(s, from, to, false, out);
    }

    /**
     * Parses {@code q[start, end)} of a percent-encoded query (escapes already validated by the scanner) into
     * {@code dest}; an endpoint's {@code :port} is accepted and ignored.
     *
     * @return 4 or 16, or 0 when the value is not an address
     */
    static int parseQueryValue(String q, int start, int end, byte[] dest) {
        return parse(q, start, end, true, dest);
    }

    /**
     * @param encoded {@code s} is a percent-encoded query: read it escape by escape, and allow an endpoint's port;
     *     otherwise plain text, no port
     */
    private static int parse(CharSequence s, int start, int end, boolean encoded, byte[] dest) {
        if (start >= end) {
            return 0;
        }
        if (byteAt(s, start, encoded) == '[') {
            int close = find(s, start, end, ']', encoded);
            if (close < 0) {
                return 0;
            }
            int after = close + widthAt(s, close, encoded);
            if (after != end && !(encoded && isPortSuffix(s, after, end, encoded))) {
                return 0;
            }
            return parseV6(s, start + widthAt(s, start, encoded), close, encoded, dest);
        }
        int colon = find(s, start, end, ':', encoded);
        if (colon < 0) {
            return parseV4(s, start, end, encoded, dest, 0) ? IPV4_LENGTH : 0;
        }
        int secondColon = find(s, colon + widthAt(s, colon, encoded), end, ':', encoded);
        if (secondColon < 0) {
            // One colon is never IPv6; as a query value it may be a.b.c.d:port.
            return encoded && isPortSuffix(s, colon, end, encoded) && parseV4(s, start, colon, encoded, dest, 0)
                    ? IPV4_LENGTH
                    : 0;
        }
        return parseV6(s, start, end, encoded, dest);
    }

    /** The byte at {@code i}: the decoded {@code %XX} escape (or {@code +} as a space) when encoded. */
    private static int byteAt(CharSequence s, int i, boolean encoded) {
        return encoded ? QueryScanner.byteAt((String) s, i) : s.charAt(i);
    }

    /** How many chars the byte at {@code i} spans: 3 for an escape, else 1. */
    private static int widthAt(CharSequence s, int i, boolean encoded) {
        return encoded ? QueryScanner.widthAt((String) s, i) : 1;
    }

    private static int find(CharSequence s, int start, int end, int b, boolean encoded) {
        for (int i = start; i < end; i += widthAt(s, i, encoded)) {
            if (byteAt(s, i, encoded) == b) {
                return i;
            }
        }
        return -1;
    }

    /** {@code :} then 1-5 digits up to {@code end}. */
    private static boolean isPortSuffix(CharSequence s, int colon, int end, boolean encoded) {
        if (byteAt(s, colon, encoded) != ':') {
            return false;
        }
        int digits = 0;
        for (int i = colon + widthAt(s, colon, encoded); i < end; i += widthAt(s, i, encoded)) {
            int b = byteAt(s, i, encoded);
            if (b < '0' || b > '9' || ++digits > 5) {
                return false;
            }
        }
        return digits > 0;
    }

    /** A dotted quad filling {@code s[start, end)} exactly, written to {@code dest[offset..offset+4)}. */
    private static boolean parseV4(CharSequence s, int start, int end, boolean encoded, byte[] dest, int offset) {
        int i = start;
        for (int part = 0; part < IPV4_LENGTH; part++) {
            if (part > 0) {
                if (i >= end || byteAt(s, i, encoded) != '.') {
                    return false;
                }
                i += widthAt(s, i, encoded);
            }
            int value = 0;
            int digits = 0;
            while (i < end) {
                int digit = byteAt(s, i, encoded) - '0';
                if (digit < 0 || digit > 9) {
                    break;
                }
                value = value * 10 + digit;
                if (++digits > 3 || value > 255) {
                    return false;
                }
                i += widthAt(s, i, encoded);
            }
            if (digits == 0) {
                return false;
            }
            dest[offset + part] = (byte) value;
        }
        return i == end;
    }

    /** RFC 4291 section 2.2 text forms filling {@code s[start, end)} exactly. */
    private static int parseV6(CharSequence s, int start, int end, boolean encoded, byte[] dest) {
        int i = start;
        if (i >= end) {
            return 0;
        }
        int groups = 0;
        int gap = -1;
        if (byteAt(s, i, encoded) == ':') {
            i += widthAt(s, i, encoded);
            if (i >= end || byteAt(s, i, encoded) != ':') {
                return 0;
            }
            i += widthAt(s, i, encoded);
            gap = 0;
        }
        while (i < end) {
            int groupStart = i;
            int value = 0;
            int digits = 0;
            while (i < end) {
                int nibble = hexValue(byteAt(s, i, encoded));
                if (nibble < 0) {
                    break;
                }
                value = (value << 4) | nibble;
                if (++digits > 4) {
                    return 0;
                }
                i += widthAt(s, i, encoded);
            }
            if (i < end && byteAt(s, i, encoded) == '.') {
                // An embedded dotted quad: the rest of the text, the last 32 bits.
                if (groups > IPV6_GROUPS - 2 || !parseV4(s, groupStart, end, encoded, dest, groups * 2)) {
                    return 0;
                }
                groups += 2;
                break;
            }
            if (digits == 0 || groups == IPV6_GROUPS) {
                return 0;
            }
            dest[groups * 2] = (byte) (value >>> 8);
            dest[groups * 2 + 1] = (byte) value;
            groups++;
            if (i == end) {
                break;
            }
            if (byteAt(s, i, encoded) != ':') {
                return 0;
            }
            i += widthAt(s, i, encoded);
            if (i >= end) {
                return 0; // a trailing single ':'
            }
            if (byteAt(s, i, encoded) == ':') {
                if (gap >= 0) {
                    return 0; // a second "::"
                }
                gap = groups;
                i += widthAt(s, i, encoded);
            }
        }
        if (gap < 0) {
            if (groups != IPV6_GROUPS) {
                return 0;
            }
        } else {
            if (groups >= IPV6_GROUPS) {
                return 0;
            }
            int tailBytes = (groups - gap) * 2;
            System.arraycopy(dest, gap * 2, dest, IPV6_LENGTH - tailBytes, tailBytes);
            for (int b = gap * 2; b < IPV6_LENGTH - tailBytes; b++) {
                dest[b] = 0;
            }
        }
        return unmapV4(dest);
    }

    private static int hexValue(int b) {
        return b > 0x7F ? -1 : QueryScanner.hexValue((char) b);
    }

    /**
     * Writes a socket address's bytes into {@code out} (at least 16 bytes), unmapping ::ffff:a.b.c.d, and returns
     * the length, 4 or 16. Allocation-free for IPv4 ({@code Inet4Address.hashCode()} is the address itself); the JDK
     * copies 16 bytes for IPv6, so callers cache the result per address object.
     */
    public static int toBytes(java.net.InetAddress address, byte[] out) {
        if (address instanceof java.net.Inet4Address) {
            int a = address.hashCode();
            out[0] = (byte) (a >>> 24);
            out[1] = (byte) (a >>> 16);
            out[2] = (byte) (a >>> 8);
            out[3] = (byte) a;
            return IPV4_LENGTH;
        }
        System.arraycopy(address.getAddress(), 0, out, 0, IPV6_LENGTH);
        return unmapV4(out);
    }

    /** If {@code address} (16 bytes) is ::ffff:a.b.c.d, moves a.b.c.d to the front and returns 4; else 16. */
    public static int unmapV4(byte[] address) {
        for (int k = 0; k < 10; k++) {
            if (address[k] != 0) {
                return IPV6_LENGTH;
            }
        }
        if (address[10] != (byte) 0xFF || address[11] != (byte) 0xFF) {
            return IPV6_LENGTH;
        }
        System.arraycopy(address, 12, address, 0, IPV4_LENGTH);
        return IPV4_LENGTH;
    }
}
