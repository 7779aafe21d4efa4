package dev.hayate.protocol;

import java.nio.charset.StandardCharsets;

/**
 * Writes announce (BEP 3, 7, 23, 24) and scrape (BEP 48) responses as bencode into a caller's buffer. Every method
 * writes at {@code offset} and returns the new end offset. Allocation-free: integers and addresses are written digit
 * by digit, no String is made. Size buffers with {@link #maxAnnounceLength(int)} and {@link #maxScrapeLength(int)};
 * writing past the buffer is a caller bug and throws {@link ArrayIndexOutOfBoundsException}.
 *
 * <p>Dictionary keys are written in raw byte order, as BEP 3 requires.
 */
public final class BencodeWriter {
    /** Longest bencoded int: {@code i-9223372036854775808e}. */
    static final int MAX_INT_LENGTH = 22;
    /** Longest length prefix we write, for a string of up to Integer.MAX_VALUE bytes: 10 digits and a colon. */
    static final int MAX_LENGTH_PREFIX = 11;
    /** Longest RFC 5952 text of an IPv6 address: eight groups of four digits and seven colons. */
    static final int MAX_IPV6_TEXT_LENGTH = 39;

    private static final byte[] COMPLETE = ascii("8:complete");
    private static final byte[] DOWNLOADED = ascii("10:downloaded");
    private static final byte[] EXTERNAL_IP = ascii("11:external ip");
    private static final byte[] INCOMPLETE = ascii("10:incomplete");
    private static final byte[] INTERVAL = ascii("8:interval");
    private static final byte[] MIN_INTERVAL = ascii("12:min interval");
    private static final byte[] PEERS = ascii("5:peers");
    private static final byte[] PEERS6 = ascii("6:peers6");
    private static final byte[] IP = ascii("2:ip");
    private static final byte[] PORT = ascii("4:port");
    private static final byte[] FILES = ascii("d5:filesd");

    /** Fixed part of an announce: braces, every key and its int or length prefix, a 16-byte external ip. */
    private static final int ANNOUNCE_FIXED_LENGTH = 2
            + COMPLETE.length
            + DOWNLOADED.length
            + EXTERNAL_IP.length
            + INCOMPLETE.length
            + INTERVAL.length
            + MIN_INTERVAL.length
            + PEERS.length
            + PEERS6.length
            + 5 * MAX_INT_LENGTH
            + 3 * MAX_LENGTH_PREFIX
            + 16
            + 2;
    /** One peer of the dictionary model at its longest: {@code d2:ip39:<text>4:porti65535ee}. */
    private static final int DICT_PEER_MAX_LENGTH = 2 + IP.length + 3 + MAX_IPV6_TEXT_LENGTH + PORT.length + 7;
    /** One scrape entry: {@code 20:<hash>d8:completei..e10:downloadedi..e10:incompletei..ee}. */
    private static final int SCRAPE_ENTRY_MAX_LENGTH = 3
            + AnnounceRequest.INFO_HASH_LENGTH
            + 2
            + COMPLETE.length
            + DOWNLOADED.length
            + INCOMPLETE.length
            + 3 * MAX_INT_LENGTH;

    private static final byte[] HEX = ascii("0123456789abcdef");

    private BencodeWriter() {}

    /** An upper bound on {@link #writeAnnounce} with up to maxPeers IPv4 and maxPeers IPv6 peers, either model. */
    public static int maxAnnounceLength(int maxPeers) {
        long compact =
                (long) maxPeers * (AnnounceResponse.COMPACT_PEER4_LENGTH + AnnounceResponse.COMPACT_PEER6_LENGTH);
        long dictionary = 2L * maxPeers * DICT_PEER_MAX_LENGTH;
        return Math.toIntExact(ANNOUNCE_FIXED_LENGTH + Math.max(compact, dictionary));
    }

    /** An upper bound on {@link #writeScrape} with up to maxHashes hashes. */
    public static int maxScrapeLength(int maxHashes) {
        return Math.toIntExact(FILES.length + 2 + (long) maxHashes * SCRAPE_ENTRY_MAX_LENGTH);
    }

