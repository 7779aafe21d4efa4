package dev.hayate.protocol;

/**
 * Parses the textual address of an announce's {@code ip}, {@code ipv4} or {@code ipv6} parameter (BEP 3, BEP 7) from
 * a still percent-encoded query, without creating a String. Allocation-free.
 *
 * <p>Accepted: a dotted quad ({@code 1.2.3.4}), optionally with {@code :port}; an IPv6 address with {@code ::}
 * compression and an optional dotted-quad tail, optionally in brackets and then optionally with {@code :port}
 * (BEP 7 allows an endpoint). The port is ignored. A v4-mapped address ({@code ::ffff:a.b.c.d}) is stored as its 4
 * bytes. Anything else, such as a host name or a zone id, is not an address: the caller ignores it.
 */
final class IpParser {
    static final int IPV4_LENGTH = 4;
    static final int IPV6_LENGTH = 16;

    private static final int IPV6_GROUPS = 8;

    private IpParser() {}

    /**
     * Parses {@code q[start, end)} (escapes already validated) into {@code dest[0..16)}.
     *
     * @return 4 or 16, the address length written to {@code dest}, or 0 when the value is not an address (then
     *     {@code dest} may hold scratch bytes)
     */
    static int parse(String q, int start, int end, byte[] dest) {
        if (start >= end) {
            return 0;
        }
        if (byteAt(q, start) == '[') {
            int close = find(q, start, end, ']');
            if (close < 0) {
                return 0;
            }
            int after = close + QueryScanner.widthAt(q, close);
            if (after != end && !isPortSuffix(q, after, end)) {
                return 0;
            }
            return parseV6(q, start + QueryScanner.widthAt(q, start), close, dest);
        }
        int colon = find(q, start, end, ':');
        if (colon < 0) {
            return parseV4(q, start, end, dest, 0) ? IPV4_LENGTH : 0;
        }
        int secondColon = find(q, colon + QueryScanner.widthAt(q, colon), end, ':');
        if (secondColon < 0) {
            return isPortSuffix(q, colon, end) && parseV4(q, start, colon, dest, 0) ? IPV4_LENGTH : 0;
        }
        return parseV6(q, start, end, dest);
    }

    private static int byteAt(String q, int i) {
        return QueryScanner.byteAt(q, i);
    }

    private static int find(String q, int start, int end, int b) {
        for (int i = start; i < end; i += QueryScanner.widthAt(q, i)) {
            if (byteAt(q, i) == b) {
                return i;
            }
        }
        return -1;
    }

    /** {@code :} then 1-5 digits up to {@code end}. */
    private static boolean isPortSuffix(String q, int colon, int end) {
        if (byteAt(q, colon) != ':') {
            return false;
        }
        int digits = 0;
        for (int i = colon + QueryScanner.widthAt(q, colon); i < end; i += QueryScanner.widthAt(q, i)) {
            int b = byteAt(q, i);
            if (b < '0' || b > '9' || ++digits > 5) {
                return false;
            }
        }
        return digits > 0;
    }

    /** A dotted quad filling {@code q[start, end)} exactly, written to {@code dest[offset..offset+4)}. */
    private static boolean parseV4(String q, int start, int end, byte[] dest, int offset) {
        int i = start;
        for (int part = 0; part < IPV4_LENGTH; part++) {
            if (part > 0) {
                if (i >= end || byteAt(q, i) != '.') {
                    return false;
                }
                i += QueryScanner.widthAt(q, i);
            }
            int value = 0;
            int digits = 0;
            while (i < end) {
                int digit = byteAt(q, i) - '0';
                if (digit < 0 || digit > 9) {
                    break;
                }
                value = value * 10 + digit;
                if (++digits > 3 || value > 255) {
                    return false;
                }
                i += QueryScanner.widthAt(q, i);
            }
            if (digits == 0) {
                return false;
            }
            dest[offset + part] = (byte) value;
        }
        return i == end;
    }

    /** RFC 4291 section 2.2 text forms filling {@code q[start, end)} exactly. */
    private static int parseV6(String q, int start, int end, byte[] dest) {
        int i = start;
        if (i >= end) {
            return 0;
        }
        int groups = 0;
        int gap = -1;
        if (byteAt(q, i) == ':') {
            i += QueryScanner.widthAt(q, i);
            if (i >= end || byteAt(q, i) != ':') {
                return 0;
            }
            i += QueryScanner.widthAt(q, i);
            gap = 0;
        }
        while (i < end) {
            int groupStart = i;
            int value = 0;
            int digits = 0;
            while (i < end) {
                int nibble = hexValue(byteAt(q, i));
                if (nibble < 0) {
                    break;
                }
                value = (value << 4) | nibble;
                if (++digits > 4) {
                    return 0;
                }
                i += QueryScanner.widthAt(q, i);
            }
            if (i < end && byteAt(q, i) == '.') {
                if (groups > IPV6_GROUPS - 2 || !parseV4(q, groupStart, end, dest, groups * 2)) {
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
            if (byteAt(q, i) != ':') {
                return 0;
            }
            i += QueryScanner.widthAt(q, i);
            if (i >= end) {
                return 0;
            }
            if (byteAt(q, i) == ':') {
                if (gap >= 0) {
                    return 0;
                }
                gap = groups;
                i += QueryScanner.widthAt(q, i);
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
        return isV4Mapped(dest) ? unmap(dest) : IPV6_LENGTH;
    }

    private static int hexValue(int b) {
        return b > 0x7F ? -1 : QueryScanner.hexValue((char) b);
    }

    static boolean isV4Mapped(byte[] a) {
        for (int b = 0; b < 10; b++) {
            if (a[b] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
    }

    private static int unmap(byte[] dest) {
        System.arraycopy(dest, 12, dest, 0, IPV4_LENGTH);
        return IPV4_LENGTH;
    }
}
