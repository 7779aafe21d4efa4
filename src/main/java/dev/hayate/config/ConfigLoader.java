package dev.hayate.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Loads {@code tracker.properties} (or the file given with {@code --config}) plus {@code --key=value} overrides into
 * one {@link TrackerConfig}. Unknown keys and invalid values fail with a {@link ConfigException} that names the key.
 */
public final class ConfigLoader {

    /** Every key with its built-in default, in the order of tracker.properties. */
    public static final Map<String, String> DEFAULTS = defaultsTable();

    private ConfigLoader() {}

    private static Map<String, String> defaultsTable() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("http.host", "::");
        d.put("http.port", "6969");
        d.put("http.io_threads", "0");
        d.put("http.backlog", "1024");
        d.put("http.max_query_length", "8192");
        d.put("http.max_header_bytes", "16384");
        d.put("http.trusted_proxies", "");
        d.put("udp.enabled", "true");
        d.put("udp.host", "::");
        d.put("udp.port", "6969");
        d.put("udp.threads", "0");
        d.put("udp.connection_id_ttl_seconds", "120");
        d.put("udp.receive_buffer_bytes", "4194304");
        d.put("announce.interval_seconds", "1800");
        d.put("announce.min_interval_seconds", "900");
        d.put("announce.peer_ttl_seconds", "3900");
        d.put("announce.sweep_interval_seconds", "60");
        d.put("announce.numwant_default", "50");
        d.put("announce.numwant_max", "200");
        d.put("announce.allow_ip_param", "false");
        d.put("scrape.max_hashes", "74");
        d.put("store.path", "");
        d.put("store.max_peers", "2000000");
        d.put("store.max_torrents", "1000000");
        d.put("admin.enabled", "true");
        d.put("admin.host", "127.0.0.1");
        d.put("admin.port", "6970");
        d.put("http.request_timeout_seconds", "10");
        d.put("http.idle_timeout_seconds", "60");
        d.put("http.max_connections", "50000");
        d.put("http.acceptor", "per_thread");
        d.put("access.mode", "off");
        d.put("access.file", "");
        d.put("access.reload_seconds", "5");
        // WebTorrent tracker (issue 12)
        d.put("ws.enabled", "true");
        d.put("ws.announce_interval_seconds", "120");
        d.put("ws.peer_ttl_seconds", "300");
        d.put("ws.max_message_bytes", "65536");
        d.put("ws.max_offers", "10");
        d.put("ws.max_connections", "50000");
        d.put("ws.idle_timeout_seconds", "180");
        d.put("ws.max_queued_bytes", "1048576");
        d.put("ws.max_torrents_per_connection", "1000");
        d.put("ws.max_peers", "200000");
        return java.util.Collections.unmodifiableMap(d);
    }

    /** Reads a properties file (UTF-8). */
    public static Properties readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return p;
    }

    /** Merges file values and overrides (overrides win) over the defaults, then validates. */
    public static TrackerConfig load(Properties file, Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
        for (String key : file.stringPropertyNames()) {
            put(v, key, file.getProperty(key), "config file");
        }
        overrides.forEach((key, value) -> put(v, key, value, "command line"));
        return build(v);
    }

    /** The effective value of every key (defaults filled in), for --print-config. */
    public static Map<String, String> effective(Properties file, Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
        for (String key : file.stringPropertyNames()) {
            put(v, key, file.getProperty(key), "config file");
        }
        overrides.forEach((key, value) -> put(v, key, value, "command line"));
        build(v);
        return v;
    }

    private static void put(Map<String, String> v, String key, String value, String where) {
        if (!DEFAULTS.containsKey(key)) {
            throw new ConfigException("unknown config key '" + key + "' (" + where + ")");
        }
        v.put(key, value.trim());
    }

    private static TrackerConfig build(Map<String, String> v) {
        int cores = Runtime.getRuntime().availableProcessors();
        int ioThreads = intIn(v, "http.io_threads", 0, 1024);
        int udpThreads = intIn(v, "udp.threads", 0, 1024);
        int interval = intIn(v, "announce.interval_seconds", 1, 86_400);
        int minInterval = intIn(v, "announce.min_interval_seconds", 1, 86_400);
        if (minInterval > interval) {
            throw new ConfigException("announce.min_interval_seconds (" + minInterval
                    + ") must not exceed announce.interval_seconds (" + interval + ")");
        }
        int numWantMax = intIn(v, "announce.numwant_max", 1, 10_000);
        int numWantDefault = intIn(v, "announce.numwant_default", 0, 10_000);
        if (numWantDefault > numWantMax) {
            throw new ConfigException("announce.numwant_default (" + numWantDefault
                    + ") must not exceed announce.numwant_max (" + numWantMax + ")");
        }
        String storePath = v.get("store.path");
        int adminPort = intIn(v, "admin.port", 0, 65_535);
        if (bool(v, "admin.enabled") && adminPort != 0 && adminPort == intIn(v, "http.port", 0, 65_535)) {
            // The admin listener must never share the public port (its pages would be public).
            throw new ConfigException("admin.port (" + adminPort + ") must differ from http.port");
        }
        TrackerConfig.AccessMode accessMode = accessMode(v, "access.mode");
        String accessFile = v.get("access.file");
        if (accessMode != TrackerConfig.AccessMode.OFF && accessFile.isEmpty()) {
            throw new ConfigException("access.file: needed when access.mode is " + v.get("access.mode"));
        }
        return new TrackerConfig(
                hosts(v, "http.host"),
                intIn(v, "http.port", 0, 65_535),
                ioThreads == 0 ? cores : ioThreads,
                intIn(v, "http.backlog", 1, 1_000_000),
                intIn(v, "http.max_query_length", 256, 1_000_000),
                intIn(v, "http.max_header_bytes", 1024, 10_000_000),
                cidrs(v, "http.trusted_proxies"),
                bool(v, "udp.enabled"),
                hosts(v, "udp.host"),
                intIn(v, "udp.port", 0, 65_535),
                udpThreads == 0 ? cores : udpThreads,
                intIn(v, "udp.connection_id_ttl_seconds", 10, 3_600),
                intIn(v, "udp.receive_buffer_bytes", 65_536, 1 << 30),
                interval,
                minInterval,
                intIn(v, "announce.peer_ttl_seconds", 1, 7 * 86_400),
                intIn(v, "announce.sweep_interval_seconds", 1, 86_400),
                numWantDefault,
                numWantMax,
                bool(v, "announce.allow_ip_param"),
                intIn(v, "scrape.max_hashes", 1, 1_000),
                storePath.isEmpty() ? null : Path.of(storePath),
                longIn(v, "store.max_peers", 1, 1_000_000_000L),
                longIn(v, "store.max_torrents", 1, 1_000_000_000L),
                bool(v, "admin.enabled"),
                adminHost(v, "admin.host"),
                adminPort,
                intIn(v, "http.request_timeout_seconds", 1, 3_600),
                intIn(v, "http.idle_timeout_seconds", 1, 86_400),
                intIn(v, "http.max_connections", 1, 10_000_000),
                accessMode,
                accessMode == TrackerConfig.AccessMode.OFF ? null : Path.of(accessFile),
                intIn(v, "access.reload_seconds", 1, 86_400),
                httpAcceptor(v, "http.acceptor"),
                webTorrent(v));
    }

    private static TrackerConfig.WebTorrent webTorrent(Map<String, String> v) {
        int interval = intIn(v, "ws.announce_interval_seconds", 1, 86_400);
        int ttl = intIn(v, "ws.peer_ttl_seconds", 1, 7 * 86_400);
        if (ttl <= interval) {
            throw new ConfigException("ws.peer_ttl_seconds (" + ttl + ") must exceed ws.announce_interval_seconds ("
                    + interval + "), or every peer expires before it announces again");
        }
        return new TrackerConfig.WebTorrent(
                bool(v, "ws.enabled"),
                interval,
                ttl,
                intIn(v, "ws.max_message_bytes", 1_024, 16 << 20),
                intIn(v, "ws.max_offers", 1, 100),
                intIn(v, "ws.max_connections", 1, 10_000_000),
                intIn(v, "ws.idle_timeout_seconds", 3, 86_400),
                intIn(v, "ws.max_queued_bytes", 65_536, 1 << 30),
                intIn(v, "ws.max_torrents_per_connection", 1, 1_000_000),
                intIn(v, "ws.max_peers", 1, 100_000_000));
    }

    private static TrackerConfig.HttpAcceptor httpAcceptor(Map<String, String> v, String key) {
        switch (v.get(key).toLowerCase(java.util.Locale.ROOT)) {
            case "per_thread":
                return TrackerConfig.HttpAcceptor.PER_THREAD;
            case "xnio":
                return TrackerConfig.HttpAcceptor.XNIO;
            default:
                throw new ConfigException(key + ": '" + v.get(key) + "' must be per_thread or xnio");
        }
    }

    private static TrackerConfig.AccessMode accessMode(Map<String, String> v, String key) {
        switch (v.get(key).toLowerCase(java.util.Locale.ROOT)) {
            case "off":
                return TrackerConfig.AccessMode.OFF;
            case "allow":
                return TrackerConfig.AccessMode.ALLOW;
            case "deny":
                return TrackerConfig.AccessMode.DENY;
            default:
                throw new ConfigException(key + ": '" + v.get(key) + "' must be off, allow or deny");
        }
    }

    private static int intIn(Map<String, String> v, String key, int min, int max) {
        return (int) longIn(v, key, min, max);
    }

    private static long longIn(Map<String, String> v, String key, long min, long max) {
        String s = v.get(key);
        long n;
        try {
            n = Long.parseLong(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": '" + s + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new ConfigException(key + ": " + n + " is out of range " + min + ".." + max);
        }
        return n;
    }

    private static boolean bool(Map<String, String> v, String key) {
        String s = v.get(key);
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(key + ": '" + s + "' must be true or false");
    }

    private static List<String> hosts(Map<String, String> v, String key) {
        List<String> out = new ArrayList<>();
        for (String part : v.get(key).split(",")) {
            String h = part.trim();
            if (h.isEmpty()) {
                continue;
            }
            try {
                Cidr.parseLiteral(h);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ": " + e.getMessage());
            }
            out.add(h.startsWith("[") ? h.substring(1, h.length() - 1) : h);
        }
        if (out.isEmpty()) {
            throw new ConfigException(key + ": at least one address is needed");
        }
        return out;
    }

    /** One literal address: the admin listener serves operators only, so it binds exactly one address. */
    private static String adminHost(Map<String, String> v, String key) {
        List<String> hosts = hosts(v, key);
        if (hosts.size() != 1) {
            throw new ConfigException(key + ": exactly one address is needed");
        }
        return hosts.get(0);
    }

    private static List<Cidr> cidrs(Map<String, String> v, String key) {
        List<Cidr> out = new ArrayList<>();
        for (String part : v.get(key).split(",")) {
            if (part.isBlank()) {
                continue;
            }
            try {
                out.add(Cidr.parse(part));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ": " + e.getMessage());
            }
        }
        return out;
    }
}
