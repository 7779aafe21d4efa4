package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import dev.hayate.config.TrackerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The command-line flags that print and exit (the ones that start a tracker are covered by the loopback tests). */
class TrackerMainTest {

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            TrackerMain.main(args);
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintTheVersionWhenAskedForIt() {
        assertEquals("hayate " + TrackerMain.version(), run("--version").strip());
    }

    @Test
    void shouldListEveryKeyWhenAskedForHelp() {
        String help = run("--help");
        for (String key : ConfigLoader.DEFAULTS.keySet()) {
            assertTrue(help.contains("  " + key + " (default '"), key);
        }
    }

    @Test
    void shouldPrintEveryKeyWithOverridesAppliedWhenAskedForTheConfig() {
        String printed = run("--print-config", "--admin.port=7071", "--admin.enabled=false");
        assertEquals(ConfigLoader.DEFAULTS.size(), printed.strip().split("\n").length, printed);
        assertTrue(printed.contains("\nadmin.port=7071\n"), printed);
        assertTrue(printed.contains("\nadmin.enabled=false\n"), printed);
        assertTrue(printed.contains("\nadmin.host=127.0.0.1\n"), printed);
        assertTrue(printed.contains("\nscrape.full=off\n"), printed);
        assertTrue(printed.contains("\nlimits.announces_per_minute_per_address=0\n"), printed);
    }

    @Test
    void shouldReadTheSoftOpenFilesLimitWhenTheOsReportsOne() throws Exception {
        Path limits = Path.of("/proc/self/limits");
        Assumptions.assumeTrue(Files.isReadable(limits), "Linux only");
        // "Max open files            20000                20000                files"
        String line = Files.readAllLines(limits).stream()
                .filter(l -> l.startsWith("Max open files"))
                .findFirst()
                .orElseThrow();
        String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
        Assumptions.assumeFalse(soft.equals("unlimited"));
        assertEquals(Long.parseLong(soft), TrackerMain.openFilesLimit());
    }

    @Test
    void shouldWarnWhenMaxConnectionsTimesListenersIsAtOrAboveTheOpenFilesLimit() {
        TrackerConfig one = ConfigLoader.load(new Properties(), Map.of("http.max_connections", "50000"));
        assertNotNull(TrackerMain.openFilesWarning(one, 50_000), "at the limit");
        assertNotNull(TrackerMain.openFilesWarning(one, 1024), "above it");
        assertNull(TrackerMain.openFilesWarning(one, 50_001), "below it");
        assertNull(TrackerMain.openFilesWarning(one, 65_536), "the defaults under src/dist/ops/hayate.service");
        assertNull(TrackerMain.openFilesWarning(one, -1), "unknown limit");
        TrackerConfig two = ConfigLoader.load(
                new Properties(), Map.of("http.max_connections", "30000", "http.host", "127.0.0.1,::1"));
        String w = TrackerMain.openFilesWarning(two, 50_000);
        assertNotNull(w, "two listeners: 60,000 connections");
        assertTrue(w.contains("http.max_connections=30000") && w.contains("50000"), w);
        assertNull(TrackerMain.openFilesWarning(two, 60_001));
    }

    @Test
    void shouldAgreeWithTheSystemdUnitWhenBothUseTheirDefaults() throws Exception {
        String unit = Files.readString(Path.of("src/dist/ops/hayate.service"));
        Matcher m = Pattern.compile("(?m)^LimitNOFILE=(\\d+)$").matcher(unit);
        assertTrue(m.find(), "LimitNOFILE in src/dist/ops/hayate.service");
        assertNull(
                TrackerMain.openFilesWarning(TrackerConfig.defaults(), Long.parseLong(m.group(1))),
                "the shipped defaults would warn under the shipped unit");
    }

    @Test
    void shouldLogTheWarningAtStartUpWhenMaxConnectionsReachesTheProcesssLimit() throws Exception {
        long limit = TrackerMain.openFilesLimit();
        Assumptions.assumeTrue(limit > 0 && limit <= 10_000_000, "limit " + limit + " cannot be configured");
        assertTrue(startAndCaptureLog((int) limit).contains("at or above the open-files limit " + limit));
        assertFalse(startAndCaptureLog(10).contains("open-files limit"));
    }

    /** What the tracker logs (slf4j-simple writes to System.out) while starting and stopping. */
    private static String startAndCaptureLog(int maxConnections) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try (Tracker t = TestTrackers.start(Map.of(
                "http.max_connections", Integer.toString(maxConnections),
                "udp.enabled", "false",
                "admin.enabled", "false"))) {
            assertNotNull(t.httpAddresses());
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
