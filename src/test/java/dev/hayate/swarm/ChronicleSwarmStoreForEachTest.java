package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.ScrapeRequest;
import dev.hayate.protocol.ScrapeResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ChronicleSwarmStore#forEachSwarm}, the full scrape's view of the store: every swarm once, its counts. */
class ChronicleSwarmStoreForEachTest {

    @Test
    void shouldVisitEverySwarmOnceWithThePerHashScrapeCountsWhenSwarmsAreInlineAndInBlocks() {
        try (ChronicleSwarmStore store =
                ChronicleSwarmStore.open(new SwarmOptions(100_000, 1_000, null, 3_600_000, 200))) {
            Announces a = new Announces(store);
            int torrents = 300;
            for (int t = 1; t <= torrents; t++) {
                // torrent t: t % 40 seeders and t % 23 + 1 leechers: both inline (<= 16 peers) and block swarms
                int peers = t % 40 + t % 23 + 1;
                for (int n = 0; n < peers; n++) {
                    boolean seeder = n < t % 40;
                    assertNull(a.peer(t, t * 1000 + n).left(seeder ? 0 : 100).send(0));
                }
                if (t % 3 == 0) {
                    assertNull(a.peer(t, t * 1000 + peers - 1)
                            .left(0)
                            .event(AnnounceEvent.COMPLETED)
                            .send(0));
                }
            }
            Map<String, long[]> seen = new HashMap<>();
            store.forEachSwarm((hashes, offset, complete, incomplete, downloaded) -> {
                String key = new String(hashes, offset, 20, StandardCharsets.ISO_8859_1);
                long[] previous = seen.put(key, new long[] {complete, incomplete, downloaded});
                assertNull(previous, "visited once");
            });
            assertEquals(torrents, seen.size());
            ScrapeRequest request = new ScrapeRequest(1);
            ScrapeResponse response = new ScrapeResponse(1);
            for (int t = 1; t <= torrents; t++) {
                request.reset();
                Announces.infoHash(request.infoHashes, t);
                request.count = 1;
                store.scrape(request, response);
                long[] counts = seen.get(new String(request.infoHashes, 0, 20, StandardCharsets.ISO_8859_1));
                assertArrayEquals(
                        new long[] {response.complete[0], response.incomplete[0], response.downloaded[0]},
                        counts,
                        "torrent " + t);
            }
        }
    }

    @Test
    void shouldRefuseToReadWhenTheStoreIsClosed() {
        ChronicleSwarmStore store = ChronicleSwarmStore.open(new SwarmOptions(1_000, 100, null, 3_600_000, 200));
        Announces a = new Announces(store);
        assertNull(a.peer(1, 1).left(0).send(0));
        store.close();
        assertThrows(IllegalStateException.class, () -> store.forEachSwarm((h, o, c, i, d) -> {}));
    }
}
