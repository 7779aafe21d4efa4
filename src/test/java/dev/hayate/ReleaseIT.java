package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.Bencode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-contained release (`mvn package`: target/hayate/ and its tarball), run by failsafe in `mvn verify` (the
 * README's test command, which .ci/run calls). The tracker is started through bin/hayate with a PATH that has no
 * {@code java} and no JAVA_HOME, from an unrelated working directory, and must answer BEP 3/48 requests from the
 * runtime inside the tree.
 */
class ReleaseIT {
    private static final Path TREE = Path.of(System.getProperty("hayate.release.dir", "target/hayate"));
    private static final Path TARBALL = Path.of(System.getProperty("hayate.release.tarball", "missing.tar.gz"));
    private static final Pattern HTTP_ADDRESS = Pattern.compile(" http \\[/127\\.0\\.0\\.1:(\\d+)\\]");
    private static final Pattern UDP_ADDRESS = Pattern.compile(" udp \\[/127\\.0\\.0\\.1:(\\d+)\\]");
    /** SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt, the official text. */
    private static final String APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30";

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * A directory of symlinks to every command in /usr/bin and /bin except Java's, to use as the only PATH entry:
     * "PATH=/usr/bin:/bin minus any java".
     */
    private static Path pathWithoutJava(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("path"));
        for (String d : List.of("/usr/bin", "/bin")) {
            try (Stream<Path> files = Files.list(Path.of(d))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = f.getFileName().toString();
                    Path link = bin.resolve(name);
                    if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    Path real;
                    try {
                        real = f.toRealPath();
                    } catch (IOException dangling) {
                        continue;
                    }
                    if (name.equals("java") || real.toString().contains("/jvm/") || !Files.isExecutable(real)) {
                        continue; // Debian's java, javac, jar, ... all resolve into /usr/lib/jvm
                    }
                    Files.createSymbolicLink(link, real);
                }
            }
        }
        return bin;
    }

    private static ProcessBuilder launcher(Path workDir, Path path, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(TREE.resolve("bin/hayate").toAbsolutePath().toString());
        command.addAll(args);
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear(); // no JAVA_HOME, no inherited PATH
        env.put("PATH", path.toString());
        env.put("HOME", workDir.toString());
        env.put("LANG", "C.UTF-8");
        return pb;
    }

    private static String run(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not exit");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String enc(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }

    private static Map<String, Object> get(int port, String pathAndQuery) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        Map<String, Object> d = Bencode.dict(Bencode.decode(r.body()));
        assertFalse(d.containsKey("failure reason"), () -> Bencode.string(d.get("failure reason")));
        return d;
    }

    /** A tracker started through bin/hayate: the process, its log lines (read by a daemon thread), its start line. */
    private record Child(Process process, Thread reader, BlockingQueue<String> log, List<String> seen, String start) {
        int port(Pattern address) {
            Matcher m = address.matcher(start);
            assertTrue(m.find(), start);
            return Integer.parseInt(m.group(1));
        }

        /** SIGTERM by PID; returns the exit status and every log line. */
        int stop() throws InterruptedException {
            // Through the PID's handle, not Process.destroy(), which also closes our end of the pipe, so the last log
            // line would be lost. bin/hayate exec'd the JVM: this PID is the tracker's.
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            reader.join(5000);
            log.drainTo(seen);
            return process.exitValue();
        }
    }

    private static List<String> trackerArgs(String storePath) {
        return List.of(
                "--http.host=127.0.0.1",
                "--http.port=0",
                "--udp.host=127.0.0.1",
                "--udp.port=0",
                "--admin.host=127.0.0.1",
                "--admin.port=0",
                "--store.path=" + storePath,
                "--store.max_peers=10000",
                "--store.max_torrents=1000");
    }

    private static Child start(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line = r.readLine(); line != null; line = r.readLine()) {
                            log.add(line);
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                },
                "release-log");
        reader.setDaemon(true);
        reader.start();
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = log.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                seen.add(line);
                if (HTTP_ADDRESS.matcher(line).find()) {
                    return new Child(p, reader, log, seen, line);
                }
            } else if (!p.isAlive()) {
                break;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("no start-up line from bin/hayate: " + seen);
    }

    private static byte[] infoHash() {
        byte[] infoHash = new byte[20];
        for (int i = 0; i < 20; i++) {
            infoHash[i] = (byte) (0xA0 + i);
        }
        return infoHash;
    }

    private static Map<String, Object> scrapeEntry(int httpPort, byte[] infoHash) throws Exception {
        Map<String, Object> scrape = get(httpPort, "/scrape?info_hash=" + enc(infoHash));
        Map<String, Object> files = Bencode.dict(scrape.get("files"));
        return new HashMap<>(Bencode.dict(files.get(new String(infoHash, StandardCharsets.ISO_8859_1))));
    }

    @Test
    void shouldAnswerAnnounceAndScrapeFromTheBundledRuntimeWhenNoJavaIsOnThePath(@TempDir Path dir) throws Exception {
        Path path = pathWithoutJava(dir);
        Path work = Files.createDirectories(dir.resolve("work"));
        // The proof that the environment has no java: the shell finds none on PATH.
        ProcessBuilder probe = new ProcessBuilder("/bin/sh", "-c", "command -v java; echo JAVA_HOME=${JAVA_HOME-unset}")
                .redirectErrorStream(true);
        probe.environment().clear();
        probe.environment().put("PATH", path.toString());
        Process pr = probe.start();
        String probed = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        pr.waitFor(10, TimeUnit.SECONDS);
        assertEquals("JAVA_HOME=unset\n", probed, "java must not be on this PATH");

        ProcessBuilder pb = launcher(work, path, trackerArgs("store"));
        pb.environment().put("HAYATE_JAVA_OPTS", "-Dhayate.release.it=extra");
        Child child = start(pb);
        Process p = child.process();
        String start = child.start();
        try {
            // The running process is the tree's own java (bin/hayate execs it), not any JDK of the machine.
            Path exe = Path.of("/proc/" + p.pid() + "/exe").toRealPath();
            Path runtime = TREE.resolve("runtime").toRealPath();
            assertTrue(exe.startsWith(runtime), () -> "the tracker runs " + exe + ", not a binary under " + runtime);
            List<String> cmdline = Arrays.asList(
                    Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).split("\0"));
            // conf/jvm.options first, then HAYATE_JAVA_OPTS, then the jar
            int heap = cmdline.indexOf("-Xmx96m");
            int extra = cmdline.indexOf("-Dhayate.release.it=extra");
            int jar = cmdline.indexOf("-jar");
            assertTrue(heap >= 0 && heap < extra && extra < jar, () -> "JVM flags out of order: " + cmdline);
            // The config is the tree's, found from the launcher's location, not the working directory.
            Path conf = TREE.resolve("conf/tracker.properties").toRealPath();
            assertTrue(start.contains(" config " + conf), start);
            assertTrue(start.contains("persisted to " + work.resolve("store").toRealPath()), start);

            int httpPort = child.port(HTTP_ADDRESS);
            int udpPort = child.port(UDP_ADDRESS);
            byte[] infoHash = infoHash();
            String base = "/announce?info_hash=" + enc(infoHash) + "&uploaded=0&downloaded=0&compact=1";
            Map<String, Object> seeder = get(httpPort, base + "&peer_id=-HY0001-seeder000001&port=6881&left=0");
            assertEquals(1L, seeder.get("complete"));
            Map<String, Object> leecher = get(httpPort, base + "&peer_id=-HY0001-leecher00001&port=6882&left=1000");
            assertEquals(1L, leecher.get("complete"));
            assertEquals(1L, leecher.get("incomplete"));
            // BEP 23: the seeder, 127.0.0.1:6881, as 6 bytes
            assertEquals(
                    HexFormat.of().formatHex(new byte[] {127, 0, 0, 1, 0x1a, (byte) 0xe1}),
                    HexFormat.of().formatHex((byte[]) leecher.get("peers")));
            assertEquals(Map.of("complete", 1L, "downloaded", 0L, "incomplete", 1L), scrapeEntry(httpPort, infoHash));

            // BEP 15 connect over UDP: the reply echoes the transaction id with action 0.
            try (DatagramSocket udp = new DatagramSocket()) {
                udp.setSoTimeout(5000);
                ByteBuffer req = ByteBuffer.allocate(16)
                        .putLong(0x41727101980L)
                        .putInt(0)
                        .putInt(0x5EED1234);
                udp.send(new DatagramPacket(req.array(), 16, new InetSocketAddress("127.0.0.1", udpPort)));
                DatagramPacket reply = new DatagramPacket(new byte[64], 64);
                udp.receive(reply);
                ByteBuffer r = ByteBuffer.wrap(reply.getData(), 0, reply.getLength());
                assertEquals(16, reply.getLength());
                assertEquals(0, r.getInt());
                assertEquals(0x5EED1234, r.getInt());
            }

            // The admin listener's JVM and process meters need java.management and jdk.management in the runtime.
            Matcher am =
                    Pattern.compile(" admin http://127\\.0\\.0\\.1:(\\d+) ").matcher(start);
            assertTrue(am.find(), start);
            HttpResponse<String> metrics = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + am.group(1) + "/metrics"))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            for (String series : List.of(
                    "hayate_announces_total{",
                    "jvm_memory_used_bytes{",
                    "jvm_threads_live_threads",
                    "process_files_open_files")) {
                assertTrue(metrics.body().contains(series), () -> series + " missing from /metrics");
            }

            // conf/jvm.options bounds what the JVM keeps resident (README "JVM memory"): SerialGC with an 8 MiB young
            // generation (eden at most 8 MiB, not the default third of the 96 MiB heap), and glibc's free memory
            // trimmed by the JVM's own trimmer thread (-XX:TrimNativeHeapInterval; the kernel truncates thread names
            // to 15 bytes).
            Matcher eden = Pattern.compile("(?m)^jvm_memory_max_bytes\\{[^}]*id=\"Eden Space\"[^}]*\\} (\\S+)")
                    .matcher(metrics.body());
            assertTrue(eden.find(), "no SerialGC eden pool in /metrics: " + metrics.body());
            double edenBytes = Double.parseDouble(eden.group(1));
            assertTrue(
                    edenBytes > 0 && edenBytes <= 8 * 1024 * 1024,
                    () -> "eden max " + edenBytes + " B: -Xmn8m of conf/jvm.options not in effect");
            List<String> threads = new ArrayList<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/" + p.pid() + "/task"))) {
                for (Path task : tasks.toList()) {
                    threads.add(Files.readString(task.resolve("comm")).strip());
                }
            }
            assertTrue(
                    threads.contains("Native Heap Tri"),
                    () -> "no native heap trimmer thread (-XX:TrimNativeHeapInterval) among " + threads);
        } finally {
            int status = child.stop();
            assertEquals(143, status, "SIGTERM ends the JVM through its shutdown hook");
        }
        assertTrue(
                child.seen().stream().anyMatch(l -> l.contains("store closed cleanly")),
                () -> String.join("\n", child.seen()));
    }

    @Test
    void shouldRecoverThePersistedStoreOnTheBundledRuntimeWhenKilled(@TempDir Path dir) throws Exception {
        Path path = pathWithoutJava(dir);
        Path work = Files.createDirectories(dir.resolve("work"));
        byte[] infoHash = infoHash();
        Child first = start(launcher(work, path, trackerArgs("store")));
        try {
            get(
                    first.port(HTTP_ADDRESS),
                    "/announce?info_hash=" + enc(infoHash)
                            + "&uploaded=0&downloaded=0&compact=1&peer_id=-HY0001-seeder000001&port=6881&left=0");
        } finally {
            first.process().destroyForcibly(); // SIGKILL: no shutdown hook, the store is left open
            first.process().waitFor(30, TimeUnit.SECONDS);
        }
        // Chronicle's recovery path (recoverPersistedTo) runs on the jlink runtime too.
        Child second = start(launcher(work, path, trackerArgs("store")));
        try {
            assertTrue(
                    second.seen().stream().anyMatch(l -> l.contains("recovering the swarm store")),
                    () -> String.join("\n", second.seen()));
            assertEquals(
                    Map.of("complete", 1L, "downloaded", 0L, "incomplete", 0L),
                    scrapeEntry(second.port(HTTP_ADDRESS), infoHash));
        } finally {
            assertEquals(143, second.stop());
        }
    }

    @Test
    void shouldPassArgumentsToTheTrackerWhenStartedThroughASymlinkFromAnotherDirectory(@TempDir Path dir)
            throws Exception {
        Path path = pathWithoutJava(dir);
        Path work = Files.createDirectories(dir.resolve("work"));
        // A ./tracker.properties in the working directory is not the launcher's config: the tree's is.
        Files.writeString(work.resolve("tracker.properties"), "announce.interval_seconds=999\n");
        Path link = Files.createSymbolicLink(
                dir.resolve("hayate-link"), TREE.resolve("bin/hayate").toAbsolutePath());

        ProcessBuilder version = launcher(work, path, List.of("--version"));
        version.command().set(0, link.toString());
        assertEquals("hayate " + System.getProperty("hayate.version") + "\n", run(version));

        String config = run(launcher(work, path, List.of("--print-config", "--http.port=7000")));
        assertTrue(config.contains("\nhttp.port=7000\n"), config);
        assertTrue(config.contains("\nannounce.interval_seconds=1800\n"), config);

        Path other = Files.writeString(dir.resolve("other.properties"), "announce.interval_seconds=1234\n");
        String overridden = run(launcher(work, path, List.of("--config", other.toString(), "--print-config")));
        assertTrue(overridden.contains("\nannounce.interval_seconds=1234\n"), overridden);

        assertTrue(run(launcher(work, path, List.of("--help"))).contains("--print-config"));
    }

    /**
     * Regular files and their modes in a .tar.gz (ustar headers, GNU long names); symlinks (jlink links the legal/
     * files of most modules to java.base's) are left out, as {@code Files.walk} of the tree is filtered to match.
     */
    private static Map<String, Integer> tarEntries(Path tarball, Map<String, byte[]> wanted) throws IOException {
        Map<String, Integer> modes = new HashMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tarball))) {
            byte[] header = new byte[512];
            String longName = null;
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = cString(header, 0, 100);
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                int mode = Integer.parseInt(cString(header, 100, 8).trim(), 8);
                long size = Long.parseLong(cString(header, 124, 12).trim(), 8);
                char type = (char) header[156];
                byte[] body = in.readNBytes((int) ((size + 511) / 512 * 512));
                if (type == 'L') { // GNU long name: the next entry's name
                    longName = cString(body, 0, (int) size);
                    continue;
                }
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                if (type == '0' || type == 0) {
                    modes.put(name, mode);
                    if (wanted.containsKey(name)) {
                        wanted.put(name, Arrays.copyOf(body, (int) size));
                    }
                }
            }
        }
        return modes;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    @Test
    void shouldShipTheAssembledTreeInTheTarballWhenPackaged() throws Exception {
        Map<String, byte[]> wanted = new HashMap<>();
        for (String f :
                List.of("conf/tracker.properties", "conf/jvm.options", "LICENSE", "ops/hayate.service", "bin/hayate")) {
            wanted.put("hayate/" + f, null);
        }
        Map<String, Integer> modes = tarEntries(TARBALL, wanted);

        // the same regular files as target/hayate/
        Set<String> tree;
        try (Stream<Path> files = Files.walk(TREE)) {
            tree = files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                    .map(f -> "hayate/" + TREE.relativize(f))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(tree, new TreeSet<>(modes.keySet()));
        assertEquals(0755, modes.get("hayate/bin/hayate") & 0777);
        assertEquals(0755, modes.get("hayate/runtime/bin/java") & 0777);
        assertTrue(modes.containsKey("hayate/lib/hayate.jar"));

        // assembled from the sources, not hand-copied
        assertEquals(
                Files.readString(Path.of("tracker.properties")),
                new String(wanted.get("hayate/conf/tracker.properties"), StandardCharsets.UTF_8));
        assertEquals(
                Files.readString(Path.of("src/dist/conf/jvm.options")),
                new String(wanted.get("hayate/conf/jvm.options"), StandardCharsets.UTF_8));
        assertEquals(
                Files.readString(Path.of("src/dist/bin/hayate")),
                new String(wanted.get("hayate/bin/hayate"), StandardCharsets.UTF_8));
        String unit = new String(wanted.get("hayate/ops/hayate.service"), StandardCharsets.UTF_8);
        assertTrue(unit.contains("\nExecStart=/opt/hayate/bin/hayate "), unit);
        assertEquals(
                APACHE_2_SHA256,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wanted.get("hayate/LICENSE"))));

        // a lean runtime: what Chronicle needs at run time (javac), and none of the desktop modules jdeps lists
        String release = Files.readString(TREE.resolve("runtime/release"));
        Matcher modules = Pattern.compile("MODULES=\"([^\"]*)\"").matcher(release);
        assertTrue(modules.find(), release);
        Set<String> mods = Set.of(modules.group(1).split(" "));
        assertTrue(
                mods.containsAll(Set.of("jdk.compiler", "jdk.unsupported", "java.naming", "jdk.management")), release);
        assertFalse(mods.contains("java.desktop"), release);
    }

    /**
     * Modules jdeps finds references to that the runtime leaves out on purpose: only classes Hayate never loads use
     * them (JNA's AWT helpers, Micrometer's DB binders, Undertow's SPNEGO); pom.xml's release.modules says why.
     * ReleaseIT's start-up tests are what prove the rest suffices.
     */
    private static final Set<String> LEFT_OUT = Set.of("java.desktop", "java.sql", "java.security.jgss");

    @Test
    void shouldHoldEveryModuleJdepsFindsWhenNotDeliberatelyLeftOut() throws IOException {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(
                new PrintWriter(out),
                new PrintWriter(err),
                "--multi-release",
                String.valueOf(Runtime.version().feature()),
                "--ignore-missing-deps",
                "--print-module-deps",
                TREE.resolve("lib/hayate.jar").toString());
        assertEquals(0, rc, err::toString);
        Set<String> found = new TreeSet<>(Arrays.asList(out.toString().trim().split(",")));
        assertTrue(found.contains("java.base"), found::toString);
        String release = Files.readString(TREE.resolve("runtime/release"));
        Matcher modules = Pattern.compile("MODULES=\"([^\"]*)\"").matcher(release);
        assertTrue(modules.find(), release);
        Set<String> missing = new TreeSet<>(found);
        missing.removeAll(Set.of(modules.group(1).split(" ")));
        missing.removeAll(LEFT_OUT);
        assertEquals(Set.of(), missing, "modules jdeps finds in hayate.jar: add them to release.modules in pom.xml");
    }

    @Test
    void shouldCarryEveryChronicleFlagOfTheBuildInJvmOptions() throws IOException {
        String flags = System.getProperty("hayate.chronicle.jvm.args", "");
        assertNotEquals("", flags.trim());
        List<String> options = Files.readAllLines(TREE.resolve("conf/jvm.options")).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        for (String flag : flags.trim().split("\\s+")) {
            assertTrue(options.contains(flag), () -> flag + " (pom.xml chronicle.jvm.args) missing in jvm.options");
        }
    }

    @Test
    void shouldListEveryBundledLibraryAndCarryItsNoticeWhenReleased() throws IOException {
        String thirdParty = Files.readString(TREE.resolve("THIRD-PARTY.txt"));
        Set<String> listed = thirdParty
                .lines()
                .filter(l -> l.matches("^[a-z][\\w.-]*:[\\w.-]+:\\S+ .*"))
                .map(l -> l.substring(0, l.indexOf(' ')))
                .collect(Collectors.toCollection(TreeSet::new));
        // "   group:artifact:jar[:classifier]:version:scope[ -- module name]" from maven-dependency-plugin's list
        Set<String> bundled = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of(System.getProperty("hayate.release.dependencies")))) {
            String[] p = line.trim().split(" ")[0].split(":");
            if (p.length == 5) {
                bundled.add(p[0] + ":" + p[1] + ":" + p[3]);
            } else if (p.length == 6) {
                bundled.add(p[0] + ":" + p[1] + ":" + p[4] + ":" + p[3]);
            }
        }
        assertTrue(bundled.size() > 30, bundled::toString);
        assertEquals(bundled, listed, "THIRD-PARTY.txt must list exactly the bundled libraries, with their versions");

        // Apache-2.0, section 4(d): every NOTICE a bundled jar carries is reproduced in the release's NOTICE.
        String notice = Files.readString(TREE.resolve("NOTICE"));
        List<Path> notices;
        try (Stream<Path> files = Files.walk(TREE.resolve("licenses"))) {
            notices = files.filter(f -> f.getFileName().toString().startsWith("NOTICE"))
                    .toList();
        }
        assertFalse(notices.isEmpty(), "micrometer ships a NOTICE");
        for (Path n : notices) {
            String text = Files.readString(n).strip();
            assertTrue(notice.contains(text), () -> n + " is not reproduced in NOTICE");
        }
    }
}
