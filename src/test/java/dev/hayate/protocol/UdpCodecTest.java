package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** BEP 15 / BEP 41 parsing and writing, driven by announces captured from real clients. */
class UdpCodecTest {
    private static final Pattern LINE = Pattern.compile("conn_id=0x(\\p{XDigit}+) tid=0x(\\p{XDigit}+) "
            + "info_hash=(\\p{XDigit}{40}) peer_id=b'(.*)' downloaded=(\\d+) left=(\\d+) uploaded=(\\d+) "
            + "event=(\\d)\\(\\w+\\) ip=([\\d.]+) key=0x(\\p{XDigit}+) num_want=(-?\\d+) port=(\\d+) "
            + "extensions\\(BEP41\\)=(\\S+)");

    record Sample(
            String file,
            String line,
            long connId,
            int tid,
            byte[] infoHash,
            byte[] peerId,
            long downloaded,
            long left,
            long uploaded,
            int event,
            long key,
            int numWant,
            int port,
            byte[] options) {
        @Override
        public String toString() {
            return file + ": " + line.substring(0, Math.min(60, line.length()));
        }
    }

    static Stream<Sample> samples() throws IOException {
        List<Sample> out = new ArrayList<>();
        for (String f : List.of(
                "aria2-udp.txt",
                "libtorrent-python-udp.txt",
                "libtorrent-python-udp6.txt",
                "qbittorrent-udp.txt",
                "rtorrent-udp.txt",
                "transmission-udp.txt")) {
            try (InputStream in = UdpCodecTest.class.getResourceAsStream("/samples/" + f)) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    Matcher m = LINE.matcher(line);
                    if (!m.find()) {
                        continue;
                    }
                    out.add(new Sample(
                            f,
                            line,
                            Long.parseUnsignedLong(m.group(1), 16),
                            (int) Long.parseLong(m.group(2), 16),
                            HexFormat.of().parseHex(m.group(3)),
                            pythonBytes(m.group(4)),
                            Long.parseLong(m.group(5)),
                            Long.parseLong(m.group(6)),
                            Long.parseLong(m.group(7)),
                            Integer.parseInt(m.group(8)),
                            Long.parseLong(m.group(10), 16),
                            Integer.parseInt(m.group(11)),
                            Integer.parseInt(m.group(12)),
                            m.group(13).equals("-")
                                    ? new byte[0]
                                    : HexFormat.of().parseHex(m.group(13))));
                }
            }
        }
        assertTrue(out.size() >= 30, "expected the captured samples, found " + out.size());
        return out.stream();
    }

    /** Decodes a Python bytes literal body: printable ASCII, \xNN, \\ and \'. */
    static byte[] pythonBytes(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                char n = s.charAt(++i);
                if (n == 'x') {
                    b.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                } else if (n == 't') {
                    b.write('\t');
                } else if (n == 'n') {
                    b.write('\n');
                } else if (n == 'r') {
                    b.write('\r');
                } else {
                    b.write(n);
                }
            } else {
                b.write(c);
            }
        }
        return b.toByteArray();
    }

    /** BEP 15's event codes, written out here rather than taken from the code under test. */
    static AnnounceEvent bep15Event(int code) {
        switch (code) {
            case 0:
                return AnnounceEvent.NONE;
            case 1:
                return AnnounceEvent.COMPLETED;
            case 2:
                return AnnounceEvent.STARTED;
            case 3:
                return AnnounceEvent.STOPPED;
            default:
                throw new IllegalArgumentException("not a BEP 15 event code: " + code);
        }
    }

    /** An independent BEP 15 encoder, test-only. */
    static ByteBuffer announcePacket(Sample s) {
        ByteBuffer p = ByteBuffer.allocate(98 + s.options.length);
        p.putLong(s.connId).putInt(1).putInt(s.tid).put(s.infoHash).put(s.peerId);
        p.putLong(s.downloaded)
                .putLong(s.left)
                .putLong(s.uploaded)
                .putInt(s.event)
                .putInt(0)
                .putInt((int) s.key);
        p.putInt(s.numWant).putShort((short) s.port).put(s.options);
        return p.flip();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void shouldDecodeEveryFieldWhenParsingARealClientsAnnounce(Sample s) {
        assertEquals(20, s.peerId.length, "sample peer id");
        UdpCodec codec = new UdpCodec();
        UdpRequest r = new UdpRequest(74);
        assertEquals(UdpCodec.Parse.ANNOUNCE, codec.parse(announcePacket(s), r));
        AnnounceRequest a = r.announce;
        assertEquals(s.connId, r.connectionId);
        assertEquals(s.tid, r.transactionId);
        assertArrayEquals(s.infoHash, a.infoHash);
        assertArrayEquals(s.peerId, a.peerId);
        assertEquals(s.downloaded, a.downloaded);
        assertEquals(s.left, a.left);
        assertEquals(s.left == 0, a.isSeeder());
        assertEquals(s.uploaded, a.uploaded);
        assertEquals(bep15Event(s.event), a.event);
        assertEquals(s.numWant < 0 ? AnnounceRequest.NUM_WANT_DEFAULT : s.numWant, a.numWant);
        assertEquals(s.port, a.port);
        assertEquals(s.key, a.key);
        assertEquals(0, a.ipLength, "ip 0 means the source address");
        boolean urlSlash = s.options.length == 3 && s.options[0] == 2;
        assertEquals(urlSlash ? "/" : "", new String(r.urlData, 0, r.urlDataLength, StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldRoundTripConnectWhenTheMagicIsRight() {
        ByteBuffer p = ByteBuffer.allocate(16)
                .putLong(UdpCodec.PROTOCOL_ID)
                .putInt(0)
                .putInt(0xCAFEBABE)
                .flip();
        UdpRequest r = new UdpRequest(74);
        assertEquals(UdpCodec.Parse.CONNECT, new UdpCodec().parse(p, r));
        assertEquals(0xCAFEBABE, r.transactionId);
        ByteBuffer out = ByteBuffer.allocate(16);
        UdpCodec.writeConnect(out, r.transactionId, 0x0123456789ABCDEFL);
        out.flip();
        assertEquals(16, out.remaining());
        assertEquals(0, out.getInt());
        assertEquals(0xCAFEBABE, out.getInt());
        assertEquals(0x0123456789ABCDEFL, out.getLong());
    }

    @Test
    void shouldDropWhenPacketsAreTruncatedOrForeign() {
        UdpCodec codec = new UdpCodec();
        UdpRequest r = new UdpRequest(74);
        assertEquals(UdpCodec.Parse.DROP, codec.parse(ByteBuffer.allocate(15), r));
        assertEquals(
                UdpCodec.Parse.DROP,
                codec.parse(
                        ByteBuffer.allocate(16)
                                .putLong(0x41727101981L)
                                .putInt(0)
                                .putInt(1)
                                .flip(),
                        r),
                "wrong magic");
        assertEquals(
                UdpCodec.Parse.DROP,
                codec.parse(
                        ByteBuffer.allocate(16).putLong(1).putInt(7).putInt(1).flip(), r),
                "unknown action");
        assertEquals(
                UdpCodec.Parse.DROP,
                codec.parse(
                        ByteBuffer.allocate(97).putLong(1).putInt(1).putInt(1).position(0), r),
                "short announce");
        assertEquals(
                UdpCodec.Parse.DROP,
                codec.parse(
                        ByteBuffer.allocate(16 + 19)
                                .putLong(1)
                                .putInt(2)
                                .putInt(1)
                                .position(0),
                        r),
                "ragged scrape");
    }

    @Test
    void shouldNeverRejectAnAnnounceWhenItCarriesOptions() {
        byte[] hash = new byte[20];
        byte[][] optionSets = {
            {0}, {1, 1, 0}, {2, 5, '/', 'a', 'n', 'n', 'o', 2, 3, 'u', 'n', 'c', 0},
            {2, 9, 'x'} /* truncated */, {9, 2, 1, 2, 2, 1, '/'} /* unknown type skipped */, {1},
            {2} /* a type byte with no length byte */, {1, 1, 2, 1, '/', 2} /* the same after data */
        };
        String[] expectedUrl = {"", "", "/announc", "", "/", "", "", "/"};
        for (int i = 0; i < optionSets.length; i++) {
            ByteBuffer p = ByteBuffer.allocate(98 + optionSets[i].length);
            p.putLong(5)
                    .putInt(1)
                    .putInt(9)
                    .put(hash)
                    .put(hash)
                    .putLong(0)
                    .putLong(0)
                    .putLong(0)
                    .putInt(0)
                    .putInt(0)
                    .putInt(0)
                    .putInt(-1)
                    .putShort((short) 6881)
                    .put(optionSets[i])
                    .flip();
            UdpRequest r = new UdpRequest(74);
            assertEquals(UdpCodec.Parse.ANNOUNCE, new UdpCodec().parse(p, r), "options " + i);
            assertEquals(expectedUrl[i], new String(r.urlData, 0, r.urlDataLength, StandardCharsets.ISO_8859_1));
        }
    }

    /** A minimal BEP 15 announce (98 bytes) with {@code left} and the given options, test-only. */
    private static ByteBuffer announceWith(long left, byte[] options) {
        return ByteBuffer.allocate(98 + options.length)
                .putLong(5)
                .putInt(1)
                .putInt(9)
                .put(new byte[20])
                .put(new byte[20])
                .putLong(0)
                .putLong(left)
                .putLong(0)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt(-1)
                .putShort((short) 6881)
                .put(options)
                .flip();
    }

    @Test
    void shouldKeepTheFirst1024BytesOfUrlDataWhenOptionsCarryMore() {
        // BEP 41: five URL-data options of 255 bytes; the request keeps what fits (1024), in order.
        ByteBuffer options = ByteBuffer.allocate(5 * 257);
        for (int o = 0; o < 5; o++) {
            options.put((byte) 2).put((byte) 255);
            for (int i = 0; i < 255; i++) {
                options.put((byte) ('a' + o));
            }
        }
        UdpRequest r = new UdpRequest(74);
        assertEquals(UdpCodec.Parse.ANNOUNCE, new UdpCodec().parse(announceWith(0, options.array()), r));
        assertEquals(1024, r.urlDataLength);
        assertEquals('a', r.urlData[0]);
        assertEquals('e', r.urlData[1023], "4 x 255 = 1020 bytes, then 4 of the fifth option");
        assertEquals('d', r.urlData[1019]);
    }

    @Test
    void shouldReadLeftMinusOneAsUnknownWhenAnAnnounceSendsIt() {
        UdpRequest r = new UdpRequest(74);
        UdpCodec codec = new UdpCodec();
        assertEquals(UdpCodec.Parse.ANNOUNCE, codec.parse(announceWith(-1, new byte[0]), r));
        assertEquals(AnnounceRequest.LEFT_UNKNOWN, r.announce.left);
        assertFalse(r.announce.isSeeder());
        assertEquals(UdpCodec.Parse.ERROR, codec.parse(announceWith(-2, new byte[0]), r));
        assertEquals(FailureReason.INVALID_NUMBER, codec.lastFailure());
    }

    @Test
    void shouldAnswerMissingInfoHashWhenAScrapeCarriesNoHash() {
        UdpRequest r = new UdpRequest(74);
        UdpCodec codec = new UdpCodec();
        ByteBuffer empty =
                ByteBuffer.allocate(16).putLong(5).putInt(2).putInt(9).flip();
        assertEquals(UdpCodec.Parse.ERROR, codec.parse(empty, r));
        assertEquals(FailureReason.MISSING_INFO_HASH, codec.lastFailure());
        ByteBuffer ragged =
                ByteBuffer.allocate(16 + 21).putLong(5).putInt(2).putInt(9).flip();
        ragged.limit(16 + 21);
        assertEquals(UdpCodec.Parse.DROP, codec.parse(ragged, r), "not a whole number of hashes");
        ByteBuffer one =
                ByteBuffer.allocate(16 + 20).putLong(5).putInt(2).putInt(9).position(0);
        assertEquals(UdpCodec.Parse.SCRAPE, codec.parse(one, r));
        assertEquals(1, r.scrape.count);
    }

    @Test
    void shouldAnswerAnErrorWhenAnAnnounceIsWellFramedButInvalid() {
        byte[] hash = new byte[20];
        UdpCodec codec = new UdpCodec();
        ByteBuffer badEvent = ByteBuffer.allocate(98)
                .putLong(5)
                .putInt(1)
                .putInt(9)
                .put(hash)
                .put(hash)
                .putLong(0)
                .putLong(0)
                .putLong(0)
                .putInt(4)
                .putInt(0)
                .putInt(0)
                .putInt(-1)
                .putShort((short) 6881)
                .flip();
        assertEquals(UdpCodec.Parse.ERROR, codec.parse(badEvent, new UdpRequest(74)));
        assertEquals(FailureReason.INVALID_EVENT, codec.lastFailure());
        ByteBuffer portZero = ByteBuffer.allocate(98)
                .putLong(5)
                .putInt(1)
                .putInt(9)
                .put(hash)
                .put(hash)
                .putLong(0)
                .putLong(0)
                .putLong(0)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt(-1)
                .putShort((short) 0)
                .flip();
        assertEquals(UdpCodec.Parse.ERROR, codec.parse(portZero, new UdpRequest(74)));
        assertEquals(FailureReason.INVALID_PORT, codec.lastFailure());
        ByteBuffer tooMany =
                ByteBuffer.allocate(16 + 75 * 20).putLong(5).putInt(2).putInt(9).position(0);
        assertEquals(UdpCodec.Parse.ERROR, codec.parse(tooMany, new UdpRequest(74)));
        assertEquals(FailureReason.TOO_MANY_INFO_HASHES, codec.lastFailure());
        ByteBuffer out = ByteBuffer.allocate(200);
        UdpCodec.writeError(out, 9, FailureReason.TOO_MANY_INFO_HASHES);
        out.flip();
        String expectedText = "too many info_hash values in one scrape";
        // BEP 15 error: action 3, transaction id, then the message; errorLength must say exactly that (the
        // anti-amplification check compares it with the request's length).
        assertEquals(8 + expectedText.length(), out.remaining());
        assertEquals(8 + expectedText.length(), UdpCodec.errorLength(FailureReason.TOO_MANY_INFO_HASHES));
        assertEquals(3, out.getInt());
        assertEquals(9, out.getInt());
        byte[] text = new byte[out.remaining()];
        out.get(text);
        assertEquals(expectedText, new String(text, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldWritePeersOfOneFamilyWhenAnsweringAnAnnounce() {
        AnnounceResponse r = new AnnounceResponse(10);
        r.complete = 3;
        r.incomplete = 4;
        r.peers4Count = 2;
        for (int i = 0; i < 12; i++) {
            r.peers4[i] = (byte) (i + 1);
        }
        r.peers6Count = 1;
        for (int i = 0; i < 18; i++) {
            r.peers6[i] = (byte) (100 + i);
        }
        ByteBuffer out = ByteBuffer.allocate(2048);
        UdpCodec.writeAnnounce(out, 77, 1800, r, false, 200);
        out.flip();
        assertEquals(20 + 12, out.remaining());
        assertEquals(1, out.getInt());
        assertEquals(77, out.getInt());
        assertEquals(1800, out.getInt());
        assertEquals(4, out.getInt(), "leechers come first in BEP 15");
        assertEquals(3, out.getInt());
        assertEquals(1, out.get());
        out.clear();
        UdpCodec.writeAnnounce(out, 77, 1800, r, true, 200);
        assertEquals(20 + 18, out.flip().remaining());
        out.clear();
        UdpCodec.writeAnnounce(out, 77, 1800, r, false, 1);
        assertEquals(20 + 6, out.flip().remaining(), "capped");
        for (int i = 0; i < 6; i++) {
            assertEquals(i + 1, out.get(20 + i), "the one peer kept is the first, whole");
        }
    }

    @Test
    void shouldWriteSeedersCompletedLeechersWhenAnsweringAScrape() {
        ScrapeResponse s = new ScrapeResponse(2);
        s.count = 2;
        s.complete[0] = 1;
        s.downloaded[0] = 2;
        s.incomplete[0] = 3;
        s.complete[1] = 4;
        ByteBuffer out = ByteBuffer.allocate(100);
        UdpCodec.writeScrape(out, 5, s);
        out.flip();
        assertEquals(8 + 24, out.remaining());
        assertEquals(2, out.getInt());
        assertEquals(5, out.getInt());
        assertEquals(1, out.getInt());
        assertEquals(2, out.getInt());
        assertEquals(3, out.getInt());
        assertEquals(4, out.getInt());
    }
}
