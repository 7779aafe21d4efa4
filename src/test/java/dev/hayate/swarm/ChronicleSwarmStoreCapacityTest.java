package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChronicleSwarmStoreCapacityTest {
    private static final long TTL = 60_000;

    /**
     * Fills a store to exactly its limits: every announce is accepted until the store's own counters reach {@code
     * maxPeers}/{@code maxTorrents}, then exactly those that would pass them are refused. Chronicle must never refuse
     * first, whatever the shape of the swarms (many tiny ones, every swarm at its largest inline size with IPv6 peers,
     * one huge swarm), so random sizes and shapes over many seeds.
     */
    @Test
    void shouldAnswerTrackerFullOnlyAtExactlyTheConfiguredLimitsWhenFilledOverManySeeds() {
        for (int seed = 0; seed < 40; seed++) {
            java.util.Random r = new java.util.Random(seed);
            int shape = seed % 4;
            int maxTorrents = 1 + r.nextInt(shape == 3 ? 40 : 600);
            int maxPeers = shape == 1 ? maxTorrents * StoreLayout.INLINE_MAX_PEERS : 1 + r.nextInt(6000);
            try (ChronicleSwarmStore store =
                    ChronicleSwarmStore.open(new SwarmOptions(maxPeers, maxTorrents, null, TTL, 50))) {
                Announces a = new Announces(store);
                int next = 0;
                int refusedTorrents = 0;
                while (store.peerCount() < maxPeers) {
                    int torrent = switch (shape) {
                        case 0 -> r.nextInt(maxTorrents * 2); // more torrents than allowed
                        case 1 -> next / StoreLayout.INLINE_MAX_PEERS; // every swarm at the largest inline values
                        case 2 -> r.nextInt(4) == 0 ? r.nextInt(maxTorrents) : 0; // one huge swarm
                        default -> (int) Math.abs(r.nextGaussian() * maxTorrents / 3);
                    };
                    a.peer(torrent, next++).left(r.nextInt(3) == 0 ? 0 : 10);
                    if (shape == 1 || r.nextInt(5) == 0) {
                        a.v6(next);
                    }
                    long torrentsBefore = store.torrentCount();
                    dev.hayate.protocol.FailureReason f = a.send(r.nextInt(60));
                    if (f != null) {
                        assertEquals(dev.hayate.protocol.FailureReason.TRACKER_FULL, f, "seed " + seed);
                        assertEquals(maxTorrents, torrentsBefore, "seed " + seed + ": full below the limits");
                        refusedTorrents++;
                    }
                }
                assertEquals(maxPeers, store.peerCount(), "seed " + seed);
                assertEquals(
                        dev.hayate.protocol.FailureReason.TRACKER_FULL,
                        a.peer(0, next++).send(),
                        "seed " + seed + ": one more peer");
                assertNull(store.verify(), "seed " + seed);
                assertTrue(refusedTorrents == 0 || store.torrentCount() == maxTorrents);
                // and everything can leave and come back
                assertEquals(maxPeers, store.sweep(Long.MAX_VALUE));
                assertEquals(0, store.torrentCount());
                assertNull(store.verify(), "seed " + seed);
            }
        }
    }
}
