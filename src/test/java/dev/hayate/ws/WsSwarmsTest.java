package dev.hayate.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The WebTorrent swarm rules without sockets: a seeded random mix of announces, stops, closes and expiry against a
 * plain model of who is in which swarm; and the choice of relay targets.
 */
class WsSwarmsTest {
    private final WsSwarms swarms = new WsSwarms();
    private final WsSwarms.Scratch scratch = new WsSwarms.Scratch(10);

    /** A socket stand-in: WsSwarms only compares sockets by identity. */
    private static WsConnection socket() {
        return new WsConnection(null, null, null, null, 0);
    }

    private static byte[] id(int n) {
        byte[] b = new byte[20];
        b[0] = (byte) n;
        b[7] = (byte) (n >>> 8);
        b[19] = '"';
        return b;
    }

    @Test
    void shouldNeverChooseTheSenderOrAPeerTwiceWhenRelayingOffers() {
        byte[] hash = id(1);
        WsConnection[] sockets = new WsConnection[40];
        for (int i = 0; i < sockets.length; i++) {
            sockets[i] = socket();
            swarms.announce(hash, id(100 + i), false, false, sockets[i], 0, 0, Long.MAX_VALUE, scratch);
        }
        for (int want = 0; want <= 10; want++) {
            for (int round = 0; round < 50; round++) {
                int sender = round % sockets.length;
                swarms.announce(
                        hash, id(100 + sender), false, false, sockets[sender], 0, want, Long.MAX_VALUE, scratch);
                assertEquals(want, scratch.targetCount);
                Set<WsConnection> seen = new HashSet<>();
                for (int t = 0; t < scratch.targetCount; t++) {
                    assertNotSame(sockets[sender], scratch.targets[t]);
                    assertTrue(seen.add(scratch.targets[t]), "a peer chosen twice");
                }
            }
        }
    }

