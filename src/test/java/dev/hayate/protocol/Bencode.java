package dev.hayate.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict bencode decoder for tests (BEP 3), written independently of {@link BencodeWriter}. Integers become
 * {@link Long}, strings {@code byte[]}, lists {@link List}, dictionaries a {@link LinkedHashMap} keyed by the raw key
 * bytes read as ISO-8859-1, in wire order. It throws {@link IllegalArgumentException} on anything a strict reader
 * should refuse: keys out of raw byte order or repeated, leading zeros, {@code -0}, and trailing bytes.
 */
public final class Bencode {
    private final byte[] data;
    private int pos;

    private Bencode(byte[] data) {
        this.data = data;
    }

    public static Object decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    public static Object decode(byte[] data, int offset, int length) {
        Bencode reader = new Bencode(Arrays.copyOfRange(data, offset, offset + length));
        Object value = reader.value();
        if (reader.pos != reader.data.length) {
            throw new IllegalArgumentException("trailing bytes at " + reader.pos);
        }
        return value;
    }

    /** A map's value as a dictionary, list, long or bytes, for terse assertions. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> dict(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    public static String string(Object value) {
        return new String((byte[]) value, StandardCharsets.ISO_8859_1);
    }

    private Object value() {
        int b = peek();
        switch (b) {
            case 'i':
                pos++;
                long value = number('e');
                return value;
            case 'l':
                pos++;
                List<Object> items = new ArrayList<>();
                while (peek() != 'e') {
                    items.add(value());
                }
                pos++;
                return items;
            case 'd':
                pos++;
                Map<String, Object> map = new LinkedHashMap<>();
                byte[] previous = null;
                while (peek() != 'e') {
                    if (peek() < '0' || peek() > '9') {
                        throw new IllegalArgumentException("dictionary key is not a string at " + pos);
                    }
                    byte[] key = bytes();
                    if (previous != null && Arrays.compareUnsigned(previous, key) >= 0) {
                        throw new IllegalArgumentException("dictionary keys not sorted or repeated at " + pos + ": "
                                + new String(key, StandardCharsets.ISO_8859_1));
                    }
                    previous = key;
                    map.put(new String(key, StandardCharsets.ISO_8859_1), value());
                }
                pos++;
                return map;
            default:
                if (b >= '0' && b <= '9') {
                    return bytes();
                }
                throw new IllegalArgumentException("unexpected byte " + b + " at " + pos);
        }
    }

    private byte[] bytes() {
        long length = number(':');
        if (length < 0 || pos + length > data.length) {
            throw new IllegalArgumentException("bad string length " + length + " at " + pos);
        }
        byte[] result = Arrays.copyOfRange(data, pos, pos + (int) length);
        pos += (int) length;
        return result;
    }

    private long number(char terminator) {
        int start = pos;
        boolean negative = peek() == '-';
        if (negative) {
            pos++;
        }
        int digitsStart = pos;
        long value = 0;
        while (peek() != terminator) {
            int b = data[pos++];
            if (b < '0' || b > '9') {
                throw new IllegalArgumentException("bad digit at " + (pos - 1));
            }
            value = Math.addExact(Math.multiplyExact(value, 10), b - '0');
        }
        int digits = pos - digitsStart;
        if (digits == 0 || (digits > 1 && data[digitsStart] == '0') || (negative && data[digitsStart] == '0')) {
            throw new IllegalArgumentException("bad number at " + start);
        }
        pos++;
        return negative ? -value : value;
    }

    private int peek() {
        if (pos >= data.length) {
            throw new IllegalArgumentException("truncated at " + pos);
        }
        return data[pos];
    }
}