    /**
     * Writes a successful announce response: {@code complete}, {@code downloaded}, {@code external ip} (BEP 24, only
     * when externalIpLength is 4 or 16), {@code incomplete}, {@code interval}, {@code min interval}, {@code peers}
     * and, compact only, {@code peers6} when there are IPv6 peers.
     *
     * <p>Compact (BEP 23): {@code peers} is a string of 6-byte entries, always present; {@code peers6} a string of
     * 18-byte entries (BEP 7). Dictionary model: {@code peers} is one list of {@code {ip, port}} holding both
     * families: always without {@code peer id} (BEP 23's {@code no_peer_id} form), as the store keeps a hash of each
     * peer_id, not the id.
     */
    public static int writeAnnounce(
            AnnounceResponse r,
            int intervalSeconds,
            int minIntervalSeconds,
            boolean compact,
            byte[] externalIp,
            int externalIpLength,
            byte[] out,
            int offset) {
        int p = offset;
        out[p++] = 'd';
        p = writeKeyInt(COMPLETE, r.complete, out, p);
        p = writeKeyInt(DOWNLOADED, r.downloaded, out, p);
        if (externalIpLength > 0) {
            p = writeRaw(EXTERNAL_IP, out, p);
            p = writeBytes(externalIp, 0, externalIpLength, out, p);
        }
        p = writeKeyInt(INCOMPLETE, r.incomplete, out, p);
        p = writeKeyInt(INTERVAL, intervalSeconds, out, p);
        p = writeKeyInt(MIN_INTERVAL, minIntervalSeconds, out, p);
        p = writeRaw(PEERS, out, p);
        if (compact) {
            p = writeBytes(r.peers4, 0, r.peers4Count * AnnounceResponse.COMPACT_PEER4_LENGTH, out, p);
            if (r.peers6Count > 0) {
                p = writeRaw(PEERS6, out, p);
                p = writeBytes(r.peers6, 0, r.peers6Count * AnnounceResponse.COMPACT_PEER6_LENGTH, out, p);
            }
        } else {
            p = writePeerList(r, out, p);
        }
        out[p++] = 'e';
        return p;
    }

    private static int writePeerList(AnnounceResponse r, byte[] out, int offset) {
        int p = offset;
        out[p++] = 'l';
        for (int i = 0; i < r.peers4Count; i++) {
            p = writeDictPeer(r.peers4, i * AnnounceResponse.COMPACT_PEER4_LENGTH, InetText.IPV4_LENGTH, out, p);
        }
        for (int i = 0; i < r.peers6Count; i++) {
            p = writeDictPeer(r.peers6, i * AnnounceResponse.COMPACT_PEER6_LENGTH, InetText.IPV6_LENGTH, out, p);
        }
        out[p++] = 'e';
        return p;
    }

    /** {@code d2:ip<text>4:porti<port>ee}. */
    private static int writeDictPeer(byte[] peers, int peerOffset, int addressLength, byte[] out, int offset) {
        int p = offset;
        out[p++] = 'd';
        p = writeRaw(IP, out, p);
        // The text length is only known once written: leave room for a two-digit prefix (texts are 7..39 chars).
        int prefixAt = p;
        int textStart = prefixAt + 3;
        int textEnd = addressLength == InetText.IPV4_LENGTH
                ? writeIpv4Text(peers, peerOffset, out, textStart)
                : writeIpv6Text(peers, peerOffset, out, textStart);
        p = fixTextPrefix(out, prefixAt, textStart, textEnd);
        int port = ((peers[peerOffset + addressLength] & 0xFF) << 8) | (peers[peerOffset + addressLength + 1] & 0xFF);
        p = writeKeyInt(PORT, port, out, p);
        out[p++] = 'e';
        return p;
    }

    /** Writes {@code <len>:} at prefixAt for text already at textStart, moving the text left if the prefix is short. */
    private static int fixTextPrefix(byte[] out, int prefixAt, int textStart, int textEnd) {
        int length = textEnd - textStart;
        int p = writeDigits(length, out, prefixAt);
        out[p++] = ':';
        if (p != textStart) {
            System.arraycopy(out, textStart, out, p, length);
        }
        return p + length;
    }

