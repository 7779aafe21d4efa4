package dev.hayate;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.hayate.admin.AdminServer;
import dev.hayate.config.ConfigException;
import dev.hayate.config.ConfigLoader;
import dev.hayate.config.TrackerConfig;
import dev.hayate.http.TrackerServer;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.protocol.AnnounceEvent;
import dev.hayate.protocol.FailureReason;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.ChronicleSwarmStore;
import dev.hayate.swarm.SwarmOptions;
import dev.hayate.swarm.SwarmStore;
import dev.hayate.udp.UdpTracker;
import dev.hayate.ws.WebTorrentTracker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: reads the config, opens the store, starts the listeners and the expiry sweeper, and closes everything
 * cleanly on SIGTERM/SIGINT (a JVM shutdown hook), so a persisted store is left consistent.
 */
public final class TrackerMain {
    private static final Logger LOG = LoggerFactory.getLogger("hayate");
    static final String DEFAULT_CONFIG_FILE = "tracker.properties";

    private TrackerMain() {}

    public static void main(String[] args) {
        // Undertow and XNIO log through jboss-logging; send that through SLF4J too, so every line goes to stdout in
        // one format.
        System.setProperty("org.jboss.logging.provider", "slf4j");
        // Chronicle prints a multi-line banner (with a mailing-list plug) when its classes load; one start-up line
        // of our own is enough. Must be set before the first Chronicle class is touched.
        System.setProperty("chronicle.announcer.disable", "true");
        Map<String, String> overrides = new LinkedHashMap<>();
        Path configFile = null;
        boolean printConfig = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    System.out.println(usage());
                    return;
                }
                case "--version" -> {
                    System.out.println("hayate " + version());
                    return;
                }
                case "--print-config" -> printConfig = true;
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        exit("--config needs a file");
                    }
                    configFile = Path.of(args[++i]);
                }
                default -> {
                    if (a.startsWith("--config=")) {
                        configFile = Path.of(a.substring("--config=".length()));
                    } else if (a.startsWith("--") && a.indexOf('=') > 2) {
                        overrides.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
                    } else {
                        exit("unknown argument '" + a + "'\n" + usage());
                    }
                }
            }
        }
        Properties file = new Properties();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                exit("config file not found: " + configFile);
            }
            file = ConfigLoader.readFile(configFile);
        } else if (Files.isRegularFile(Path.of(DEFAULT_CONFIG_FILE))) {
            configFile = Path.of(DEFAULT_CONFIG_FILE);
            file = ConfigLoader.readFile(configFile);
        }
        TrackerConfig config;
        try {
            if (printConfig) {
                ConfigLoader.effective(file, overrides).forEach((k, v) -> System.out.println(k + "=" + v));
                return;
            }
            config = ConfigLoader.load(file, overrides);
        } catch (ConfigException e) {
            exit("config: " + e.getMessage());
            return;
        }
        Tracker tracker;
        try {
            tracker = Tracker.start(config);
        } catch (RuntimeException e) {
            LOG.error("start-up failed: {}", e.toString(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(tracker::close, "hayate-shutdown"));
        LOG.info(
                "Hayate {} on JDK {}: http {} ; webtorrent {} ; udp {} ; admin {} ; store {} (max {} peers, {} torrents) ;"
                        + " config {}",
                version(),
                Runtime.version(),
                tracker.httpAddresses(),
                config.webTorrent().enabled() ? "ws on the http port (/ and /announce)" : "off",
                config.udpEnabled() ? tracker.udpAddresses() : "off",
                config.adminEnabled() ? "http:/" + tracker.adminAddress() + " (/metrics, /)" : "off",
                config.storePath() == null
                        ? "in-memory"
                        : "persisted to " + config.storePath().toAbsolutePath(),
                config.maxPeers(),
                config.maxTorrents(),
                configFile == null ? "built-in defaults" : configFile);
    }

    static String version() {
        String v = TrackerMain.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static String usage() {
        return """
                Usage: java -jar hayate.jar [--config FILE] [--key=value ...] [--print-config] [--version] [--help]

                  --config FILE   read FILE instead of ./tracker.properties (built-in defaults if neither exists)
                  --key=value     override any config key, e.g. --http.port=7000 --store.path=/var/lib/hayate
                  --print-config  print the effective config, every key with its value, and exit
                  --version       print the version and exit
                  --help          this text

                Config keys (see tracker.properties for meaning, unit and default):
                """
                + String.join(
                        "\n",
                        ConfigLoader.DEFAULTS.keySet().stream()
                                .map(k -> "  " + k + " (default '" + ConfigLoader.DEFAULTS.get(k) + "')")
                                .toList());
    }

    /**
     * The process's open-files limit (the soft {@code RLIMIT_NOFILE}, {@code ulimit -n}, systemd's
     * {@code LimitNOFILE}) as the OS reports it, or -1 where the JVM cannot tell.
     */
    static long openFilesLimit() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
    }

    /**
     * A warning when {@code http.max_connections} (per listener, times the listeners) is at or above the open-files
     * limit: the process would run out of descriptors before the connection limit applies, and at that point XNIO
     * backs off accepting for up to 16 s and new clients get no answer at all. {@code null} when the limit is fine or
     * unknown ({@code openFilesLimit < 0}).
     */
    static String openFilesWarning(TrackerConfig config, long openFilesLimit) {
        long connections =
                (long) config.httpMaxConnections() * config.httpHosts().size();
        if (openFilesLimit < 0 || connections < openFilesLimit) {
            return null;
        }
        return "http.max_connections=" + config.httpMaxConnections() + " on "
                + config.httpHosts().size()
                + " listener(s) allows " + connections + " connections, at or above the open-files limit "
                + openFilesLimit + " (ulimit -n, LimitNOFILE): new clients would get no answer once descriptors run "
                + "out. Lower http.max_connections or raise the limit.";
    }

    private static void exit(String message) {
        System.err.println("hayate: " + message);
        System.exit(2);
    }

    /** A running tracker: store, metrics, listeners and sweeper. Tests start it in-process. */
    public static final class Tracker implements AutoCloseable {
        private final SwarmStore store;
        private final TrackerServer http;
        private final UdpTracker udp;
        private final ScheduledExecutorService sweeper;
        private final TrackerMetrics metrics;
        private AdminServer admin;
        private WebTorrentTracker webTorrent;
        private boolean closed;

        private Tracker(
                SwarmStore store,
                TrackerServer http,
                UdpTracker udp,
                ScheduledExecutorService sweeper,
                TrackerMetrics m) {
            this.store = store;
            this.http = http;
            this.udp = udp;
            this.sweeper = sweeper;
            this.metrics = m;
        }

        /**
         * Starts with the registry the config calls for: Prometheus when the admin listener serves {@code /metrics},
         * a simple in-memory one otherwise.
         */
        public static Tracker start(TrackerConfig config) {
            MeterRegistry registry = config.adminEnabled()
                    ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)
                    : new SimpleMeterRegistry();
            return start(config, registry);
        }

        /**
         * @param registry must be a {@link PrometheusMeterRegistry} when {@code admin.enabled=true}
         */
        public static Tracker start(TrackerConfig config, MeterRegistry registry) {
            if (config.adminEnabled() && !(registry instanceof PrometheusMeterRegistry)) {
                throw new IllegalArgumentException("admin.enabled=true needs a PrometheusMeterRegistry to serve "
                        + "/metrics; got " + registry.getClass().getSimpleName());
            }
            String openFiles = openFilesWarning(config, openFilesLimit());
            if (openFiles != null) {
                LOG.warn(openFiles);
            }
            // Read the access list before opening anything, so a bad line stops start-up with nothing to undo.
            AccessPolicy access = AccessPolicy.load(
                    AccessPolicy.Mode.valueOf(config.accessMode().name()), config.accessFile());
            SwarmStore store = ChronicleSwarmStore.open(new SwarmOptions(
                    config.maxPeers(),
                    config.maxTorrents(),
                    config.storePath(),
                    config.peerTtlMillis(),
                    config.numWantMax()));
            try {
                TrackerMetrics metrics = new TrackerMetrics(
                        registry,
                        Arrays.stream(AnnounceEvent.values()).map(Enum::name).toList(),
                        Arrays.stream(FailureReason.values()).map(Enum::name).toList());
                metrics.bindStore(
                        store::torrentCount, store::seederCount, store::leecherCount, store::peerCapacityUsed);
                metrics.bindJvmAndProcess();
                UdpTracker udp = config.udpEnabled() ? new UdpTracker(config, store, metrics, access) : null;
                WebTorrentTracker ws =
                        config.webTorrent().enabled() ? new WebTorrentTracker(config, metrics, access) : null;
                TrackerServer http;
                try {
                    http = new TrackerServer(
                            config,
                            store,
                            metrics,
                            access,
                            ws == null ? null : ws.upgradeHandler(),
                            WebTorrentTracker.CLIENT_ADDRESS);
                    http.start();
                } catch (RuntimeException e) {
                    if (udp != null) {
                        udp.close();
                    }
                    throw e;
                }
                if (udp != null) {
                    udp.start();
                }
                ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "hayate-sweeper");
                    t.setDaemon(true);
                    return t;
                });
                long period = config.sweepIntervalSeconds();
                sweeper.scheduleWithFixedDelay(
                        () -> {
                            try {
                                long now = System.currentTimeMillis();
                                metrics.peersExpired(store.sweep(now));
                                if (ws != null) {
                                    metrics.peersExpired(ws.expire(now));
                                }
                            } catch (RuntimeException e) {
                                LOG.error("expiry sweep failed: {}", e.toString(), e);
                            }
                        },
                        period,
                        period,
                        TimeUnit.SECONDS);
                if (access.mode() != AccessPolicy.Mode.OFF) {
                    long reload = config.accessReloadSeconds();
                    sweeper.scheduleWithFixedDelay(access::reloadIfChanged, reload, reload, TimeUnit.SECONDS);
                }
                Tracker tracker = new Tracker(store, http, udp, sweeper, metrics);
                tracker.webTorrent = ws;
                if (config.adminEnabled()) {
                    try {
                        tracker.admin =
                                new AdminServer(config, (PrometheusMeterRegistry) registry, store, metrics, version());
                        tracker.admin.start();
                    } catch (RuntimeException e) {
                        // e.g. the admin port is taken: undo what started; the store is closed below.
                        http.close();
                        if (udp != null) {
                            udp.close();
                        }
                        sweeper.shutdownNow();
                        metrics.close();
                        throw e;
                    }
                }
                return tracker;
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
        }

        public List<InetSocketAddress> httpAddresses() {
            return http.addresses();
        }

        /** Open HTTP connections over all listeners; -1 with {@code http.acceptor=xnio} (XNIO does not say). */
        public int openHttpConnections() {
            return http.openConnections();
        }

        /** The bound UDP addresses; empty when {@code udp.enabled=false}. */
        public List<InetSocketAddress> udpAddresses() {
            return udp == null ? List.of() : udp.addresses();
        }

        /** The bound admin address (useful with {@code admin.port=0}); {@code null} when admin is disabled. */
        public InetSocketAddress adminAddress() {
            return admin == null ? null : admin.address();
        }

        public SwarmStore store() {
            return store;
        }

        /** The WebTorrent tracker; {@code null} when {@code ws.enabled=false}. */
        public WebTorrentTracker webTorrent() {
            return webTorrent;
        }

        public TrackerMetrics metrics() {
            return metrics;
        }

        /** Stops the listeners first, then the sweeper, then closes the store cleanly. Idempotent. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (admin != null) {
                admin.close();
            }
            http.close();
            if (udp != null) {
                udp.close();
            }
            sweeper.shutdownNow();
            try {
                sweeper.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            store.close();
            metrics.close();
            LOG.info("Hayate stopped; store closed cleanly");
        }
    }
}
