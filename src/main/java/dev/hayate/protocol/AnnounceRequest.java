package dev.hayate.protocol;

/**
 * One announce, decoded from HTTP (BEP 3) or UDP (BEP 15). A reusable flyweight: each IO thread owns one and
 * {@link #reset()}s it per request. Allocation-free after construction.
 */
public final class AnnounceRequest {
    public static final int INFO_HASH_LENGTH = 20;
    public static final int PEER_ID_LENGTH = 20;
    /** Sentinel for "no numwant given": the tracker's default applies. */
    public static final int NUM_WANT_DEFAULT = -1;
    /** Sentinel for "no left given": such a peer counts as a leecher. */
    public static final long LEFT_UNKNOWN = -1;

    public final byte[] infoHash = new byte[INFO_HASH_LENGTH];
    public final byte[] peerId = new byte[PEER_ID_LENGTH];
    /** 1..65535 once validated. */
    public int port;

    public long uploaded;
    public long downloaded;
    /** Bytes left to download; 0 means a seeder whatever the event; {@link #LEFT_UNKNOWN} when absent. */
    public long left = LEFT_UNKNOWN;

    public AnnounceEvent event = AnnounceEvent.NONE;
    /** {@link #NUM_WANT_DEFAULT} when absent (or -1 over UDP); otherwise >= 0, not yet capped. */
    public int numWant = NUM_WANT_DEFAULT;
    /** BEP 23; true unless the client sent compact=0. */
    public boolean compact = true;

    /** True when the client sent {@code key}. The key is folded into 64 bits (any length, any bytes). */
    public boolean hasKey;

    public long key;

    /** Address from {@code ip=}/{@code ipv4=}/{@code ipv6=} (or UDP's ip field), 4 or 16 bytes; 0 = none given. */
    public final byte[] ip = new byte[16];

    public int ipLength;

    public void reset() {
        port = 0;
        uploaded = 0;
        downloaded = 0;
        left = LEFT_UNKNOWN;
        event = AnnounceEvent.NONE;
        numWant = NUM_WANT_DEFAULT;
        compact = true;
        hasKey = false;
        key = 0;
        ipLength = 0;
    }

    public boolean isSeeder() {
        return left == 0;
    }
}