    /**
     * Writes a BEP 48 scrape response: one entry per distinct hash of {@code req}, sorted by raw unsigned bytes, with
     * the counts at the same index of {@code res}. A hash asked for twice appears once (with the counts of its first
     * occurrence).
     *
     * @param orderScratch at least {@code req.count} ints, overwritten with the sorted order
     */
    public static int writeScrape(ScrapeRequest req, ScrapeResponse res, int[] orderScratch, byte[] out, int offset) {
        int count = req.count;
        sortHashes(req, orderScratch, count);
        int p = writeRaw(FILES, out, offset);
        int previous = -1;
        for (int k = 0; k < count; k++) {
            int index = orderScratch[k];
            if (previous >= 0 && compareHashes(req.infoHashes, req.offsetOf(previous), req.offsetOf(index)) == 0) {
                continue;
            }
            previous = index;
            p = writeBytes(req.infoHashes, req.offsetOf(index), AnnounceRequest.INFO_HASH_LENGTH, out, p);
            out[p++] = 'd';
            p = writeKeyInt(COMPLETE, res.complete[index], out, p);
            p = writeKeyInt(DOWNLOADED, res.downloaded[index], out, p);
            p = writeKeyInt(INCOMPLETE, res.incomplete[index], out, p);
            out[p++] = 'e';
        }
        out[p++] = 'e';
        out[p++] = 'e';
        return p;
    }

    /** The most bytes {@link #writeFullScrapeEntry} writes. */
    public static final int FULL_SCRAPE_ENTRY_MAX_LENGTH = SCRAPE_ENTRY_MAX_LENGTH;

    /**
     * The opening of a full scrape ({@code d5:filesd}); entries follow in raw byte order of their hashes, then
     * {@link #FULL_SCRAPE_END}. Do not modify.
     */
    public static final byte[] FULL_SCRAPE_START = ascii("d5:filesd");

    /** {@code ee}: closes the {@code files} dictionary and the top-level one. Do not modify. */
    public static final byte[] FULL_SCRAPE_END = {'e', 'e'};

    /**
     * One entry of a full scrape (BEP 48): {@code 20:<hash>d8:completei..e10:downloadedi..e10:incompletei..ee}, the
     * same form as {@link #writeScrape}'s. The caller writes entries in raw byte order of their hashes.
     */
    public static int writeFullScrapeEntry(
            byte[] hashes, int hashOffset, int complete, int downloaded, int incomplete, byte[] out, int offset) {
        int p = writeBytes(hashes, hashOffset, AnnounceRequest.INFO_HASH_LENGTH, out, offset);
        out[p++] = 'd';
        p = writeKeyInt(COMPLETE, complete, out, p);
        p = writeKeyInt(DOWNLOADED, downloaded, out, p);
        p = writeKeyInt(INCOMPLETE, incomplete, out, p);
        out[p++] = 'e';
        return p;
    }

