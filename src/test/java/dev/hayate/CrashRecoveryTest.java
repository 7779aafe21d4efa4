package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.Bencode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real tracker ({@link TrackerMain} in a child JVM, persisted store) is killed with SIGKILL while announces stream
 * in, and restarted on the same directory: it must say it recovered, and keep every announce it had answered.
 */
class CrashRecoveryTest {
    private static final int TORRENTS = 20;
    private static final Pattern HTTP_ADDRESS = Pattern.compile("http \\[/127\\.0\\.0\\.1:(\\d+)\\]");
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path store;

    /** The child's working directory: empty, so it reads no tracker.properties and writes nothing elsewhere. */
    @TempDir
    Path workDir;

    /** A running child tracker, its log lines (read by a daemon thread) and its HTTP port. */
    private record Child(Process process, BlockingQueue<String> log, List<String> seen, int port) {}

    private Child startTracker() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Chronicle's --add-opens/--add-exports, as surefire gave them to this JVM (the pom's chronicle.jvm.args).
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access")) {
                command.add(arg);
            }
        }
        command.addAll(List.of(
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                TrackerMain.class.getName(),
                "--http.host=127.0.0.1",
                "--http.port=0",
                "--udp.enabled=false",
                "--admin.enabled=false",
                "--store.path=" + store,
                "--store.max_peers=20000",
                "--store.max_torrents=1000"));
        Process p = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .start();
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        List<String> seen = new ArrayList<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line = r.readLine(); line != null; line = r.readLine()) {
                            log.add(line);
                        }
                    } catch (IOException e) {
                        // the child died; the test sees it through its assertions
                    }
                },
                "child-log");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = log.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                assertTrue(p.isAlive(), "tracker exited: " + seen);
                continue;
            }
            seen.add(line);
            Matcher m = HTTP_ADDRESS.matcher(line);
            if (m.find()) {
                return new Child(p, log, seen, Integer.parseInt(m.group(1)));
            }
        }
        p.destroyForcibly();
        throw new AssertionError("tracker did not start: " + seen);
    }

    private static byte[] hash(int torrent) {
        byte[] h = new byte[20];
        h[0] = (byte) 0xC0;
        h[19] = (byte) torrent;
        return h;
    }

    private static String enc(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }

    private static Map<String, Object> get(int port, String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return Bencode.dict(Bencode.decode(r.body()));
    }

    @Test
    void shouldKeepEveryAnsweredAnnounceWhenKilledWithSigkillMidStream() throws Exception {
        int[] answered = new int[TORRENTS];
        AtomicInteger answeredTotal = new AtomicInteger();
        Child first = startTracker();
        Child second = null;
        try {
            int port = first.port();
            Thread announcer = new Thread(
                    () -> {
                        // Bounded: at most 20,000 announces; the kill ends it much sooner.
                        for (int i = 0; i < 20_000; i++) {
                            int torrent = i % TORRENTS;
                            String query = "/announce?info_hash=" + enc(hash(torrent)) + "&peer_id="
                                    + String.format("-HY0001-%012d", i) + "&port=" + (1024 + i % 60000)
                                    + "&uploaded=0&downloaded=0&left=0&compact=1";
                            try {
                                Map<String, Object> d = get(port, query);
                                if (d.containsKey("failure reason")) {
                                    throw new AssertionError(Bencode.string(d.get("failure reason")));
                                }
                                answered[torrent]++;
                                answeredTotal.incrementAndGet();
                            } catch (IOException | InterruptedException e) {
                                return; // killed
                            }
                        }
                    },
                    "announcer");
            announcer.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (answeredTotal.get() < 500 && announcer.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(announcer.isAlive(), "still announcing when killed");
            first.process().destroyForcibly(); // SIGKILL on Linux
            assertTrue(first.process().waitFor(10, TimeUnit.SECONDS));
            announcer.join(10_000);
            int total = answeredTotal.get();
            assertTrue(total >= 500, "answered before the kill: " + total);

            second = startTracker();
            assertTrue(
                    second.seen().stream().anyMatch(l -> l.contains("was not closed cleanly: recovering")),
                    "the restart logs its recovery: " + second.seen());
            Pattern recoveredLine = Pattern.compile("recovered the swarm store at .*: (\\d+) torrents, (\\d+) peers");
            List<String> secondLog = second.seen();
            Matcher rm = secondLog.stream()
                    .map(recoveredLine::matcher)
                    .filter(Matcher::find)
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no 'recovered ... peers' line: " + secondLog));
            int recoveredPeers = Integer.parseInt(rm.group(2));
            assertEquals(TORRENTS, Integer.parseInt(rm.group(1)));
            assertTrue(
                    recoveredPeers >= answeredTotal.get() && recoveredPeers <= answeredTotal.get() + 1,
                    recoveredPeers + " peers recovered, " + answeredTotal.get() + " answered");
            int recovered = 0;
            for (int t = 0; t < TORRENTS; t++) {
                Map<String, Object> files = Bencode.dict(
                        get(second.port(), "/scrape?info_hash=" + enc(hash(t))).get("files"));
                long complete =
                        (Long) Bencode.dict(files.values().iterator().next()).get("complete");
                // Every answered announce is there; at most the one in flight at the kill is there unanswered.
                assertTrue(
                        complete >= answered[t] && complete <= answered[t] + 1,
                        "torrent " + t + ": " + complete + " seeders stored, " + answered[t] + " answered");
                recovered += (int) complete;
            }
            assertTrue(recovered >= total, recovered + " of " + total);
            System.out.println("crash test: " + total + " announces answered before SIGKILL, " + recovered
                    + " peers after recovery");

            // A clean stop (SIGTERM) after recovery leaves a store that opens without recovery.
            second.process().destroy();
            assertEquals(143, exitCode(second.process()));
            second = startTracker();
            assertTrue(
                    second.seen().stream().noneMatch(l -> l.contains("recovering")),
                    second.seen().toString());
            Map<String, Object> files = Bencode.dict(
                    get(second.port(), "/scrape?info_hash=" + enc(hash(0))).get("files"));
            assertNotNull(files);
            assertTrue((Long) Bencode.dict(files.values().iterator().next()).get("complete") >= answered[0]);
        } finally {
            first.process().destroyForcibly();
            if (second != null) {
                second.process().destroyForcibly();
                second.process().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int exitCode(Process p) throws InterruptedException {
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
        return p.exitValue();
    }
}
