package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.protocol.FailureReason;

/** Test helper: builds announces for peer number {@code n} of torrent {@code t}. */
final class Announces {
    static final int NUM_WANT = 200;

    final AnnounceRequest request = new AnnounceRequest();
    final AnnounceResponse response = new AnnounceResponse(NUM_WANT);
    final byte[] address = new byte[16];
    int addressLength = 4;
    final SwarmStore store;
    long now = 1_000_000L;

    Announces(SwarmStore store) {
        this.store = store;
    }

    static void infoHash(byte[] into, int t) {
        for (int i = 0; i < 20; i++) {
            into[i] = (byte) (t * 31 + i * 7 + (t >>> 8) + (t >>> 16) * 13);
        }
        into[0] = (byte) t;
        into[1] = (byte) (t >>> 8);
        into[2] = (byte) (t >>> 16);
        into[3] = (byte) (t >>> 24);
    }

    static void peerId(byte[] into, int n) {
        for (int i = 0; i < 20; i++) {
            into[i] = (byte) ('A' + i);
        }
        into[16] = (byte) (n >>> 24);
        into[17] = (byte) (n >>> 16);
        into[18] = (byte) (n >>> 8);
        into[19] = (byte) n;
    }

    /** Peer n's default endpoint: IPv4 10.x.y.z, port derived from n (unique for n < 60000). */
    Announces peer(int t, int n) {
        request.reset();
        infoHash(request.infoHash, t);
        peerId(request.peerId, n);
        request.port = 1024 + (n % 60000);
        v4(n);
        return this;
    }

    Announces v4(int n) {
        addressLength = 4;
        address[0] = 10;
        address[1] = (byte) (n >>> 16);
        address[2] = (byte) (n >>> 8);
        address[3] = (byte) n;
        return this;
    }

    Announces v6(int n) {
        addressLength = 16;
        for (int i = 0; i < 16; i++) {
            address[i] = 0;
        }
        address[0] = 0x20;
        address[1] = 0x01;
        address[13] = (byte) (n >>> 16);
        address[14] = (byte) (n >>> 8);
        address[15] = (byte) n;
        return this;
    }

    Announces left(long left) {
        request.left = left;
        return this;
    }

    Announces event(AnnounceEvent event) {
        request.event = event;
        return this;
    }

    Announces key(long key) {
        request.hasKey = true;
        request.key = key;
        return this;
    }

    Announces port(int port) {
        request.port = port;
        return this;
    }

    FailureReason send(int numWant) {
        return store.announce(request, address, addressLength, numWant, now, response);
    }

    FailureReason send() {
        return send(50);
    }

    /** An announce whose answer can carry only {@code families} ({@link SwarmStore#FAMILY_V4} etc.). */
    FailureReason sendFor(int families, int numWant) {
        return store.announce(request, address, addressLength, numWant, families, now, response);
    }

    /** Ports of the returned IPv4 peers. */
    int port4(int i) {
        int b = i * AnnounceResponse.COMPACT_PEER4_LENGTH;
        return (response.peers4[b + 4] & 0xFF) << 8 | (response.peers4[b + 5] & 0xFF);
    }

    int port6(int i) {
        int b = i * AnnounceResponse.COMPACT_PEER6_LENGTH;
        return (response.peers6[b + 16] & 0xFF) << 8 | (response.peers6[b + 17] & 0xFF);
    }
}