    @Test
    void shouldChooseEveryOtherPeerWhenTheSwarmIsSmallerThanTheOffers() {
        byte[] hash = id(2);
        List<WsConnection> sockets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sockets.add(socket());
            swarms.announce(hash, id(i), true, false, sockets.get(i), 0, 0, Long.MAX_VALUE, scratch);
        }
        swarms.announce(hash, id(0), true, false, sockets.get(0), 0, 10, Long.MAX_VALUE, scratch);
        assertEquals(3, scratch.targetCount);
        Set<WsConnection> got = new HashSet<>(Arrays.asList(scratch.targets).subList(0, 3));
        assertEquals(new HashSet<>(sockets.subList(1, 4)), got);
    }

    @Test
    void shouldNotRelayToAnotherPeerIdOfTheSameSocket() {
        byte[] hash = id(3);
        WsConnection one = socket();
        swarms.announce(hash, id(1), false, false, one, 0, 0, Long.MAX_VALUE, scratch);
        swarms.announce(hash, id(2), false, false, one, 0, 5, Long.MAX_VALUE, scratch);
        assertEquals(0, scratch.targetCount);
        assertEquals(2, scratch.incomplete);
    }

    @Test
    void shouldKeepCountsEqualToTheModelWhenRandomOperationsRun() {
        Random random = new Random(7);
        WsConnection[] sockets = new WsConnection[6];
        for (int i = 0; i < sockets.length; i++) {
            sockets[i] = socket();
        }
        // model: hash -> (peer -> [socket index, seeder 0/1, lastSeen])
        Map<Integer, Map<Integer, long[]>> model = new HashMap<>();
        List<WsSwarms.Peer> adopted = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            int h = random.nextInt(5);
            int p = random.nextInt(8);
            int s = random.nextInt(sockets.length);
            long now = step;
            Map<Integer, long[]> swarm = model.computeIfAbsent(h, k -> new HashMap<>());
            switch (random.nextInt(10)) {
                case 0 -> { // stopped: only from the owning socket
                    swarms.stop(id(h), id(p), sockets[s], scratch);
                    long[] m = swarm.get(p);
                    if (m != null && m[0] == s) {
                        swarm.remove(p);
                    }
                }
                case 1 -> { // a socket closes
                    for (WsSwarms.Peer peer : adopted) {
                        swarms.leave(peer, sockets[s]);
                    }
                    for (Map<Integer, long[]> sw : model.values()) {
                        sw.values().removeIf(m -> m[0] == s);
                    }
                    sockets[s] = socket();
                }
                case 2 -> { // expiry of everything older than 200 steps
                    swarms.expire(now - 200);
                    for (Map<Integer, long[]> sw : model.values()) {
                        sw.values().removeIf(m -> m[2] < now - 200);
                    }
                }
                default -> {
                    boolean seeder = random.nextBoolean();
                    swarms.announce(
                            id(h), id(p), seeder, random.nextBoolean(), sockets[s], now, 3, Long.MAX_VALUE, scratch);
                    if (scratch.adopted != null) {
                        adopted.add(scratch.adopted);
                    }
                    swarm.put(p, new long[] {s, seeder ? 1 : 0, now});
                    long seeders =
                            swarm.values().stream().filter(m -> m[1] == 1).count();
                    assertEquals(seeders, scratch.complete, "step " + step);
                    assertEquals(swarm.size() - seeders, scratch.incomplete, "step " + step);
                }
            }
            long seeders = 0;
            long leechers = 0;
            long torrents = 0;
            for (Map<Integer, long[]> sw : model.values()) {
                torrents += sw.isEmpty() ? 0 : 1;
                for (long[] m : sw.values()) {
                    seeders += m[1];
                    leechers += 1 - m[1];
                }
            }
            assertEquals(seeders, swarms.seeders(), "step " + step);
            assertEquals(leechers, swarms.leechers(), "step " + step);
            assertEquals(torrents, swarms.torrents(), "step " + step);
        }
    }

    @Test
    void shouldRefuseANewPeerButServeKnownOnesWhenMaxPeersAreStored() {
        WsConnection a = socket();
        assertEquals(WsSwarms.OK, swarms.announce(id(20), id(1), false, false, a, 0, 0, 2, scratch));
        assertEquals(WsSwarms.OK, swarms.announce(id(21), id(1), false, false, a, 0, 0, 2, scratch));
        assertEquals(WsSwarms.FULL, swarms.announce(id(22), id(1), false, false, a, 0, 0, 2, scratch));
        assertEquals(WsSwarms.FULL, swarms.announce(id(20), id(2), false, false, a, 0, 0, 2, scratch));
        assertEquals(2, swarms.torrents());
        assertEquals(
                WsSwarms.OK, swarms.announce(id(20), id(1), true, false, a, 0, 0, 2, scratch)); // an update still works
        assertEquals(1, scratch.complete);
        swarms.stop(id(21), id(1), a, scratch);
        assertEquals(WsSwarms.OK, swarms.announce(id(22), id(1), false, false, a, 0, 0, 2, scratch));
    }

    @Test
    void shouldRouteToTheCurrentSocketWhenAPeerIdMoves() {
        byte[] hash = id(9);
        WsConnection old = socket();
        WsConnection fresh = socket();
        WsConnection asker = socket();
        swarms.announce(hash, id(1), false, false, old, 0, 0, Long.MAX_VALUE, scratch);
        assertSame(old, swarms.route(hash, id(1), id(2), asker, 0, scratch));
        swarms.announce(hash, id(1), false, false, fresh, 0, 0, Long.MAX_VALUE, scratch);
        assertSame(fresh, swarms.route(hash, id(1), id(2), asker, 0, scratch));
        assertEquals(1, swarms.leechers());
        assertNull(swarms.route(hash, id(3), id(2), asker, 0, scratch));
        assertNull(swarms.route(id(10), id(1), id(2), asker, 0, scratch));
    }
}