    /** Stable insertion sort of indices: scrapes hold few hashes, and this allocates nothing. */
    private static void sortHashes(ScrapeRequest req, int[] order, int count) {
        byte[] hashes = req.infoHashes;
        for (int i = 0; i < count; i++) {
            int j = i;
            int offset = req.offsetOf(i);
            while (j > 0 && compareHashes(hashes, req.offsetOf(order[j - 1]), offset) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
    }

    private static int compareHashes(byte[] hashes, int a, int b) {
        for (int i = 0; i < AnnounceRequest.INFO_HASH_LENGTH; i++) {
            int diff = (hashes[a + i] & 0xFF) - (hashes[b + i] & 0xFF);
            if (diff != 0) {
                return diff;
            }
        }
        return 0;
    }

    // ---- primitives ----

    /** A pre-encoded key followed by {@code i<value>e}. */
    static int writeKeyInt(byte[] key, long value, byte[] out, int offset) {
        int p = writeRaw(key, out, offset);
        return writeInt(value, out, p);
    }

    /** {@code i<value>e}. */
    static int writeInt(long value, byte[] out, int offset) {
        out[offset] = 'i';
        int p = writeDigits(value, out, offset + 1);
        out[p++] = 'e';
        return p;
    }

    /** A byte string: {@code <length>:<bytes>}. */
    static int writeBytes(byte[] src, int srcOffset, int length, byte[] out, int offset) {
        int p = writeDigits(length, out, offset);
        out[p++] = ':';
        System.arraycopy(src, srcOffset, out, p, length);
        return p + length;
    }

    /** Decimal digits of {@code value}, with a leading {@code -} when negative. */
    static int writeDigits(long value, byte[] out, int offset) {
        int p = offset;
        if (value < 0) {
            out[p++] = '-';
            if (value == Long.MIN_VALUE) {
                // -(MIN_VALUE) overflows: write all but the last digit, then the last.
                p = writeDigits(-(value / 10), out, p);
                out[p++] = (byte) ('0' + -(value % 10));
                return p;
            }
            value = -value;
        }
        int digits = 1;
        for (long v = value; v >= 10; v /= 10) {
            digits++;
        }
        int end = p + digits;
        for (int i = end - 1; i >= p; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return end;
    }

    private static int writeRaw(byte[] src, byte[] out, int offset) {
        System.arraycopy(src, 0, out, offset, src.length);
        return offset + src.length;
    }

    /** Dotted quad of {@code address[offset..offset+4)}. */
    static int writeIpv4Text(byte[] address, int offset, byte[] out, int outOffset) {
        int p = outOffset;
        for (int i = 0; i < InetText.IPV4_LENGTH; i++) {
            if (i > 0) {
                out[p++] = '.';
            }
            p = writeDigits(address[offset + i] & 0xFF, out, p);
        }
        return p;
    }

    /**
     * RFC 5952 text of {@code address[offset..offset+16)}: lowercase hex without leading zeros, the longest run of
     * two or more zero groups (the first of equal runs) as {@code ::}, and a v4-mapped address as
     * {@code ::ffff:a.b.c.d} (section 5).
     */
    static int writeIpv6Text(byte[] address, int offset, byte[] out, int outOffset) {
        int p = outOffset;
        if (isV4Mapped(address, offset)) {
            out[p++] = ':';
            out[p++] = ':';
            for (int i = 0; i < 4; i++) {
                out[p++] = 'f';
            }
            out[p++] = ':';
            return writeIpv4Text(address, offset + 12, out, p);
        }
        int bestStart = -1;
        int bestLength = 1;
        int runStart = -1;
        for (int g = 0; g < 8; g++) {
            if (group(address, offset, g) == 0) {
                if (runStart < 0) {
                    runStart = g;
                }
                if (g - runStart + 1 > bestLength) {
                    bestStart = runStart;
                    bestLength = g - runStart + 1;
                }
            } else {
                runStart = -1;
            }
        }
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                out[p++] = ':';
                out[p++] = ':';
                g += bestLength - 1;
                continue;
            }
            if (g > 0 && g != bestStart + bestLength) {
                out[p++] = ':';
            }
            p = writeHexGroup(group(address, offset, g), out, p);
        }
        return p;
    }

    private static boolean isV4Mapped(byte[] address, int offset) {
        for (int i = 0; i < 10; i++) {
            if (address[offset + i] != 0) {
                return false;
            }
        }
        return address[offset + 10] == (byte) 0xFF && address[offset + 11] == (byte) 0xFF;
    }

    private static int group(byte[] address, int offset, int g) {
        return ((address[offset + 2 * g] & 0xFF) << 8) | (address[offset + 2 * g + 1] & 0xFF);
    }

    private static int writeHexGroup(int value, byte[] out, int offset) {
        int p = offset;
        boolean started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            int nibble = (value >>> shift) & 0xF;
            if (nibble != 0 || started || shift == 0) {
                out[p++] = HEX[nibble];
                started = true;
            }
        }
        return p;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
