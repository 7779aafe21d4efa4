package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.AnnounceEvent;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {
    static final long NOW = 1_000_000L;

    @TempDir
    Path dir;

    static SwarmOptions options(Path dir) {
        return new SwarmOptions(50_000, 1_000, dir, 60_000, 200);
    }

    /** Peers 0..n-1 over 7 torrents; peer 0..6 (one per torrent, leechers) complete. */
    static void fill(Announces a, int n) {
        for (int i = 0; i < n; i++) {
            a.peer(i % 7, i).left(i % 3 == 0 ? 0 : 10).send(0);
        }
        for (int i = 1; i <= 7; i++) {
            a.peer(i % 7, i).left(0).event(AnnounceEvent.COMPLETED).send(0);
        }
    }

    @Test
    void shouldKeepSwarmsAndCountsWhenReopenedAfterClose() {
        long seeders;
        long leechers;
        try (ChronicleSwarmStore store = ChronicleSwarmStore.open(options(dir))) {
            assertTrue(Files.exists(dir.resolve(ChronicleSwarmStore.OPEN_MARKER)));
            fill(new Announces(store), 3000);
            seeders = store.seederCount();
            leechers = store.leecherCount();
        }
        assertFalse(Files.exists(dir.resolve(ChronicleSwarmStore.OPEN_MARKER)));
        try (ChronicleSwarmStore store = ChronicleSwarmStore.open(options(dir))) {
            assertFalse(store.recoveredAtOpen());
            assertEquals(7, store.torrentCount());
            assertEquals(3000, store.peerCount());
            assertEquals(seeders, store.seederCount());
            assertEquals(leechers, store.leecherCount());
            assertNull(store.verify());
            Announces a = new Announces(store);
            a.peer(1, 99_999).send(200);
            assertEquals(200, a.response.peers4Count);
            assertEquals(1, a.response.downloaded);
            // within the TTL the restored peers are not expired
            assertEquals(0, store.sweep(NOW + 1));
            store.close(); // idempotent with try-with-resources
        }
    }

    @Test
    void shouldRecoverEverythingWhenLastRunWasKilled() throws Exception {
        int peers = 20_000;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access")) {
                command.add(arg);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CrashingStoreMain.class.getName());
        command.add(dir.toString());
        command.add(Integer.toString(peers));
        Process child = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean ready = false;
            while ((line = out.readLine()) != null) {
                if (line.equals("READY")) {
                    ready = true;
                    break;
                }
            }
            assertTrue(ready, "child did not get ready");
            Thread.sleep(200);
            child.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
        assertTrue(Files.exists(dir.resolve(ChronicleSwarmStore.OPEN_MARKER)));
        long start = System.nanoTime();
        try (ChronicleSwarmStore store = ChronicleSwarmStore.open(options(dir))) {
            assertTrue(store.recoveredAtOpen());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "recovery must not hang");
            assertNull(store.verify());
            // every peer written before READY is still there (the loop after it only touches other peer ids)
            long before = store.peerCount();
            assertTrue(before >= peers);
            Announces a = new Announces(store);
            for (int i = 0; i < peers; i++) {
                a.peer(i % 7, i).left(i % 3 == 0 ? 0 : 10);
                if (i < 8 && i > 0) {
                    a.left(0);
                }
                assertNull(a.send(0));
            }
            assertEquals(before, store.peerCount(), "a peer written before the kill was lost");
            assertEquals(1, a.response.downloaded);
            assertNull(store.verify());
        }
        assertFalse(Files.exists(dir.resolve(ChronicleSwarmStore.OPEN_MARKER)));
        try (ChronicleSwarmStore store = ChronicleSwarmStore.open(options(dir))) {
            assertFalse(store.recoveredAtOpen());
        }
        assertTrue(new File(dir.toFile(), ChronicleSwarmStore.PEERS_FILE).length() > 0);
    }
}
