package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hayate.TrackerMain.Tracker;
import dev.hayate.config.ConfigLoader;
import dev.hayate.http.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real BitTorrent clients (Debian's aria2 and python3-libtorrent) find each other only through Hayate on loopback and
 * transfer a file; {@code src/test/e2e/transfer.py} checks the bytes. DHT, PEX, LSD and uTP are off in both clients.
 *
 * <p>Required in CI ({@code CI=true}, where {@code .ci/run} installs the clients); skipped on a developer machine
 * that lacks them.
 */
class EndToEndClientTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static Tracker tracker;
    private static InetSocketAddress http;
    private static InetSocketAddress udp;
    private static InetSocketAddress https;
    private static Path caFile;

    @TempDir
    static Path certDir;

    @BeforeAll
    static void start() throws IOException {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        boolean clients = new File("/usr/bin/aria2c").canExecute() && pythonHasLibtorrent();
        if (ci) {
            assertTrue(clients, "CI must have aria2 and python3-libtorrent installed (.ci/run installs them)");
        }
        assumeTrue(clients, "aria2c or python3-libtorrent missing: end-to-end test skipped outside CI");
        // https:// announces: a certificate for 127.0.0.1 from a test CA that the clients are told to trust.
        TestCertificates certs = new TestCertificates(certDir);
        TestCertificates.Leaf leaf = certs.leaf("tracker", TestCertificates.KeyFormat.EC_PKCS8);
        caFile = certs.caFile();
        Map<String, String> keys = new HashMap<>(Map.of(
                "http.host", "127.0.0.1",
                "http.port", "0",
                "http.io_threads", "2",
                "udp.host", "127.0.0.1",
                "udp.port", "0",
                "udp.threads", "1",
                "admin.enabled", "false"));
        keys.put("https.host", "127.0.0.1");
        keys.put("https.port", "0");
        keys.put("tls.cert_file", leaf.fullchain().toString());
        keys.put("tls.key_file", leaf.key().toString());
        tracker = Tracker.start(ConfigLoader.load(new Properties(), keys), new SimpleMeterRegistry());
        http = tracker.httpAddresses().get(0);
        udp = tracker.udpAddresses().get(0);
        https = tracker.httpsAddresses().get(0);
    }

    @AfterAll
    static void stop() {
        if (tracker != null) {
            tracker.close();
        }
    }

    private static boolean pythonHasLibtorrent() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import libtorrent")
                    .redirectErrorStream(true)
                    .start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @ParameterizedTest(name = "{0} seeds, {1} downloads over {2}")
    @CsvSource({
        "libtorrent, aria2, http",
        "aria2, libtorrent, http",
        "libtorrent, aria2, udp",
        "aria2, libtorrent, udp",
        "libtorrent, aria2, https",
        "aria2, libtorrent, https"
    })
    void shouldTransferAFileBetweenRealClientsWhenTheTrackerIsTheOnlyWayToMeet(
            String seeder, String leecher, String protocol, @TempDir Path work) throws Exception {
        // Over udp:// the script scrapes with BEP 15 itself; aria2 needs its DHT socket for UDP trackers, so the
        // script turns DHT on with no bootstrap nodes (it can reach nobody).
        // Over https:// both clients verify the tracker's certificate against the test CA (--ca-file).
        String base = switch (protocol) {
            case "udp" -> "udp://127.0.0.1:" + udp.getPort();
            case "https" -> "https://127.0.0.1:" + https.getPort();
            default -> "http://127.0.0.1:" + http.getPort();
        };
        List<String> cmd = new ArrayList<>(List.of(
                PYTHON,
                "src/test/e2e/transfer.py",
                "--announce",
                base + "/announce",
                "--workdir",
                work.toString(),
                "--seeder",
                seeder,
                "--leecher",
                leecher,
                "--timeout",
                "120",
                "--ca-file",
                caFile.toString()));
        Path log = work.resolve("transfer.log");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean finished = p.waitFor(180, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        assertTrue(finished, "transfer.py did not finish in time:\n" + output);
        assertEquals(0, p.exitValue(), "transfer failed:\n" + output);
        assertTrue(output.contains("e2e: PASS"), output);
    }
}
