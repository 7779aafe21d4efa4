package dev.hayate.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Every {@code tracker.properties} key, loaded and validated once by {@link ConfigLoader}. Immutable; passed to
 * whoever needs it at start-up, never read per request and never kept in a static.
 *
 * @param httpHosts addresses to listen on ({@code http.host}); {@code ::} is dual-stack
 * @param httpPort {@code http.port}
 * @param httpIoThreads {@code http.io_threads}, already resolved (0 in the file means one per core)
 * @param httpBacklog {@code http.backlog}
 * @param maxQueryLength {@code http.max_query_length}, characters
 * @param maxHeaderBytes {@code http.max_header_bytes}
 * @param trustedProxies {@code http.trusted_proxies}
 * @param udpEnabled {@code udp.enabled}
 * @param udpHosts {@code udp.host}
 * @param udpPort {@code udp.port}
 * @param udpThreads {@code udp.threads}, already resolved (0 in the file means one per core)
 * @param udpConnectionIdTtlSeconds {@code udp.connection_id_ttl_seconds}
 * @param udpReceiveBufferBytes {@code udp.receive_buffer_bytes}
 * @param announceIntervalSeconds {@code announce.interval_seconds}
 * @param minAnnounceIntervalSeconds {@code announce.min_interval_seconds}
 * @param peerTtlSeconds {@code announce.peer_ttl_seconds}
 * @param sweepIntervalSeconds {@code announce.sweep_interval_seconds}
 * @param numWantDefault {@code announce.numwant_default}
 * @param numWantMax {@code announce.numwant_max}
 * @param allowIpParam {@code announce.allow_ip_param}
 * @param maxScrapeHashes {@code scrape.max_hashes}
 * @param storePath {@code store.path}; {@code null} means in-memory
 * @param maxPeers {@code store.max_peers}
 * @param maxTorrents {@code store.max_torrents}
 * @param adminEnabled {@code admin.enabled}: serve /metrics and the status page on the admin listener
 * @param adminHost {@code admin.host}, one literal address
 * @param adminPort {@code admin.port}
 * @param httpRequestTimeoutSeconds {@code http.request_timeout_seconds}: longest time to receive one request's line and
 *     headers
 * @param httpIdleTimeoutSeconds {@code http.idle_timeout_seconds}: longest time a connection may sit with no request
 * @param httpMaxConnections {@code http.max_connections}: open connections per listener before accepting pauses
 * @param accessMode {@code access.mode}
 * @param accessFile {@code access.file}; {@code null} when {@code access.mode=off}
 * @param accessReloadSeconds {@code access.reload_seconds}
 * @param httpAcceptor {@code http.acceptor}: who accepts HTTP connections
 * @param webTorrent the {@code ws.*} keys: the WebTorrent tracker on the HTTP port
 */
public record TrackerConfig(
        List<String> httpHosts,
        int httpPort,
        int httpIoThreads,
        int httpBacklog,
        int maxQueryLength,
        int maxHeaderBytes,
        List<Cidr> trustedProxies,
        boolean udpEnabled,
        List<String> udpHosts,
        int udpPort,
        int udpThreads,
        int udpConnectionIdTtlSeconds,
        int udpReceiveBufferBytes,
        int announceIntervalSeconds,
        int minAnnounceIntervalSeconds,
        int peerTtlSeconds,
        int sweepIntervalSeconds,
        int numWantDefault,
        int numWantMax,
        boolean allowIpParam,
        int maxScrapeHashes,
        Path storePath,
        long maxPeers,
        long maxTorrents,
        boolean adminEnabled,
        String adminHost,
        int adminPort,
        int httpRequestTimeoutSeconds,
        int httpIdleTimeoutSeconds,
        int httpMaxConnections,
        AccessMode accessMode,
        Path accessFile,
        int accessReloadSeconds,
        HttpAcceptor httpAcceptor,
        WebTorrent webTorrent) {

    /**
     * The {@code ws.*} keys: the WebTorrent tracker (WebSocket) served on the HTTP listeners.
     *
     * @param enabled {@code ws.enabled}
     * @param announceIntervalSeconds {@code ws.announce_interval_seconds}: {@code interval} sent to WebTorrent clients
     * @param peerTtlSeconds {@code ws.peer_ttl_seconds}: a WebTorrent peer not heard from for this long leaves its swarm
     * @param maxMessageBytes {@code ws.max_message_bytes}: larger messages close the socket with 1009
     * @param maxOffers {@code ws.max_offers}: offers relayed per announce at most
     * @param maxConnections {@code ws.max_connections}: open WebSocket connections at most
     * @param idleTimeoutSeconds {@code ws.idle_timeout_seconds}: a socket silent (no message, no pong) this long is
     *     closed; one silent for a third of it is pinged
     * @param maxQueuedBytes {@code ws.max_queued_bytes}: bytes queued for one slow reader before it is closed
     * @param maxTorrentsPerConnection {@code ws.max_torrents_per_connection}: torrents one socket may announce
     * @param maxPeers {@code ws.max_peers}: WebTorrent peers (on the heap) over all swarms
     */
    public record WebTorrent(
            boolean enabled,
            int announceIntervalSeconds,
            int peerTtlSeconds,
            int maxMessageBytes,
            int maxOffers,
            int maxConnections,
            int idleTimeoutSeconds,
            int maxQueuedBytes,
            int maxTorrentsPerConnection,
            int maxPeers) {}

    /** {@code http.acceptor}: who accepts HTTP connections. */
    public enum HttpAcceptor {
        /** Every IO thread accepts on its own SO_REUSEPORT socket (Hayate's acceptor, the default). */
        PER_THREAD,
        /** XNIO's stock listener: one accept thread hands connections to the IO threads. */
        XNIO
    }

    /** {@code access.mode}: which info_hashes the tracker serves. */
    public enum AccessMode {
        /** Every torrent. */
        OFF,
        /** Only the torrents listed in {@code access.file}. */
        ALLOW,
        /** Every torrent except those listed in {@code access.file}. */
        DENY
    }

    public TrackerConfig {
        httpHosts = List.copyOf(httpHosts);
        trustedProxies = List.copyOf(trustedProxies);
        udpHosts = List.copyOf(udpHosts);
    }

    /** The {@code announce.*} keys both adapters answer with; the one place they are copied from the config. */
    public AnnouncePolicy announcePolicy() {
        return new AnnouncePolicy(
                announceIntervalSeconds, minAnnounceIntervalSeconds, numWantDefault, numWantMax, allowIpParam);
    }

    public long peerTtlMillis() {
        return peerTtlSeconds * 1000L;
    }

    /** The defaults, as documented in tracker.properties. */
    public static TrackerConfig defaults() {
        return ConfigLoader.load(new java.util.Properties(), java.util.Map.of());
    }
}
