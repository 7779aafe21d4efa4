package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.FailureReason;
import dev.hayate.protocol.ScrapeRequest;
import dev.hayate.protocol.ScrapeResponse;
import java.util.BitSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChronicleSwarmStoreTest {
    private static final long TTL = 60_000;
    private ChronicleSwarmStore store;

    private ChronicleSwarmStore open(long maxPeers, long maxTorrents) {
        store = ChronicleSwarmStore.open(new SwarmOptions(maxPeers, maxTorrents, null, TTL, 200));
        return store;
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    /**
     * Format 3 identifies a peer by a 64-bit hash of its peer_id: every byte of the 20 must count. Peer_ids that differ
     * from a base in one byte (each position, flipped bit by bit) are distinct peers, announced from one address and
     * port, where a peer_id the store took for an existing one would update that entry instead of adding a peer. An
     * inline swarm (11 peers) and one in blocks (161 peers).
     */
    @ParameterizedTest
    @ValueSource(ints = {10, 20})
    void shouldTellPeersApartWhenTheirPeerIdsDifferInOneByte(int positions) {
        Announces a = new Announces(open(10_000, 100));
        int bits = positions == 10 ? 1 : 8;
        int expected = 1 + positions * bits;
        for (int round = 0; round < 2; round++) {
            for (int k = -1; k < positions * bits; k++) {
                a.peer(positions, 1);
                if (k >= 0) {
                    a.request.peerId[k / bits] ^= (byte) (1 << (k % bits));
                }
                assertNull(a.send(0));
            }
            assertEquals(expected, store.peerCount(), "round " + round);
            assertEquals(expected, a.response.incomplete);
            assertNull(store.verify());
        }
        a.peer(positions, 1);
        a.request.peerId[positions - 1] ^= 1;
        assertNull(a.event(AnnounceEvent.STOPPED).send(0));
        assertEquals(expected - 1, store.peerCount());
        assertNull(a.peer(positions, 1).send(0));
        assertEquals(expected - 1, a.response.incomplete, "the base peer is still there");
    }

    @Test
    void shouldCountSeedersAndLeechersWhenPeersAnnounce() {
        Announces a = new Announces(open(1000, 100));
        assertNull(a.peer(1, 1).left(0).send());
        assertNull(a.peer(1, 2).left(100).send());
        assertNull(a.peer(1, 3).left(AnnounceRequest.LEFT_UNKNOWN).send());
        assertNull(a.peer(2, 4).left(0).event(AnnounceEvent.STARTED).send());
        assertEquals(1, a.response.complete);
        assertEquals(0, a.response.incomplete);
        assertEquals(2, store.seederCount());
        assertEquals(2, store.leecherCount());
        assertEquals(2, store.torrentCount());
        assertEquals(4, store.peerCount());
        assertNull(store.verify());
    }

    @Test
    void shouldTreatPeerAsLeecherWhenLeftIsUnknown() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).send();
        assertEquals(0, a.response.complete);
        assertEquals(1, a.response.incomplete);
    }

    @Test
    void shouldMovePeerToSeedersWhenLeecherReportsLeftZero() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).left(10).send();
        a.peer(1, 2).left(10).send();
        a.peer(1, 1).left(0).send();
        assertEquals(1, a.response.complete);
        assertEquals(1, a.response.incomplete);
        assertEquals(1, store.seederCount());
        assertEquals(1, store.leecherCount());
        a.peer(1, 1).left(5).send();
        assertEquals(0, a.response.complete);
        assertEquals(2, a.response.incomplete);
        assertNull(store.verify());
    }

    @Test
    void shouldRemovePeerAndReturnNoPeersWhenStopped() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).left(0).send();
        a.peer(1, 2).left(0).send();
        a.peer(1, 3).left(10).send();
        assertNull(a.peer(1, 3).left(10).event(AnnounceEvent.STOPPED).send(50));
        assertEquals(0, a.response.peers4Count);
        assertEquals(2, a.response.complete);
        assertEquals(0, a.response.incomplete);
        assertEquals(2, store.peerCount());
        assertNull(store.verify());
    }

    @Test
    void shouldRemoveSwarmWhenLastPeerStops() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).send();
        a.peer(1, 1).event(AnnounceEvent.STOPPED).send();
        assertEquals(0, store.torrentCount());
        assertEquals(0, store.peerCount());
        ScrapeRequest sr = new ScrapeRequest(1);
        Announces.infoHash(sr.infoHashes, 1);
        sr.count = 1;
        ScrapeResponse out = new ScrapeResponse(1);
        store.scrape(sr, out);
        assertEquals(0, out.incomplete[0]);
    }

    @Test
    void shouldIgnoreStopWhenPeerIsUnknown() {
        Announces a = new Announces(open(1000, 100));
        assertNull(a.peer(1, 1).event(AnnounceEvent.STOPPED).send());
        assertEquals(0, store.torrentCount());
        assertEquals(0, a.response.incomplete);
    }

    @Test
    void shouldCountCompletedOnceWhenKnownLeecherCompletes() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).left(10).send();
        a.peer(1, 1).left(0).event(AnnounceEvent.COMPLETED).send();
        assertEquals(1, a.response.downloaded);
        a.peer(1, 1).left(0).event(AnnounceEvent.COMPLETED).send();
        assertEquals(1, a.response.downloaded);
        // a leecher that says completed but still has bytes left is counted once too
        a.peer(1, 2).left(10).send();
        a.peer(1, 2).left(10).event(AnnounceEvent.COMPLETED).send();
        a.peer(1, 2).left(10).event(AnnounceEvent.COMPLETED).send();
        assertEquals(2, a.response.downloaded);
    }

    @Test
    void shouldNotCountCompletedWhenPeerIsFirstSeenWithIt() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).left(0).event(AnnounceEvent.COMPLETED).send();
        assertEquals(0, a.response.downloaded);
        a.peer(1, 1).left(0).event(AnnounceEvent.COMPLETED).send();
        assertEquals(0, a.response.downloaded);
        a.peer(1, 2).left(0).send();
        a.peer(1, 2).left(0).event(AnnounceEvent.COMPLETED).send();
        assertEquals(0, a.response.downloaded);
    }

    @Test
    void shouldNeverReturnRequesterWhenItIsInTheSwarm() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 1; n <= 5; n++) {
            a.peer(1, n).left(10).send();
        }
        for (int round = 0; round < 50; round++) {
            for (int n = 1; n <= 5; n++) {
                a.peer(1, n).left(10).send(3);
                assertEquals(3, a.response.peers4Count);
                for (int i = 0; i < 3; i++) {
                    assertTrue(a.port4(i) != 1024 + n, "peer " + n + " got itself");
                }
            }
        }
        a.peer(1, 1).left(10).send(200);
        assertEquals(4, a.response.peers4Count);
    }

    @Test
    void shouldReturnNoPeersWhenNumWantIsZero() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).send();
        a.peer(1, 2).send(0);
        assertEquals(0, a.response.peers4Count);
        assertEquals(0, a.response.peers6Count);
        assertEquals(2, a.response.incomplete);
    }

    @Test
    void shouldReturnWholeSwarmOnceWhenNumWantExceedsSwarm() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 1; n <= 40; n++) {
            a.peer(1, n).left(n % 2 == 0 ? 0 : 10).send();
        }
        a.peer(1, 100).left(10).send(200);
        assertEquals(40, a.response.peers4Count);
        BitSet seen = new BitSet();
        for (int i = 0; i < 40; i++) {
            seen.set(a.port4(i) - 1024);
        }
        assertEquals(40, seen.cardinality());
        assertEquals(1, seen.nextSetBit(0));
        assertEquals(40, seen.length() - 1);
    }

    @Test
    void shouldGiveSeedersOnlyLeechersWhenSeederAnnounces() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 1; n <= 30; n++) {
            a.peer(1, n).left(n <= 20 ? 0 : 10).send();
        }
        for (int round = 0; round < 20; round++) {
            a.peer(1, 1).left(0).send(5);
            assertEquals(5, a.response.peers4Count);
            for (int i = 0; i < 5; i++) {
                assertTrue(a.port4(i) - 1024 > 20, "seeder got a seeder");
            }
        }
        a.peer(1, 1).left(0).send(200);
        assertEquals(10, a.response.peers4Count);
    }

    @Test
    void shouldGiveLeechersSeedersAndLeechersWhenLeecherAnnounces() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 1; n <= 100; n++) {
            a.peer(1, n).left(n <= 50 ? 0 : 10).send();
        }
        a.peer(1, 200).left(10).send(20);
        int seedersGot = 0;
        for (int i = 0; i < a.response.peers4Count; i++) {
            seedersGot += a.port4(i) - 1024 <= 50 ? 1 : 0;
        }
        assertEquals(20, a.response.peers4Count);
        assertEquals(10, seedersGot, "a 50/50 swarm gives a 50/50 mix");
    }

    @Test
    void shouldSeparateFamiliesWhenSwarmHasV4AndV6Peers() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 1; n <= 10; n++) {
            a.peer(1, n).v4(n).send();
        }
        for (int n = 11; n <= 15; n++) {
            a.peer(1, n).v6(n).send();
        }
        a.peer(1, 99).v4(99).send(200);
        assertEquals(10, a.response.peers4Count);
        assertEquals(5, a.response.peers6Count);
        for (int i = 0; i < 5; i++) {
            int n = a.port6(i) - 1024;
            assertTrue(n >= 11 && n <= 15);
            assertEquals(0x20, a.response.peers6[i * 18]);
            assertEquals((byte) n, a.response.peers6[i * 18 + 15]);
        }
        for (int i = 0; i < 10; i++) {
            int n = a.port4(i) - 1024;
            assertTrue(n >= 1 && n <= 10);
            assertEquals(10, a.response.peers4[i * 6]);
            assertEquals((byte) n, a.response.peers4[i * 6 + 3]);
        }
        // an IPv6 requester gets both families too
        a.peer(1, 98).v6(98).send(200);
        assertEquals(11, a.response.peers4Count);
        assertEquals(5, a.response.peers6Count);
    }

    /**
     * A UDP answer carries one family (BEP 15), so the store fills numwant from that family alone: small swarms
     * (one entry) and large ones (blocks) alike, seeders and leechers of the family both counted.
     */
    @ParameterizedTest
    @ValueSource(ints = {6, 200})
    void shouldFillNumWantFromOneFamilyWhenTheAnswerCarriesOnlyThatFamily(int perFamily) {
        Announces a = new Announces(open(2000, 100));
        for (int n = 1; n <= perFamily; n++) {
            a.peer(1, n).v4(n).left(n % 2 == 0 ? 0 : 10).send(0);
            a.peer(1, 1000 + n).v6(1000 + n).left(n % 2 == 0 ? 0 : 10).send(0);
        }
        int numWant = Math.min(50, perFamily);
        a.peer(1, 5000).v6(5000).left(10).sendFor(SwarmStore.FAMILY_V6, numWant);
        assertEquals(0, a.response.peers4Count, "no IPv4 peers in an IPv6-only answer");
        assertEquals(numWant, a.response.peers6Count, "numwant filled from IPv6 peers");
        for (int i = 0; i < numWant; i++) {
            int n = a.port6(i) - 1024;
            assertTrue(n > 1000 && n <= 1000 + perFamily, "an IPv6 peer: " + n);
        }
        a.peer(1, 5001).v4(5001).left(10).sendFor(SwarmStore.FAMILY_V4, numWant);
        assertEquals(numWant, a.response.peers4Count, "numwant filled from IPv4 peers");
        assertEquals(0, a.response.peers6Count);
        // a seeder of one family gets that family's leechers only
        a.peer(1, 5002).v4(5002).left(0).sendFor(SwarmStore.FAMILY_V4, 200);
        assertEquals((perFamily + 1) / 2 + 1, a.response.peers4Count, "the v4 leechers, 5001 included");
        assertEquals(0, a.response.peers6Count);
        // both families: the HTTP answer, numwant shared between them
        a.peer(1, 5003).v4(5003).left(10).sendFor(SwarmStore.BOTH_FAMILIES, numWant);
        assertEquals(numWant, a.response.peers4Count + a.response.peers6Count);
        assertTrue(a.response.peers6Count > 0 && a.response.peers4Count > 0);
    }

    @Test
    void shouldReachWholeSwarmWhenSelectingRandomly() {
        Announces a = new Announces(open(2000, 10));
        int size = 1000;
        for (int n = 1; n <= size; n++) {
            a.peer(1, n).left(n % 3 == 0 ? 0 : 10).send(0);
        }
        BitSet seen = new BitSet();
        for (int round = 0; round < 600; round++) {
            a.peer(1, 5000).left(10).send(50);
            assertEquals(50, a.response.peers4Count);
            for (int i = 0; i < 50; i++) {
                seen.set(a.port4(i) - 1024);
            }
        }
        assertEquals(size, seen.cardinality());
        assertFalse(seen.get(5000));
    }

    @Test
    void shouldAllowPortChangeWhenSameAddressAnnounces() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).send();
        assertNull(a.peer(1, 1).port(7777).send());
        a.peer(1, 2).send();
        assertEquals(1, a.response.peers4Count);
        assertEquals(7777, a.port4(0));
        assertEquals(2, store.peerCount());
    }

    @Test
    void shouldRejectAnnounceWhenPeerIdComesFromAnotherAddressWithoutKey() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).send();
        assertEquals(FailureReason.PEER_ID_IN_USE, a.peer(1, 1).v4(555).send());
        assertEquals(
                FailureReason.PEER_ID_IN_USE,
                a.peer(1, 1).v4(555).event(AnnounceEvent.STOPPED).send());
        assertEquals(FailureReason.PEER_ID_IN_USE, a.peer(1, 1).v4(555).key(1).send());
        assertEquals(1, store.peerCount());
        a.peer(1, 2).send();
        assertEquals((byte) 1, a.response.peers4[3], "the entry still has its first address");
    }

    @Test
    void shouldRejectAnnounceWhenKeyDiffersFromAnotherAddress() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).key(42).send();
        assertEquals(
                FailureReason.PEER_ID_IN_USE,
                a.peer(1, 1).v4(555).key(43).event(AnnounceEvent.STOPPED).send());
        assertEquals(
                FailureReason.PEER_ID_IN_USE,
                a.peer(1, 1).v4(555).event(AnnounceEvent.STOPPED).send());
        assertEquals(1, store.peerCount());
        assertNull(a.peer(1, 1).v4(555).key(42).event(AnnounceEvent.STOPPED).send());
        assertEquals(0, store.peerCount());
    }

    @Test
    void shouldAcceptANewKeyWhenItComesFromTheSameAddress() {
        // aria2 sends a different key with every UDP announce (shared/protocol samples).
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).key(42).send();
        assertNull(a.peer(1, 1).key(43).send());
        assertNull(a.peer(1, 1).send());
        assertEquals(1, store.peerCount());
        assertNull(a.peer(1, 1).key(44).event(AnnounceEvent.STOPPED).send());
        assertEquals(0, store.peerCount());
    }

    @Test
    void shouldMovePeerWhenSameKeyComesFromAnotherAddress() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).key(42).send();
        assertNull(a.peer(1, 1).v6(7).key(42).send());
        assertEquals(1, store.peerCount());
        a.peer(1, 2).send();
        assertEquals(0, a.response.peers4Count);
        assertEquals(1, a.response.peers6Count);
        assertEquals(1024 + 1, a.port6(0));
        assertNull(store.verify());
    }

    @Test
    void shouldAnswerTrackerFullWhenPeersExhaustedUntilExpiryFreesSpace() {
        Announces a = new Announces(open(10, 100));
        for (int n = 1; n <= 10; n++) {
            assertNull(a.peer(n % 3, n).send());
        }
        assertEquals(FailureReason.TRACKER_FULL, a.peer(1, 11).send());
        assertEquals(FailureReason.TRACKER_FULL, a.peer(50, 12).send());
        assertEquals(0, a.response.peers4Count);
        assertEquals(10, store.peerCount());
        assertEquals(3, store.torrentCount());
        assertEquals(1.0, store.peerCapacityUsed());
        // known peers keep being served
        assertNull(a.peer(1, 1).send());
        a.now += TTL + 1;
        assertNull(a.peer(1, 1).send()); // refreshed, survives the sweep
        assertEquals(9, store.sweep(a.now));
        assertEquals(1, store.peerCount());
        assertNull(a.peer(1, 11).send());
        assertNull(a.peer(50, 12).send());
        assertNull(store.verify());
    }

    @Test
    void shouldAnswerTrackerFullWhenTorrentsExhausted() {
        Announces a = new Announces(open(100, 2));
        assertNull(a.peer(1, 1).send());
        assertNull(a.peer(2, 2).send());
        assertEquals(FailureReason.TRACKER_FULL, a.peer(3, 3).send());
        assertNull(a.peer(2, 3).send());
        assertEquals(2, store.torrentCount());
        assertEquals(3, store.peerCount());
        a.peer(1, 1).event(AnnounceEvent.STOPPED).send();
        assertNull(a.peer(3, 3).send());
        assertNull(store.verify());
    }

    @Test
    void shouldKeepCountsExactWhenSweepExpiresPeers() {
        Announces a = new Announces(open(5000, 100));
        for (int n = 0; n < 3000; n++) {
            a.now = 1_000_000L + (n % 2) * TTL;
            a.peer(n % 7, n).left(n % 3 == 0 ? 0 : 10).v4(n).send(0);
            if (n % 5 == 0) {
                a.peer(n % 7, n).v6(n).left(n % 3 == 0 ? 0 : 10).send(0);
            }
        }
        long removed = store.sweep(1_000_000L + TTL + 1);
        assertEquals(1500, removed);
        assertEquals(1500, store.peerCount());
        assertEquals(1500, store.seederCount() + store.leecherCount());
        assertEquals(500, store.seederCount()); // odd n survive; seeders are n % 6 == 3
        assertNull(store.verify());
        assertEquals(1500, store.sweep(1_000_000L + 2 * TTL + 1));
        assertEquals(0, store.torrentCount());
        assertNull(store.verify());
    }

    @Test
    void shouldFillCountsAndZerosWhenScraping() {
        Announces a = new Announces(open(1000, 100));
        a.peer(1, 1).left(0).send();
        a.peer(1, 2).left(10).send();
        a.peer(1, 2).left(0).event(AnnounceEvent.COMPLETED).send();
        a.peer(1, 3).left(10).send();
        ScrapeRequest sr = new ScrapeRequest(3);
        Announces.infoHash(sr.infoHashes, 9);
        byte[] h = new byte[20];
        Announces.infoHash(h, 1);
        System.arraycopy(h, 0, sr.infoHashes, sr.offsetOf(1), 20);
        System.arraycopy(h, 0, sr.infoHashes, sr.offsetOf(2), 20);
        sr.count = 3;
        ScrapeResponse out = new ScrapeResponse(3);
        store.scrape(sr, out);
        assertEquals(3, out.count);
        assertEquals(0, out.complete[0] + out.incomplete[0] + out.downloaded[0]);
        for (int i = 1; i < 3; i++) {
            assertEquals(2, out.complete[i]);
            assertEquals(1, out.incomplete[i]);
            assertEquals(1, out.downloaded[i]);
        }
    }

    @Test
    void shouldServeWhenOneSwarmHas200kPeers() {
        Announces a = new Announces(open(210_000, 10));
        int size = 200_000;
        for (int n = 0; n < size; n++) {
            assertNull(a.peer(1, n).v4(n).left(n % 4 == 0 ? 0 : 10).send(0));
        }
        assertEquals(size, a.response.complete + a.response.incomplete);
        a.peer(1, size + 1).v4(size + 1).send(50);
        assertEquals(50, a.response.peers4Count);
        // remove a stretch from the middle and the end: swap-remove keeps lists dense
        for (int n = 1000; n < 101_000; n++) {
            assertNull(a.peer(1, n)
                    .v4(n)
                    .left(n % 4 == 0 ? 0 : 10)
                    .event(AnnounceEvent.STOPPED)
                    .send(0));
        }
        assertEquals(100_001, store.peerCount());
        assertNull(store.verify());
    }

    @Test
    void shouldKeepListsAndCountsConsistentWhenThreadsAnnounceConcurrently() throws Exception {
        open(20_000, 100);
        int threads = 4;
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int seed = t;
            workers[t] = new Thread(() -> {
                try {
                    Announces a = new Announces(store);
                    java.util.Random r = new java.util.Random(seed);
                    for (int i = 0; i < 40_000; i++) {
                        int n = r.nextInt(3000);
                        a.peer(r.nextInt(4), n);
                        if (r.nextBoolean()) {
                            a.v6(n);
                        }
                        a.left(r.nextInt(3) == 0 ? 0 : 10);
                        int e = r.nextInt(10);
                        a.event(e == 0 ? AnnounceEvent.STOPPED : e == 1 ? AnnounceEvent.COMPLETED : AnnounceEvent.NONE);
                        FailureReason f = a.send(r.nextInt(30));
                        if (f != null && f != FailureReason.PEER_ID_IN_USE) {
                            throw new AssertionError(f);
                        }
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
        }
        long[] swept = new long[1];
        Thread sweeper = new Thread(() -> {
            boolean writing = true;
            while (writing) {
                // every peer is expired at this time: the sweeper removes peers while the writers re-add them
                swept[0] += store.sweep(1_000_000L + TTL + 1);
                writing = false;
                for (Thread w : workers) {
                    writing |= w.isAlive();
                }
            }
        });
        for (Thread w : workers) {
            w.start();
        }
        sweeper.start();
        for (Thread w : workers) {
            w.join();
        }
        sweeper.join();
        assertNull(failure[0]);
        assertTrue(swept[0] > 0, "the sweeper never raced the writers");
        assertNull(store.verify());
        assertEquals(store.peerCount(), store.sweep(Long.MAX_VALUE));
        assertEquals(0, store.torrentCount());
        assertNull(store.verify());
    }

    @Test
    void shouldKeepStateWhenRebuildingFromPeerRecords() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 0; n < 200; n++) {
            a.peer(n % 5, n).left(n % 2).send(0);
        }
        a.peer(0, 5).left(0).event(AnnounceEvent.COMPLETED).send(); // peer 5 was a leecher
        store.repair();
        assertNull(store.verify());
        assertEquals(200, store.peerCount());
        assertEquals(5, store.torrentCount());
        a.peer(0, 999).send();
        assertEquals(1, a.response.downloaded);
    }

    @Test
    void shouldWarnOnceAndRearmWhenPeersCrossNinetyPercent() {
        Announces a = new Announces(open(10, 10));
        for (int n = 1; n <= 8; n++) {
            a.peer(1, n).send(0);
        }
        assertFalse(store.peerWarningActive());
        a.peer(1, 9).send(0);
        assertTrue(store.peerWarningActive());
        a.peer(1, 9).event(AnnounceEvent.STOPPED).send(0);
        assertFalse(store.peerWarningActive());
        a.peer(1, 9).send(0);
        assertTrue(store.peerWarningActive());
    }

    @Test
    void shouldCapPeersWhenNumWantExceedsConfiguredMax() {
        store = ChronicleSwarmStore.open(new SwarmOptions(1000, 10, null, TTL, 7));
        Announces a = new Announces(store);
        for (int n = 1; n <= 20; n++) {
            a.peer(1, n).send(0);
        }
        a.peer(1, 99).send(200);
        assertEquals(7, a.response.peers4Count);
    }

    @Test
    void shouldRepairSwarmWhenItsBlocksAndCountsDisagree() {
        Announces a = new Announces(open(1000, 100));
        for (int n = 0; n < 300; n++) {
            assertNull(a.peer(1, n).left(n % 4 == 0 ? 0 : 10).send(0));
        }
        for (int n = 300; n < 303; n++) {
            assertNull(a.peer(2, n).send(0));
        }
        assertNull(store.verify());
        byte[] ih1 = new byte[20];
        Announces.infoHash(ih1, 1);
        byte[] ih2 = new byte[20];
        Announces.infoHash(ih2, 2);
        // a count that disagrees with the blocks (an insert cut short before its swarm entry was written)
        SwarmValue v = store.swarmsMap().get(ih1);
        StoreLayout.setCount(v.bytes, StoreLayout.LIST_V4_LEECHERS, 7 + StoreLayout.count(v.bytes, 0));
        store.swarmsMap().put(ih1, v);
        // a peer copied into a block it does not hash to (a split cut short)
        byte[] k0 = new byte[StoreLayout.BLOCK_KEY_LENGTH];
        StoreLayout.blockKey(k0, ih1, StoreLayout.LIST_V4_LEECHERS, 0);
        byte[] k1 = new byte[StoreLayout.BLOCK_KEY_LENGTH];
        StoreLayout.blockKey(k1, ih1, StoreLayout.LIST_V4_LEECHERS, 1);
        byte[] b0 = store.blocksMap().get(k0);
        byte[] b1 = store.blocksMap().get(k1);
        int n1 = StoreLayout.getInt(b1, StoreLayout.B_COUNT);
        System.arraycopy(
                b0,
                StoreLayout.B_ENTRIES,
                b1,
                StoreLayout.B_ENTRIES + n1 * StoreLayout.ENTRY4_LENGTH,
                StoreLayout.ENTRY4_LENGTH);
        StoreLayout.putInt(b1, StoreLayout.B_COUNT, n1 + 1);
        store.blocksMap().put(k1, b1);
        // a block of a swarm that lives inline (a promotion cut short)
        byte[] orphan = new byte[StoreLayout.BLOCK_KEY_LENGTH];
        StoreLayout.blockKey(orphan, ih2, 0, 0);
        store.blocksMap().put(orphan, b0);
        assertTrue(store.verify() != null, "verify must notice the damage");

        assertTrue(store.repair() >= 1);
        assertNull(store.verify());
        assertEquals(303, store.peerCount());
        assertEquals(2, store.torrentCount());
        a.peer(1, 999).send(200);
        assertEquals(200, a.response.peers4Count);
        assertEquals(300, a.response.complete + a.response.incomplete - 1);
    }

    @Test
    void shouldMoveSwarmBetweenInlineAndBlocksWhenItGrowsAndShrinks() {
        Announces a = new Announces(open(100_000, 100));
        for (int round = 0; round < 3; round++) {
            for (int n = 0; n < 5000; n++) {
                assertNull(a.peer(1, n).left(n % 3 == 0 ? 0 : 10).v4(n).key(n).send(n % 50));
                if (n % 7 == 0) {
                    assertNull(a.peer(1, n).v6(n).key(n).send(5)); // moves family (same key)
                }
            }
            assertEquals(5000, store.peerCount());
            assertNull(store.verify());
            for (int n = 0; n < 5000; n++) {
                a.peer(1, n).v4(n);
                if (n % 7 == 0) {
                    a.v6(n);
                }
                assertNull(a.event(AnnounceEvent.STOPPED).send(0));
                if (n % 500 == 0) {
                    assertNull(store.verify(), "after stopping " + n);
                }
            }
            assertEquals(0, store.peerCount());
            assertEquals(0, store.blocksMap().longSize(), "blocks of an empty swarm are freed");
            assertNull(store.verify());
        }
    }

    /**
     * Sizing policy: a swarm of up to INLINE_MAX_PEERS peers is one swarm entry (no block, whatever its lists); one
     * more moves it to blocks, and it comes back inline at DEMOTE_PEERS.
     */
    @Test
    void shouldKeepSwarmInOneEntryWhenItHasAtMostTheInlineLimit() {
        Announces a = new Announces(open(1000, 10));
        int inlineLimit = 64; // what README.md promises ("up to 64 peers ... in one entry"), not the code's constant
        for (int n = 0; n < inlineLimit; n++) {
            a.peer(1, n).left(n % 3 == 0 ? 0 : 10);
            if (n % 4 == 0) {
                a.v6(n);
            }
            assertNull(a.send(0));
        }
        assertEquals(0, store.blocksMap().longSize(), "a swarm at the inline limit has no blocks");
        a.peer(1, 999).left(10).send(200);
        assertEquals(inlineLimit, a.response.peers4Count + a.response.peers6Count);
        assertTrue(store.blocksMap().longSize() > 0, "one more peer moves it to blocks");
        assertNull(store.verify());
        int n = 0;
        while (store.peerCount() > StoreLayout.DEMOTE_PEERS + 1) {
            a.peer(1, n);
            if (n % 4 == 0) {
                a.v6(n);
            }
            n++;
            assertNull(a.event(AnnounceEvent.STOPPED).send(0));
        }
        assertTrue(store.blocksMap().longSize() > 0, "in blocks above the demotion size");
        assertNull(a.peer(1, 999).event(AnnounceEvent.STOPPED).send(0));
        assertEquals(0, store.blocksMap().longSize(), "back inline at the demotion size");
        assertEquals(StoreLayout.DEMOTE_PEERS, store.peerCount());
        assertNull(store.verify());
    }
}
