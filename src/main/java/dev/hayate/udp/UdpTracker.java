package dev.hayate.udp;

import dev.hayate.config.AnnouncePolicy;
import dev.hayate.config.TrackerConfig;
import dev.hayate.metrics.TrackerMetrics;
import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.protocol.FailureReason;
import dev.hayate.protocol.InetText;
import dev.hayate.protocol.UdpCodec;
import dev.hayate.protocol.UdpRequest;
import dev.hayate.swarm.AccessPolicy;
import dev.hayate.swarm.AnnounceRateLimiter;
import dev.hayate.swarm.SwarmStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BEP 15 UDP tracker: for each {@code udp.host} address, {@code udp.threads} receive loops, each on its own
 * {@link DatagramChannel} bound to the same port with {@code SO_REUSEPORT}, so the kernel spreads packets over them.
 *
 * <p>Each loop owns its buffers and flyweights, so packet handling allocates nothing on Hayate's side after start-up.
 * (The JDK's {@code DatagramChannel.receive} allocates an {@link InetSocketAddress} for a sender other than the
 * previous one; there is no allocation-free receive-with-address in the JDK.)
 *
 * <p>Replies go out on the channel the request came in on. On a wildcard address ({@code ::} or {@code 0.0.0.0}) the
 * kernel picks the reply's source address, which on a multi-homed host may differ from the address the client sent
 * to; libtorrent drops such replies. On such hosts, list each public address in {@code udp.host} instead.
 *
 * <p>Nothing is amplified: a packet whose connection id is not valid (which is what proves the sender owns its
 * source address) gets either nothing or a reply no larger than itself.
 */
