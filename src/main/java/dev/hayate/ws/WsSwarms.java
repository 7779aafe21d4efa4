package dev.hayate.ws;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The WebTorrent swarms: which live sockets announced which torrent, under which peer_id. Not in the Chronicle store and
 * never persisted: a WebTorrent peer is a socket, not an address, and is gone with it.
 *
 * <p>Striped: {@value #STRIPES} stripes by info_hash, each a map of swarms guarded by the stripe's monitor. A lock is
 * held only for the state change and the choice of relay targets, never across I/O: the caller writes the frames after
 * it returns. Lookups use the caller's {@link Key} flyweights, so an announce to a known swarm allocates nothing; a new
 * swarm or peer costs its record and a map entry.
 *
 * <p>A {@link Peer} names its socket ({@link Peer#conn}); when the same peer_id announces from a new socket, the peer
 * moves there (offers and answers go to the new socket), and the old socket's close no longer removes it.
 */
final class WsSwarms {
    static final int ID_LENGTH = 20;
    /** {@link #announce} results. */
    static final int OK = 0;

    static final int FULL = 1;
    static final int TAKEN = 2;
    private static final int STRIPE_BITS = 6;
    private static final int STRIPES = 1 << STRIPE_BITS;

    private final Stripe[] stripes = new Stripe[STRIPES];

    WsSwarms() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** A 20-byte key. Stored keys own their bytes; a lookup key is a flyweight over the caller's array. */
    static class Key {
        byte[] bytes;
        int offset;
        int hash;

        Key set(byte[] b, int off) {
            bytes = b;
            offset = off;
            int h = 1;
            for (int i = 0; i < ID_LENGTH; i++) {
                h = 31 * h + b[off + i];
            }
            hash = h;
            return this;
        }

        @Override
        public final int hashCode() {
            return hash;
        }

        @Override
        public final boolean equals(Object o) {
            return o instanceof Key k
                    && k.hash == hash
                    && Arrays.equals(bytes, offset, offset + ID_LENGTH, k.bytes, k.offset, k.offset + ID_LENGTH);
        }
    }

    private static final class Stripe {
        final HashMap<Key, Swarm> swarms = new HashMap<>();
        // Written under the stripe's lock, read without it by the gauges (a sample may be a moment old).
        int torrents;
        int seeders;
        int leechers;
    }

    static final class Swarm extends Key {
        final HashMap<Key, Peer> byId = new HashMap<>(4);
        Peer[] peers = new Peer[2];
        int count;
        int seeders;
        /** Completed events from known leechers while the swarm exists. */
        long downloaded;

        Swarm(byte[] infoHash) {
            set(infoHash.clone(), 0);
        }
    }

    static final class Peer extends Key {
        final Swarm swarm;
        /** The socket this peer_id last announced from. Written under the stripe lock; read by its socket's thread. */
        volatile WsConnection conn;

        boolean seeder;
        long lastSeenMillis;
        int index;
        /** Left its swarm (stopped, closed, expired). Written under the stripe lock. */
        volatile boolean removed;

        Peer(Swarm swarm, byte[] peerId, int off) {
            this.swarm = swarm;
            set(Arrays.copyOfRange(peerId, off, off + ID_LENGTH), 0);
        }
    }

    /** What an announce hands back to its IO thread; one per thread, reused. Allocation-free after construction. */
    static final class Scratch {
        final Key key = new Key();
        final Key peerKey = new Key();
        final WsConnection[] targets;
        final int[] chosen;
        int targetCount;
        long complete;
        long incomplete;
        /** Set when the announcing socket newly owns this peer and must remember it (to leave on close). */
        Peer adopted;

        Scratch(int maxOffers) {
            targets = new WsConnection[maxOffers];
            chosen = new int[maxOffers];
        }
    }

    /**
     * The top bits of a multiplicative mix: a HashMap places keys by the low bits of {@code hash ^ hash >>> 16}, so a
     * stripe chosen by those same bits would put all of its swarms in a few buckets (measured: every entry in tree
     * bins).
     */
    private Stripe stripe(Key k) {
        return stripes[(k.hash * 0x9E3779B9) >>> (32 - STRIPE_BITS)];
    }

    /**
     * An announce other than {@code stopped}: adds or updates the peer, then chooses up to {@code offers} other peers of
     * the swarm (never the announcing peer, never another peer_id of the same socket) in random order, into
     * {@code s.targets}. Counts include the announcing peer. Returns {@link #FULL}, changing nothing, when the peer is
     * new and {@code maxPeers} peers are stored already (checked without a global lock: the count may overshoot by one
     * per IO thread), and {@link #TAKEN} when the peer_id belongs to another open socket of another address.
     */
    int announce(
            byte[] infoHash,
            byte[] peerId,
            boolean seeder,
            boolean completed,
            WsConnection conn,
            long nowMillis,
            int offers,
            long maxPeers,
            Scratch s) {
        Key k = s.key.set(infoHash, 0);
        Stripe st = stripe(k);
        s.adopted = null;
        s.targetCount = 0;
        synchronized (st) {
            Swarm sw = st.swarms.get(k);
            Peer p = sw == null ? null : sw.byId.get(s.peerKey.set(peerId, 0));
            if (p == null) {
                if (seeders() + leechers() >= maxPeers) {
                    return FULL;
                }
                if (sw == null) {
                    sw = new Swarm(infoHash);
                    st.swarms.put(sw, sw);
                    st.torrents++;
                }
                p = new Peer(sw, peerId, 0);
                add(st, sw, p, seeder);
                p.conn = conn;
                s.adopted = p;
            } else {
                if (p.conn != conn) {
                    if (!p.conn.yieldsTo(conn)) {
                        return TAKEN;
                    }
                    p.conn = conn; // the peer_id came back on a new socket: it owns the peer from now on
                    s.adopted = p;
                }
                if (p.seeder != seeder) {
                    if (seeder && completed) {
                        sw.downloaded++; // a known leecher completed (a seeder's completed counts nothing)
                    }
                    setSeeder(st, sw, p, seeder);
                }
            }
            p.lastSeenMillis = nowMillis;
            selectTargets(sw, p, conn, offers, s);
            s.complete = sw.seeders;
            s.incomplete = sw.count - sw.seeders;
        }
        return OK;
    }

    /**
     * {@code stopped}: the peer leaves, if this socket owns it (a stopped for a peer_id announced from another socket
     * changes nothing). The counts after it are left in {@code s}.
     */
    void stop(byte[] infoHash, byte[] peerId, WsConnection conn, Scratch s) {
        Key k = s.key.set(infoHash, 0);
        Stripe st = stripe(k);
        s.adopted = null;
        s.targetCount = 0;
        synchronized (st) {
            Swarm sw = st.swarms.get(k);
            Peer p = sw == null ? null : sw.byId.get(s.peerKey.set(peerId, 0));
            if (p != null && p.conn == conn) {
                remove(st, sw, p);
            }
            s.complete = sw == null ? 0 : sw.seeders;
            s.incomplete = sw == null ? 0 : sw.count - sw.seeders;
        }
    }

    /**
     * The socket of {@code toPeerId} in the swarm, or {@code null} when the swarm does not know it. Refreshes the
     * answering peer when this socket owns it (an answer shows it is alive).
     */
    WsConnection route(
            byte[] infoHash, byte[] toPeerId, byte[] fromPeerId, WsConnection conn, long nowMillis, Scratch s) {
        Key k = s.key.set(infoHash, 0);
        Stripe st = stripe(k);
        synchronized (st) {
            Swarm sw = st.swarms.get(k);
            if (sw == null) {
                return null;
            }
            Peer from = sw.byId.get(s.peerKey.set(fromPeerId, 0));
            if (from != null && from.conn == conn) {
                from.lastSeenMillis = nowMillis;
            }
            Peer to = sw.byId.get(s.peerKey.set(toPeerId, 0));
            return to == null ? null : to.conn;
        }
    }

    /** The socket closed: {@code p} leaves its swarm unless another socket has taken its peer_id over. */
    void leave(Peer p, WsConnection conn) {
        Stripe st = stripe(p.swarm);
        synchronized (st) {
            if (!p.removed && p.conn == conn) {
                remove(st, p.swarm, p);
            }
        }
    }

    /** Counts of the swarm {@code hashes[offset, +20)}: zeros when unknown. */
    void counts(byte[] hashes, int offset, Key key, long[] complete, long[] incomplete, long[] downloaded, int i) {
        Key k = key.set(hashes, offset);
        Stripe st = stripe(k);
        synchronized (st) {
            Swarm sw = st.swarms.get(k);
            complete[i] = sw == null ? 0 : sw.seeders;
            incomplete[i] = sw == null ? 0 : sw.count - sw.seeders;
            downloaded[i] = sw == null ? 0 : sw.downloaded;
        }
    }

    /** Removes every peer last heard before {@code cutoffMillis}; returns how many. Runs on the sweeper thread. */
    long expire(long cutoffMillis) {
        long expired = 0;
        for (Stripe st : stripes) {
            synchronized (st) {
                Iterator<Swarm> it = st.swarms.values().iterator();
                while (it.hasNext()) {
                    Swarm sw = it.next();
                    // Downwards: a swap-remove moves a peer from above i, already checked, into slot i.
                    for (int i = sw.count - 1; i >= 0; i--) {
                        Peer p = sw.peers[i];
                        if (p.lastSeenMillis < cutoffMillis) {
                            removeFromSwarm(st, sw, p);
                            expired++;
                        }
                    }
                    if (sw.count == 0) {
                        it.remove();
                        st.torrents--;
                    }
                }
            }
        }
        return expired;
    }

    long torrents() {
        long n = 0;
        for (Stripe st : stripes) {
            n += st.torrents;
        }
        return n;
    }

    long seeders() {
        long n = 0;
        for (Stripe st : stripes) {
            n += st.seeders;
        }
        return n;
    }

    long leechers() {
        long n = 0;
        for (Stripe st : stripes) {
            n += st.leechers;
        }
        return n;
    }

    private static void add(Stripe st, Swarm sw, Peer p, boolean seeder) {
        if (sw.count == sw.peers.length) {
            sw.peers = Arrays.copyOf(sw.peers, sw.peers.length * 2);
        }
        p.index = sw.count;
        sw.peers[sw.count++] = p;
        sw.byId.put(p, p);
        p.seeder = seeder;
        if (seeder) {
            sw.seeders++;
            st.seeders++;
        } else {
            st.leechers++;
        }
    }

    private static void setSeeder(Stripe st, Swarm sw, Peer p, boolean seeder) {
        p.seeder = seeder;
        int d = seeder ? 1 : -1;
        sw.seeders += d;
        st.seeders += d;
        st.leechers -= d;
    }

    private static void remove(Stripe st, Swarm sw, Peer p) {
        removeFromSwarm(st, sw, p);
        if (sw.count == 0) {
            st.swarms.remove(sw);
            st.torrents--;
        }
    }

    private static void removeFromSwarm(Stripe st, Swarm sw, Peer p) {
        int last = --sw.count;
        Peer moved = sw.peers[last];
        sw.peers[p.index] = moved;
        moved.index = p.index;
        sw.peers[last] = null;
        sw.byId.remove(p);
        p.removed = true;
        if (p.seeder) {
            sw.seeders--;
            st.seeders--;
        } else {
            st.leechers--;
        }
    }

    /**
     * Up to {@code want} distinct other peers in random order (README pitfall 2: offer i goes to the i-th random other
     * peer). Small swarms: all others from a random start, shuffled. Large ones: random picks, retried on a repeat.
     */
    private static void selectTargets(Swarm sw, Peer self, WsConnection conn, int want, Scratch s) {
        int n = sw.count;
        if (want <= 0 || n <= 1) {
            return;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (want * 2 < n - 1) {
            for (int attempts = want * 4; attempts > 0 && s.targetCount < want; attempts--) {
                int i = random.nextInt(n);
                Peer q = sw.peers[i];
                if (q != self && q.conn != conn && !chosen(s, i)) {
                    s.chosen[s.targetCount] = i;
                    s.targets[s.targetCount++] = q.conn;
                }
            }
            if (s.targetCount == want) {
                return;
            }
        }
        // Every other peer from a random start (or the rest after unlucky picks), then shuffled.
        int start = random.nextInt(n);
        for (int j = 0; j < n && s.targetCount < want; j++) {
            int i = (start + j) % n;
            Peer q = sw.peers[i];
            if (q != self && q.conn != conn && !chosen(s, i)) {
                s.chosen[s.targetCount] = i;
                s.targets[s.targetCount++] = q.conn;
            }
        }
        for (int i = s.targetCount - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            WsConnection t = s.targets[i];
            s.targets[i] = s.targets[j];
            s.targets[j] = t;
        }
    }

    private static boolean chosen(Scratch s, int index) {
        for (int i = 0; i < s.targetCount; i++) {
            if (s.chosen[i] == index) {
                return true;
            }
        }
        return false;
    }
}
