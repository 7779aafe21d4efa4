package dev.hayate.protocol;

import java.nio.ByteBuffer;

/**
 * BEP 15 (UDP tracker protocol) with BEP 41 options: parsing requests and writing replies. All integers are
 * big-endian. Allocation-free.
 *
 * <pre>
 * connect request   0 protocol_id(8)=0x41727101980  8 action(4)=0  12 transaction_id(4)                     = 16
 * connect reply     0 action(4)=0  4 transaction_id(4)  8 connection_id(8)                                 = 16
 * announce request  0 connection_id(8)  8 action(4)=1  12 transaction_id(4)  16 info_hash(20)  36 peer_id(20)
 *                   56 downloaded(8)  64 left(8)  72 uploaded(8)  80 event(4)  84 ip(4)  88 key(4)
 *                   92 num_want(4)  96 port(2)  98 [BEP 41 options]                                         >= 98
 * announce reply    0 action(4)=1  4 transaction_id(4)  8 interval(4)  12 leechers(4)  16 seeders(4)
 *                   20 peers: 6 bytes each (IPv4) or 18 bytes each (IPv6)
 * scrape request    0 connection_id(8)  8 action(4)=2  12 transaction_id(4)  16 info_hash(20) * n             16+20n
 * scrape reply      0 action(4)=2  4 transaction_id(4)  8 (seeders(4) completed(4) leechers(4)) * n          8+12n
 * error reply       0 action(4)=3  4 transaction_id(4)  8 message
 * </pre>
 *
 * <p>Bad packets are classified as {@link Parse#DROP} (nothing can be said safely: truncated, wrong protocol id,
 * unknown action) or {@link Parse#ERROR} (the request is well-framed and its transaction id is known, so an error
 * reply is possible; the caller decides whether sending it is safe).
 */
public final class UdpCodec {
    public static final long PROTOCOL_ID = 0x41727101980L;
    public static final int ACTION_CONNECT = 0;
    public static final int ACTION_ANNOUNCE = 1;
    public static final int ACTION_SCRAPE = 2;
    public static final int ACTION_ERROR = 3;

    public static final int CONNECT_LENGTH = 16;
    public static final int ANNOUNCE_MIN_LENGTH = 98;
    public static final int SCRAPE_HEADER_LENGTH = 16;
    public static final int ANNOUNCE_REPLY_HEADER_LENGTH = 20;
    public static final int SCRAPE_REPLY_HEADER_LENGTH = 8;
    public static final int SCRAPE_ENTRY_LENGTH = 12;

    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;
    private static final int OPTION_URL_DATA = 2;

    /** What {@link #parse} found. */
    public enum Parse {
        CONNECT,
        ANNOUNCE,
        SCRAPE,
        /** Not worth (or not safe) answering: drop silently. */
        DROP,
        /** Well-framed but invalid; {@link UdpCodec#lastFailure} says why. */
        ERROR
    }

    private FailureReason lastFailure;

    /** Why the last {@link #parse} returned {@link Parse#ERROR}. */
    public FailureReason lastFailure() {
        return lastFailure;
    }

    /**
     * Parses {@code packet} from its position to its limit into {@code out}. The buffer's position is not changed.
     * The connection id is parsed but not checked: that is the adapter's job.
     */
    public Parse parse(ByteBuffer packet, UdpRequest out) {
        out.reset();
        lastFailure = null;
        int base = packet.position();
        int length = packet.remaining();
        if (length < CONNECT_LENGTH) {
            return Parse.DROP;
        }
        long first = packet.getLong(base);
        int action = packet.getInt(base + 8);
        out.action = action;
        out.transactionId = packet.getInt(base + 12);
        switch (action) {
            case ACTION_CONNECT:
                // Exactly the magic; extra bytes after 16 are tolerated (some clients pad).
                return first == PROTOCOL_ID ? Parse.CONNECT : Parse.DROP;
            case ACTION_ANNOUNCE:
                out.connectionId = first;
                return length < ANNOUNCE_MIN_LENGTH ? Parse.DROP : parseAnnounce(packet, base, length, out);
            case ACTION_SCRAPE:
                out.connectionId = first;
                return parseScrape(packet, base, length, out);
            default:
                return Parse.DROP;
        }
    }

