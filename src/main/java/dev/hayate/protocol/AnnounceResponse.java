package dev.hayate.protocol;

/**
 * What the swarm answers to one announce, before it is written as bencode (HTTP) or a BEP 15 packet (UDP). A
 * reusable flyweight: each IO thread owns one, sized for the configured numwant cap. Allocation-free after
 * construction.
 *
 * <p>Peers are kept in compact wire form so that writing the response is a copy: 6 bytes per IPv4 peer (address,
 * port, big-endian) in {@link #peers4}, 18 bytes per IPv6 peer in {@link #peers6}. There are no peer ids: the store
 * keeps a hash of each peer_id, not the id, so the BEP 3 dictionary model is written without {@code peer id} (the
 * form BEP 23's {@code no_peer_id=1} asks for).
 */
public final class AnnounceResponse {
    public static final int COMPACT_PEER4_LENGTH = 6;
    public static final int COMPACT_PEER6_LENGTH = 18;

    /** Seeders in the swarm (BEP 3 {@code complete}). */
    public int complete;
    /** Leechers in the swarm (BEP 3 {@code incomplete}). */
    public int incomplete;
    /** Completed downloads ever counted. */
    public int downloaded;

    public final byte[] peers4;
    public int peers4Count;
    public final byte[] peers6;
    public int peers6Count;

    public final int maxPeers;

    public AnnounceResponse(int maxPeers) {
        this.maxPeers = maxPeers;
        this.peers4 = new byte[maxPeers * COMPACT_PEER4_LENGTH];
        this.peers6 = new byte[maxPeers * COMPACT_PEER6_LENGTH];
    }

    public void reset() {
        complete = 0;
        incomplete = 0;
        downloaded = 0;
        peers4Count = 0;
        peers6Count = 0;
    }
}