public final class UdpTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("hayate.udp");
    /** Largest datagram we accept; anything longer is truncated by the kernel and then dropped as malformed. */
    static final int MAX_PACKET_LENGTH = 2048;
    /** Peers per reply, keeping IPv4 replies under 1,400 bytes: (1400 - 20) / 6. */
    static final int MAX_PEERS_V4 =
            (1400 - UdpCodec.ANNOUNCE_REPLY_HEADER_LENGTH) / AnnounceResponse.COMPACT_PEER4_LENGTH;
    /** Peers per reply, keeping IPv6 replies under 1,200 bytes: (1200 - 20) / 18. */
    static final int MAX_PEERS_V6 =
            (1200 - UdpCodec.ANNOUNCE_REPLY_HEADER_LENGTH) / AnnounceResponse.COMPACT_PEER6_LENGTH;

    private final SwarmStore store;
    private final TrackerMetrics metrics;
    private final ConnectionIds connectionIds;
    private final AnnouncePolicy policy;
    private final int maxScrapeHashes;
    private final List<DatagramChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private volatile boolean running;
    private final AccessPolicy access;
    private final AnnounceRateLimiter rateLimiter;

    public UdpTracker(TrackerConfig config, SwarmStore store, TrackerMetrics metrics, AccessPolicy access) {
        this(config, store, metrics, access, AnnounceRateLimiter.OFF);
    }

    /** @param rateLimiter the per-address announce limit, shared with the other adapters */
    public UdpTracker(
            TrackerConfig config,
            SwarmStore store,
            TrackerMetrics metrics,
            AccessPolicy access,
            AnnounceRateLimiter rateLimiter) {
        this.access = access;
        this.rateLimiter = rateLimiter;
        this.store = store;
        this.metrics = metrics;
        this.connectionIds = new ConnectionIds(config.udpConnectionIdTtlSeconds());
        this.policy = config.announcePolicy();
        this.maxScrapeHashes = config.maxScrapeHashes();
        try {
            for (String host : config.udpHosts()) {
                int port = config.udpPort();
                InetSocketAddress bound = null;
                for (int t = 0; t < config.udpThreads(); t++) {
                    DatagramChannel ch = DatagramChannel.open();
                    ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, config.udpReceiveBufferBytes());
                    ch.bind(bound != null ? bound : new InetSocketAddress(InetAddress.getByName(host), port));
                    if (bound == null) {
                        bound = (InetSocketAddress) ch.getLocalAddress();
                        addresses.add(bound);
                    }
                    channels.add(ch);
                }
            }
        } catch (IOException e) {
            close();
            throw new IllegalStateException(
                    "cannot bind UDP " + config.udpHosts() + ":" + config.udpPort() + ": " + e, e);
        }
    }

    public void start() {
        running = true;
        int i = 0;
        for (DatagramChannel ch : channels) {
            Thread t = new Thread(() -> receiveLoop(ch), "hayate-udp-" + i++);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    public List<InetSocketAddress> addresses() {
        return List.copyOf(addresses);
    }

    /** Per-loop state; allocation-free after construction. */
    private final class Loop {
        final ByteBuffer in = ByteBuffer.allocateDirect(MAX_PACKET_LENGTH);
        final ByteBuffer out = ByteBuffer.allocateDirect(MAX_PACKET_LENGTH);
        final UdpCodec codec = new UdpCodec();
        final UdpRequest request = new UdpRequest(maxScrapeHashes);
        final AnnounceResponse response = new AnnounceResponse(Math.max(policy.numWantMax(), 1));
        final dev.hayate.protocol.ScrapeResponse scrapeResponse =
                new dev.hayate.protocol.ScrapeResponse(maxScrapeHashes);
        final byte[] address = new byte[16];
        InetAddress lastAddress;
        int addressLength;
    }

    private void receiveLoop(DatagramChannel ch) {
        Loop loop = new Loop();
        while (running) {
            SocketAddress source;
            try {
                loop.in.clear();
                source = ch.receive(loop.in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("UDP receive failed: {}", e.toString());
                continue;
            }
            if (source == null) {
                continue;
            }
            loop.in.flip();
            try {
                handle(ch, loop, (InetSocketAddress) source);
            } catch (RuntimeException e) {
                // A bug, not a client's mistake: log it and keep serving.
                LOG.error("UDP packet failed: {}", e.toString(), e);
            }
        }
    }

    private void handle(DatagramChannel ch, Loop loop, InetSocketAddress source) {
        long startNanos = System.nanoTime();
        int packetLength = loop.in.remaining();
        UdpCodec.Parse parse = loop.codec.parse(loop.in, loop.request);
        if (parse == UdpCodec.Parse.DROP) {
            metrics.udpDropped();
            return;
        }
        InetAddress inet = source.getAddress();
        if (inet != loop.lastAddress) {
            loop.addressLength = InetText.toBytes(inet, loop.address);
            loop.lastAddress = inet;
        }
        int port = source.getPort();
        long nowMillis = System.currentTimeMillis();
        long nowSeconds = nowMillis / 1000;
        UdpRequest req = loop.request;
        ByteBuffer out = loop.out;
        out.clear();
        if (parse == UdpCodec.Parse.CONNECT) {
            UdpCodec.writeConnect(
                    out, req.transactionId, connectionIds.issue(loop.address, loop.addressLength, port, nowSeconds));
            metrics.udpConnect();
            send(ch, out, source);
            return;
        }
        if (!connectionIds.isValid(req.connectionId, loop.address, loop.addressLength, port, nowSeconds)) {
            // Not proven to own its source address: say nothing (an error reply could be reflected at a victim).
            metrics.udpDropped();
            return;
        }
        if (parse == UdpCodec.Parse.ERROR) {
            fail(ch, loop, source, loop.codec.lastFailure(), packetLength);
            return;
        }
        if (parse == UdpCodec.Parse.SCRAPE) {
            store.scrape(req.scrape, loop.scrapeResponse);
            zeroRefused(req.scrape, loop.scrapeResponse);
            UdpCodec.writeScrape(out, req.transactionId, loop.scrapeResponse);
            metrics.scrape(TrackerMetrics.PROTOCOL_UDP);
            send(ch, out, source);
            metrics.latency(TrackerMetrics.PROTOCOL_UDP, System.nanoTime() - startNanos);
            return;
        }
        AnnounceRequest a = req.announce;
        if (!access.allows(a.infoHash)) {
            // The sender proved its address with a connection id, so an error packet is safe to send.
            fail(ch, loop, source, FailureReason.TORRENT_NOT_ALLOWED, Integer.MAX_VALUE);
            return;
        }
        if (!rateLimiter.tryAcquire(loop.address, loop.addressLength)) {
            // Over the per-address limit: an error packet (the connection id proved the address, and the reply is
            // smaller than the request) and nothing stored.
            metrics.rateLimited(TrackerMetrics.PROTOCOL_UDP);
            UdpCodec.writeError(out, req.transactionId, FailureReason.RATE_LIMITED);
            send(ch, out, source);
            return;
        }
        boolean v6 = loop.addressLength == 16;
        byte[] peerAddress = loop.address;
        int peerAddressLength = loop.addressLength;
        if (policy.allowIpParam() && a.ipLength != 0) {
            peerAddress = a.ip;
            peerAddressLength = a.ipLength;
        }
        int maxPeers = v6 ? MAX_PEERS_V6 : MAX_PEERS_V4;
        int numWant = policy.numWant(a.numWant, maxPeers);
        // BEP 15: the answer carries the socket's family only, so numwant is filled from that family alone
        int family = v6 ? SwarmStore.FAMILY_V6 : SwarmStore.FAMILY_V4;
        FailureReason failure =
                store.announce(a, peerAddress, peerAddressLength, numWant, family, nowMillis, loop.response);
        if (failure != null) {
            fail(ch, loop, source, failure, Integer.MAX_VALUE);
            return;
        }
        UdpCodec.writeAnnounce(out, req.transactionId, policy.intervalSeconds(), loop.response, v6, maxPeers);
        metrics.announce(TrackerMetrics.PROTOCOL_UDP, a.event.ordinal());
        send(ch, out, source);
        metrics.latency(TrackerMetrics.PROTOCOL_UDP, System.nanoTime() - startNanos);
    }

    /** A refused torrent scrapes as zeros, as over HTTP (see the README). */
    private void zeroRefused(dev.hayate.protocol.ScrapeRequest request, dev.hayate.protocol.ScrapeResponse response) {
        if (access.mode() == AccessPolicy.Mode.OFF) {
            return;
        }
        for (int i = 0; i < request.count; i++) {
            if (!access.allows(request.infoHashes, request.offsetOf(i))) {
                response.complete[i] = 0;
                response.downloaded[i] = 0;
                response.incomplete[i] = 0;
            }
        }
    }

    private void fail(DatagramChannel ch, Loop loop, InetSocketAddress source, FailureReason reason, int maxLength) {
        metrics.failure(reason.ordinal());
        if (UdpCodec.errorLength(reason) > maxLength) {
            return;
        }
        UdpCodec.writeError(loop.out, loop.request.transactionId, reason);
        send(ch, loop.out, source);
    }

    private static void send(DatagramChannel ch, ByteBuffer out, InetSocketAddress target) {
        out.flip();
        try {
            ch.send(out, target);
        } catch (IOException e) {
            // ICMP unreachable from an earlier send, a full buffer: UDP is best effort.
        }
    }

    @Override
    public void close() {
        running = false;
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