    private Parse parseAnnounce(ByteBuffer p, int base, int length, UdpRequest out) {
        AnnounceRequest a = out.announce;
        p.get(base + 16, a.infoHash, 0, AnnounceRequest.INFO_HASH_LENGTH);
        p.get(base + 36, a.peerId, 0, AnnounceRequest.PEER_ID_LENGTH);
        a.downloaded = p.getLong(base + 56);
        a.left = p.getLong(base + 64);
        a.uploaded = p.getLong(base + 72);
        int eventCode = p.getInt(base + 80);
        int ip = p.getInt(base + 84);
        a.key = p.getInt(base + 88) & 0xFFFFFFFFL;
        a.hasKey = true;
        int numWant = p.getInt(base + 92);
        a.port = p.getShort(base + 96) & 0xFFFF;
        a.compact = true;
        parseOptions(p, base + ANNOUNCE_MIN_LENGTH, base + length, out);
        if (ip != 0) {
            a.ip[0] = (byte) (ip >>> 24);
            a.ip[1] = (byte) (ip >>> 16);
            a.ip[2] = (byte) (ip >>> 8);
            a.ip[3] = (byte) ip;
            a.ipLength = 4;
        }
        AnnounceEvent event = AnnounceEvent.fromUdpCode(eventCode);
        if (event == null) {
            return error(FailureReason.INVALID_EVENT);
        }
        a.event = event;
        // num_want is signed: -1 (and any negative) means "the default".
        a.numWant = numWant < 0 ? AnnounceRequest.NUM_WANT_DEFAULT : numWant;
        if (a.downloaded < 0 || a.uploaded < 0 || a.left < -1) {
            return error(FailureReason.INVALID_NUMBER);
        }
        if (a.left == -1) {
            a.left = AnnounceRequest.LEFT_UNKNOWN;
        }
        if (a.port == 0) {
            return error(FailureReason.INVALID_PORT);
        }
        return Parse.ANNOUNCE;
    }

    /** BEP 41: options never make a request invalid; malformed options just end the scan. */
    private static void parseOptions(ByteBuffer p, int at, int end, UdpRequest out) {
        while (at < end) {
            int type = p.get(at) & 0xFF;
            if (type == OPTION_END) {
                return;
            }
            if (type == OPTION_NOP) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                return;
            }
            int len = p.get(at + 1) & 0xFF;
            int dataStart = at + 2;
            if (dataStart + len > end) {
                return;
            }
            if (type == OPTION_URL_DATA) {
                int room = Math.min(len, out.urlData.length - out.urlDataLength);
                p.get(dataStart, out.urlData, out.urlDataLength, room);
                out.urlDataLength += room;
            }
            at = dataStart + len;
        }
    }

    private Parse parseScrape(ByteBuffer p, int base, int length, UdpRequest out) {
        int body = length - SCRAPE_HEADER_LENGTH;
        if (body <= 0 || body % AnnounceRequest.INFO_HASH_LENGTH != 0) {
            return body <= 0 ? error(FailureReason.MISSING_INFO_HASH) : Parse.DROP;
        }
        int n = body / AnnounceRequest.INFO_HASH_LENGTH;
        ScrapeRequest s = out.scrape;
        if (n > s.maxHashes) {
            return error(FailureReason.TOO_MANY_INFO_HASHES);
        }
        p.get(base + SCRAPE_HEADER_LENGTH, s.infoHashes, 0, n * AnnounceRequest.INFO_HASH_LENGTH);
        s.count = n;
        return Parse.SCRAPE;
    }

    private Parse error(FailureReason reason) {
        lastFailure = reason;
        return Parse.ERROR;
    }

    /** Writes a connect reply at the buffer's position. */
    public static void writeConnect(ByteBuffer out, int transactionId, long connectionId) {
        out.putInt(ACTION_CONNECT).putInt(transactionId).putLong(connectionId);
    }

    /**
     * Writes an announce reply with the peers of one family: IPv4 (6 bytes each) when {@code ipv6} is false, else
     * IPv6 (18 bytes each), at most {@code maxPeers} of them.
     */
    public static void writeAnnounce(
            ByteBuffer out, int transactionId, int intervalSeconds, AnnounceResponse r, boolean ipv6, int maxPeers) {
        out.putInt(ACTION_ANNOUNCE).putInt(transactionId).putInt(intervalSeconds);
        out.putInt(r.incomplete).putInt(r.complete);
        if (ipv6) {
            int n = Math.min(r.peers6Count, maxPeers);
            out.put(r.peers6, 0, n * AnnounceResponse.COMPACT_PEER6_LENGTH);
        } else {
            int n = Math.min(r.peers4Count, maxPeers);
            out.put(r.peers4, 0, n * AnnounceResponse.COMPACT_PEER4_LENGTH);
        }
    }

    /** Writes a scrape reply: seeders, completed, leechers for each requested hash, in request order. */
    public static void writeScrape(ByteBuffer out, int transactionId, ScrapeResponse r) {
        out.putInt(ACTION_SCRAPE).putInt(transactionId);
        for (int i = 0; i < r.count; i++) {
            out.putInt(r.complete[i]).putInt(r.downloaded[i]).putInt(r.incomplete[i]);
        }
    }

    /** Writes an error reply with the reason's text. */
    public static void writeError(ByteBuffer out, int transactionId, FailureReason reason) {
        out.putInt(ACTION_ERROR).putInt(transactionId).put(reason.textBytes());
    }

    /** The length of {@link #writeError} for a reason. */
    public static int errorLength(FailureReason reason) {
        return 8 + reason.textBytes().length;
    }
}
