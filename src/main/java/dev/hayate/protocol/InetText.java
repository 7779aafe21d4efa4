package dev.hayate.protocol;

/**
 * Parses textual IP addresses (RFC 4291 IPv6 with {@code ::} and an embedded IPv4 tail, dotted-quad IPv4, optional
 * {@code [brackets]}) into bytes, by hand. Allocation-free. Never resolves a host name: anything that is not a
 * literal is rejected.
 */
public final class InetText {
    private InetText() {}

    /**
     * Parses {@code s[from, to)} into {@code out} (at least 16 bytes). IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) is
     * unmapped to 4 bytes.
     *
     * @return 4 or 16, the address length written, or 0 when the text is not an IP literal
     */
    public static int parse(CharSequence s, int from, int to, byte[] out) {
        while (from < to && s.charAt(from) == ' ') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == ' ') {
            to--;
        }
        if (to - from >= 2 && s.charAt(from) == '[' && s.charAt(to - 1) == ']') {
            from++;
            to--;
        }
        if (from >= to) {
            return 0;
        }
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == ':') {
                return parse6(s, from, to, out);
            }
        }
        return parse4(s, from, to, out, 0) ? 4 : 0;
    }

    private static boolean parse4(CharSequence s, int from, int to, byte[] out, int offset) {
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return false;
                }
            } else if (c == '.') {
                if (digits == 0 || part == 3) {
                    return false;
                }
                out[offset + part++] = (byte) value;
                value = 0;
                digits = 0;
            } else {
                return false;
            }
        }
        if (digits == 0 || part != 3) {
            return false;
        }
        out[offset + 3] = (byte) value;
        return true;
    }

    private static int parse6(CharSequence s, int from, int to, byte[] out) {
        int written = 0; // bytes written so far
        int gap = -1; // byte index where "::" stands
        int i = from;
        if (to - from >= 2 && s.charAt(i) == ':' && s.charAt(i + 1) == ':') {
            gap = 0;
            i += 2;
            if (i == to) {
                java.util.Arrays.fill(out, 0, 16, (byte) 0);
                return 16;
            }
        } else if (s.charAt(i) == ':') {
            return 0;
        }
        while (i < to) {
            int groupStart = i;
            int value = 0;
            int digits = 0;
            while (i < to && s.charAt(i) != ':') {
                char c = s.charAt(i);
                if (c == '.') {
                    // Embedded IPv4 tail: the rest of the text.
                    if (written > 12 || !parse4(s, groupStart, to, out, written)) {
                        return 0;
                    }
                    written += 4;
                    i = to;
                    digits = -1;
                    break;
                }
                int d = Character.digit(c, 16);
                if (d < 0 || ++digits > 4) {
                    return 0;
                }
                value = (value << 4) | d;
                i++;
            }
            if (digits == -1) {
                break;
            }
            if (digits == 0 || written > 14) {
                return 0;
            }
            out[written++] = (byte) (value >>> 8);
            out[written++] = (byte) value;
            if (i < to) {
                i++; // the ':'
                if (i == to) {
                    return 0; // trailing single ':'
                }
                if (s.charAt(i) == ':') {
                    if (gap >= 0) {
                        return 0; // a second "::"
                    }
                    gap = written;
                    i++;
                }
            }
        }
        if (gap < 0) {
            if (written != 16) {
                return 0;
            }
        } else {
            if (written > 14) {
                return 0;
            }
            int tail = written - gap;
            System.arraycopy(out, gap, out, 16 - tail, tail);
            java.util.Arrays.fill(out, gap, 16 - tail, (byte) 0);
        }
        return unmapV4(out);
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
            return 4;
        }
        System.arraycopy(address.getAddress(), 0, out, 0, 16);
        return unmapV4(out);
    }

    /** If {@code address} (16 bytes) is ::ffff:a.b.c.d, moves a.b.c.d to the front and returns 4; else 16. */
    public static int unmapV4(byte[] address) {
        for (int k = 0; k < 10; k++) {
            if (address[k] != 0) {
                return 16;
            }
        }
        if (address[10] != (byte) 0xFF || address[11] != (byte) 0xFF) {
            return 16;
        }
        System.arraycopy(address, 12, address, 0, 4);
        return 4;
    }
}
