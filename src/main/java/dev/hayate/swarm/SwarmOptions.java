package dev.hayate.swarm;

import java.nio.file.Path;

/**
 * Sizing and policy of a {@link ChronicleSwarmStore}.
 *
 * @param maxPeers peers stored at most, over all swarms; an announce from a new peer beyond it fails with
 *     {@code tracker is full}
 * @param maxTorrents swarms stored at most; a first announce for a new swarm beyond it fails the same way
 * @param storePath directory of the persisted maps, created if missing; {@code null} keeps the maps in memory only
 * @param peerTtlMillis a peer not seen for this long is removed by {@link ChronicleSwarmStore#sweep(long)}
 * @param maxNumWant peers returned per announce at most, whatever the caller asks
 */
public record SwarmOptions(long maxPeers, long maxTorrents, Path storePath, long peerTtlMillis, int maxNumWant) {

    public SwarmOptions {
        if (maxPeers < 1) {
            throw new IllegalArgumentException("maxPeers must be >= 1: " + maxPeers);
        }
        if (maxTorrents < 1) {
            throw new IllegalArgumentException("maxTorrents must be >= 1: " + maxTorrents);
        }
        if (peerTtlMillis < 1) {
            throw new IllegalArgumentException("peerTtlMillis must be >= 1: " + peerTtlMillis);
        }
        if (maxNumWant < 0) {
            throw new IllegalArgumentException("maxNumWant must be >= 0: " + maxNumWant);
        }
    }
}
