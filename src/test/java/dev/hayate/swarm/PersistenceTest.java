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
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    /** Runs {@link CrashingStoreMain} on {@link #dir} until it prints {@code signal}, then kills it with SIGKILL. */
    private void runChildUntilKilled(int peers, String mode, String signal) throws Exception {
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
        command.add(mode);
        Process child = new ProcessBuilder(command)
                .directory(dir.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> seen = new ArrayList<>();
            String line;
            boolean ready = false;
            while ((line = out.readLine()) != null) {
                seen.add(line);
                if (line.equals(signal)) {
                    ready = true;
                    break;
                }
            }
            assertTrue(ready, "child did not say " + signal + ": " + seen);
            Thread.sleep(200);
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldRecoverEverythingWhenLastRunWasKilled() throws Exception {
        int peers = 20_000;
        runChildUntilKilled(peers, "stream", "READY");
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
        assertTrue(new File(dir.toFile(), ChronicleSwarmStore.SWARMS_FILE).length() > 0);
    }

    /**
     * A child is killed while it holds a swarm map segment's write lock and while a big swarm's parts disagree (the
     * new peer's block written, the swarm's count not). The reopen must free the lock (Chronicle's recovery) and make
     * the parts agree again (the store's repair), and say so. Fails when either recovery step is switched off: the lock
     * stays taken (the reopen's first touch of that segment times out) or {@code verify} finds the count off.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void shouldRepairStoreWhenKilledHoldingASegmentLockMidAnnounce() throws Exception {
        int peers = 5_000;
        runChildUntilKilled(peers, "damage", "DAMAGED");
        assertTrue(Files.exists(dir.resolve(ChronicleSwarmStore.OPEN_MARKER)));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        ChronicleSwarmStore store;
        System.setOut(new java.io.PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            store = ChronicleSwarmStore.open(options(dir));
        } finally {
            System.setOut(stdout);
        }
        try (store) {
            String logged = log.toString(StandardCharsets.UTF_8);
            stdout.print(logged);
            assertTrue(store.recoveredAtOpen());
            // the cut-short peer's block was written: recovery keeps it and counts it
            long expected = peers + CrashingStoreMain.BIG_SWARM + 1;
            assertTrue(
                    logged.contains("recovered the swarm store at " + dir + ": 8 torrents, " + expected + " peers"),
                    logged);
            assertEquals(expected, store.peerCount());
            assertEquals(8, store.torrentCount());
            assertNull(store.verify());
            Announces a = new Announces(store);
            // the locked segment serves again (without recovery this announce waits on the dead child's lock)
            assertNull(a.peer(CrashingStoreMain.LOCKED_TORRENT, 3).left(10).send(0));
            assertNull(a.peer(CrashingStoreMain.BIG_TORRENT, 1).send(0));
            assertEquals(CrashingStoreMain.BIG_SWARM + 2, a.response.complete + a.response.incomplete);
            assertNull(a.peer(CrashingStoreMain.BIG_TORRENT, CrashingStoreMain.CUT_PEER)
                    .event(AnnounceEvent.STOPPED)
                    .send(0));
            assertEquals(CrashingStoreMain.BIG_SWARM + 1, a.response.complete + a.response.incomplete);
            assertNull(store.verify());
        }
    }

    @Test
    void shouldRefuseStoreWhenItHasTheOldFormat() throws Exception {
        Files.write(dir.resolve("peers.dat"), new byte[1024]);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> ChronicleSwarmStore.open(options(dir)));
        assertTrue(e.getMessage().contains("format 1"), e.getMessage());
        assertTrue(e.getMessage().contains("To start fresh"), e.getMessage());
        assertTrue(e.getMessage().contains("delete peers.dat, swarms.dat, pages.dat"), e.getMessage());
    }

    /**
     * {@code format2-store.zip} is a real format-2 store directory ({@code store.format}, {@code swarms-v2.dat},
     * {@code blocks-v2.dat}: one swarm of three peers with their 20-byte peer_ids), written and closed by the
     * format-2 code (main at 4b55fb4, {@code ChronicleSwarmStore.open} and {@code announce}), not by this version.
     */
    static void unzipFormat2Store(Path into) throws Exception {
        try (ZipInputStream zip = new ZipInputStream(PersistenceTest.class.getResourceAsStream("format2-store.zip"))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                Files.copy(zip, into.resolve(e.getName()));
            }
        }
    }

    /** Every file of a directory and a digest of its bytes. */
    static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                out.put(f.getFileName().toString(), HexFormat.of().formatHex(d));
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRefuseAndLeaveUntouchedAFormatTwoStoreWhenOpened(boolean killed) throws Exception {
        unzipFormat2Store(dir);
        assertTrue(Files.readString(dir.resolve("store.format")).startsWith("hayate-swarm-store 2\nseed "));
        if (killed) {
            Files.write(dir.resolve(ChronicleSwarmStore.OPEN_MARKER), new byte[0]); // a format-2 run killed -9
        }
        Map<String, String> before = digests(dir);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> ChronicleSwarmStore.open(options(dir)));
        String m = e.getMessage();
        assertTrue(m.contains(dir.toString()), m);
        assertTrue(m.contains("hayate-swarm-store 2"), m);
        assertTrue(m.contains("reads format 3"), m);
        assertTrue(m.contains("To start fresh"), m);
        assertTrue(m.contains("delete store.format, swarms-v2.dat, blocks-v2.dat and hayate.open"), m);
        assertEquals(before, digests(dir), "a refused store is neither read, recovered nor written");
    }

    @Test
    void shouldRefuseFormatTwoFilesWhenTheFormatFileIsMissing() throws Exception {
        unzipFormat2Store(dir);
        Files.delete(dir.resolve("store.format"));
        Map<String, String> before = digests(dir);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> ChronicleSwarmStore.open(options(dir)));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("but no store.format"), e.getMessage());
        assertTrue(e.getMessage().contains("To start fresh"), e.getMessage());
        assertEquals(before, digests(dir));
    }

    @Test
    void shouldRefuseStoreWhenItsFormatFileNamesAnotherVersion() throws Exception {
        Files.writeString(dir.resolve(ChronicleSwarmStore.FORMAT_FILE), "hayate-swarm-store 4\nseed 1\n");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> ChronicleSwarmStore.open(options(dir)));
        assertTrue(e.getMessage().contains("hayate-swarm-store 4"), e.getMessage());
        assertTrue(e.getMessage().contains("To start fresh"), e.getMessage());
    }
}
