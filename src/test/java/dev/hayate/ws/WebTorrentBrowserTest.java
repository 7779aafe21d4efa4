package dev.hayate.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real WebTorrent clients in real browsers find each other only through Hayate's WebSocket tracker: two headless
 * Chromium instances (Debian's {@code chromium}) run the {@code webtorrent} npm package's browser build; one seeds a
 * 2 MiB file it generates in the page, the other downloads it from {@code ws://127.0.0.1:PORT/announce} (and, in a
 * second run, {@code ws://127.0.0.1:PORT/}), and the SHA-256 of both sides must match.
 *
 * <p>{@code src/test/webtorrent/browsers.mjs} drives the browsers over the DevTools protocol ({@code puppeteer-core},
 * never a downloaded browser) in a network namespace that has only {@code lo}, with a relay to this tracker:
 * everything stays on loopback (see {@code shared/protocol/webtorrent/README.md} for what Chromium needs). WebRTC
 * needs the tracker to relay each offer to the other browser and route its answer back: without that no byte moves.
 *
 * <p>Required in CI ({@code CI=true}: {@code .ci/run} installs chromium, node and the pinned npm packages); skipped
 * with a message on a developer machine that lacks them, or that cannot create a network namespace (not root).
 */
class WebTorrentBrowserTest {
    private static final Path DRIVER = Path.of("src/test/webtorrent/browsers.mjs");
    private static final Path NODE_MODULES = Path.of("src/test/webtorrent/node_modules");
    private static final Pattern SHA = Pattern.compile("webtorrent-e2e: (seeder|leecher) sha256 ([0-9a-f]{64})");
    /** The driver's own deadline; this test waits a little longer before it stops the driver's processes itself. */
    private static final int DRIVER_TIMEOUT_SECONDS = 60;

    private static Tracker tracker;

    @BeforeAll
    static void start() {
        List<String> missing = missingPrerequisites();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertTrue(
                    missing.isEmpty(),
                    "CI must have every prerequisite of the browser test (.ci/run installs them): " + missing);
        }
        assumeTrue(missing.isEmpty(), "WebTorrent browser test skipped outside CI, missing: " + missing);
        tracker = TestTrackers.start(Map.of("http.io_threads", "2"));
    }

    @AfterAll
    static void stop() {
        if (tracker != null) {
            tracker.close();
        }
    }

    static List<String> missingPrerequisites() {
        List<String> missing = new ArrayList<>();
        if (!new File("/usr/bin/chromium").canExecute()) {
            missing.add("/usr/bin/chromium (apt-get install chromium)");
        }
        if (!runs("node", "--version")) {
            missing.add("node (apt-get install nodejs)");
        }
        if (!Files.isRegularFile(NODE_MODULES.resolve("webtorrent/dist/webtorrent.min.js"))
                || !Files.isDirectory(NODE_MODULES.resolve("puppeteer-core"))) {
            missing.add("npm packages (cd src/test/webtorrent && npm ci --ignore-scripts)");
        }
        if (!runs("unshare", "-n", "--", "ip", "link", "set", "lo", "up")) {
            missing.add("a network namespace (unshare -n and ip from util-linux/iproute2, as root)");
        }
        return missing;
    }

    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void shouldTransferAFileBetweenTwoBrowsersWhenTheyMeetOnlyThroughTheTracker(@TempDir Path work) throws Exception {
        double offersBefore = TestTrackers.metric(tracker, "hayate_ws_offers_relayed_total");
        double answersBefore = TestTrackers.metric(tracker, "hayate_ws_answers_relayed_total");

        String output = runBrowsers(work, "/announce");

        assertTrue(output.contains("webtorrent-e2e: PASS"), "the browsers did not complete the transfer:\n" + output);
        Matcher m = SHA.matcher(output);
        String seeder = null;
        String leecher = null;
        while (m.find()) {
            if (m.group(1).equals("seeder")) {
                seeder = m.group(2);
            } else {
                leecher = m.group(2);
            }
        }
        assertTrue(seeder != null && leecher != null, "no SHA-256 of both sides:\n" + output);
        assertEquals(seeder, leecher, "the downloaded file differs from the seeded one");
        // the browsers met through this tracker: it relayed offers and routed at least one answer back
        assertTrue(TestTrackers.metric(tracker, "hayate_ws_offers_relayed_total") > offersBefore, output);
        assertTrue(TestTrackers.metric(tracker, "hayate_ws_answers_relayed_total") > answersBefore, output);
    }

    @Test
    void shouldTransferAFileWhenTheTrackerUrlHasTheRootPath(@TempDir Path work) throws Exception {
        String output = runBrowsers(work, "/");

        assertTrue(output.contains("webtorrent-e2e: PASS"), "the browsers did not complete the transfer:\n" + output);
    }

    private static String runBrowsers(Path work, String path) throws Exception {
        int port = tracker.httpAddresses().get(0).getPort();
        Path log = work.resolve("browsers.log");
        Process p = new ProcessBuilder(
                        "node",
                        DRIVER.toString(),
                        "--tracker-port",
                        Integer.toString(port),
                        "--path",
                        path,
                        "--timeout-seconds",
                        Integer.toString(DRIVER_TIMEOUT_SECONDS))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean finished = p.waitFor(DRIVER_TIMEOUT_SECONDS + 30, TimeUnit.SECONDS);
        if (!finished) {
            // the driver missed its own deadline: stop it and everything it started, by PID
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        assertTrue(finished, "browsers.mjs did not finish in time:\n" + output);
        assertEquals(0, p.exitValue(), "browsers.mjs failed:\n" + output);
        return output;
    }
}
