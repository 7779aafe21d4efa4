package dev.hayate.ws;

import dev.hayate.metrics.TrackerMetrics;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.StreamSourceFrameChannel;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.xnio.IoUtils;

/**
 * One WebTorrent socket. Everything here runs on the socket's own IO thread ({@link #channel}'s): reading messages,
 * sending frames (relays from other threads are handed over with {@code execute}), and the close. So the fields need no
 * lock.
 *
 * <p>What an idle socket costs beyond Undertow's channel: this object, its close task and the array of its peers (one
 * slot per torrent it announced). No buffer is held between messages: a message is read from the frame channel
 * straight into the IO thread's input array and handled there (only a message that arrives in pieces is kept in
 * {@link #partial} until its end arrives).
 *
 * <p>It is its own receive listener and its own callback for the frame writes (context: the frame's
 * {@link ByteBuffer}, whose capacity is what leaves {@link #queuedBytes} when the write completes or fails), so a
 * message or a frame allocates no callback.
 */
final class WsConnection extends AbstractReceiveListener implements WebSocketCallback<Object> {
    private static final WsSwarms.Peer[] NO_PEERS = new WsSwarms.Peer[0];
    /** After a 1009 close, the client gets this long to answer it before the socket is closed regardless. */
    private static final long CLOSE_GRACE_MILLIS = 5_000;

    final WebSocketChannel channel;
    final WebTorrentTracker.Worker worker;
    private final WebTorrentTracker tracker;

    /** When the last frame (message, ping, pong or close) arrived; read by the idle sweep. */
    long lastHeardMillis;
    /** Bytes handed to Undertow and not yet written: bounded by ws.max_queued_bytes. */
    long queuedBytes;
    /** Position in the worker's list of sockets (for the idle sweep). */
    int workerIndex = -1;

    private WsSwarms.Peer[] peers = NO_PEERS;
    private int peerCount;
    private boolean binaryMessage;
    /** The start of a message still arriving (rare: a message usually arrives in one read), else {@code null}. */
    private byte[] partial;

    private int partialLength;
    /** Set once by the close task; read by other threads (under a stripe lock) when a peer_id moves sockets. */
    private volatile boolean closed;
    /**
     * The client's address (behind {@code http.trusted_proxies}, from {@code X-Forwarded-For}), for the peer_id
     * takeover rule and per-address limits; {@code null} in unit tests.
     */
    final InetAddress address;
    /** {@link #address}'s 4 or 16 bytes, taken once per socket for the rate limiter; {@code null} with no address. */
    final byte[] addressBytes;

    WsConnection(
            WebTorrentTracker tracker,
            WebTorrentTracker.Worker worker,
            WebSocketChannel channel,
            InetAddress address,
            long nowMillis) {
        this.tracker = tracker;
        this.worker = worker;
        this.channel = channel;
        this.address = address;
        this.addressBytes = address == null ? null : address.getAddress();
        this.lastHeardMillis = nowMillis;
    }

    /**
     * Whether {@code other} may take over a peer_id this socket announced: when this socket is closed, or when both
     * come from the same address (a client that reconnected before its old socket timed out). Otherwise anyone who saw
     * the peer_id in a relayed offer could redirect that peer's offers and answers to itself.
     */
    boolean yieldsTo(WsConnection other) {
        return closed || address == null || address.equals(other.address);
    }

    // ---- reading -----------------------------------------------------------------------------------------------

    @Override
    public void handleEvent(WebSocketChannel ch) {
        lastHeardMillis = System.currentTimeMillis();
        super.handleEvent(ch);
    }

    @Override
    protected void onText(WebSocketChannel ch, StreamSourceFrameChannel frame) {
        binaryMessage = false;
        read(frame);
    }

    /** Binary frames are refused (WebTorrent sends text only): read within the size limit, then closed with 1003. */
    @Override
    protected void onBinary(WebSocketChannel ch, StreamSourceFrameChannel frame) {
        binaryMessage = true;
        read(frame);
    }

    /**
     * Reads the message straight from the frame channel into the IO thread's input array: one copy, out of the
     * socket's read buffer (where Undertow has unmasked it), with Undertow checking a text message's UTF-8 as it is
     * copied (a failed check throws, and the socket is closed before anything is parsed). A message that has not fully arrived waits
     * in {@link #partial} (the only per-socket buffer, held only while a message is incomplete) for the frame's next
     * read event. Larger than ws.max_message_bytes: close 1009.
     */
    private void read(StreamSourceFrameChannel frame) {
        ByteBuffer dst = worker.inBuffer; // capacity ws.max_message_bytes + 1, to see a message over the limit
        dst.clear();
        if (partialLength > 0) {
            dst.put(partial, 0, partialLength);
        }
        int r;
        try {
            do {
                r = frame.read(dst);
            } while (r > 0 && dst.hasRemaining());
        } catch (IOException e) {
            // A broken frame, bad UTF-8 in a text frame (Undertow's check), or the connection went away.
            dropPartial();
            IoUtils.safeClose(channel);
            return;
        }
        if (!dst.hasRemaining()) {
            dropPartial();
            tooBig(frame);
        } else if (r < 0) {
            int length = dst.position();
            dropPartial();
            if (binaryMessage) {
                tracker.metrics.wsClosed(TrackerMetrics.WS_CLOSE_BINARY);
                WebSockets.sendClose(1003, "binary frames are not supported", channel, null);
                closeLater();
            } else {
                worker.onMessage(this, length);
            }
        } else {
            keepPartial(dst.position());
            if (!frame.isReadResumed()) {
                frame.getReadSetter().set(ch -> read((StreamSourceFrameChannel) ch));
                frame.resumeReads();
            }
        }
    }

    /** Keeps {@code worker.in[0, length)}, an incomplete message, until the rest arrives. */
    private void keepPartial(int length) {
        if (partial == null || partial.length < length) {
            partial = new byte[Math.min(tracker.maxMessageBytes, Math.max(length, 2 * length))];
        }
        System.arraycopy(worker.in, 0, partial, 0, length);
        partialLength = length;
    }

    private void dropPartial() {
        partial = null;
        partialLength = 0;
    }

    /** Over ws.max_message_bytes: close 1009, and let the close handshake finish, with a bound. */
    private void tooBig(StreamSourceFrameChannel frame) {
        tracker.metrics.wsClosed(TrackerMetrics.WS_CLOSE_TOO_BIG);
        frame.suspendReads(); // the rest of it is never read: the socket closes
        WebSockets.sendClose(1009, "message too big", channel, null);
        closeLater();
    }

    @Override
    protected void onFullPongMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
        message.getData().free(); // a pong only shows the socket is alive (lastHeardMillis)
    }

    @Override
    public void complete(WebSocketChannel ch, Object context) {
        if (context instanceof ByteBuffer frame) {
            queuedBytes -= frame.capacity();
        }
    }

    @Override
    public void onError(WebSocketChannel ch, Object context, Throwable error) {
        if (context instanceof ByteBuffer frame) {
            queuedBytes -= frame.capacity();
        }
    }

    private void closeLater() {
        // The close frame is queued; the client has a bounded time to answer it before the socket is closed anyway.
        channel.getIoThread().executeAfter(() -> IoUtils.safeClose(channel), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ---- writing -----------------------------------------------------------------------------------------------

    /** Queues one text frame that this socket owns from now on. On this socket's IO thread only. */
    void send(ByteBuffer frame) {
        // Tests run with -ea: every frame, a relay from another IO thread included, is written by this socket's thread.
        assert channel.getIoThread() == Thread.currentThread() : "frame written from " + Thread.currentThread();
        if (closed || !channel.isOpen() || channel.isCloseFrameSent()) {
            tracker.metrics.wsDropped(TrackerMetrics.WS_DROP_CLOSED);
            return;
        }
        int length = frame.remaining();
        if (queuedBytes + length > tracker.maxQueuedBytes) {
            // A reader this far behind is gone or hostile: as a relay target it would only swallow other peers'
            // offers. Drop the frame and close the socket, which removes its peers from their swarms.
            tracker.metrics.wsDropped(TrackerMetrics.WS_DROP_SLOW_READER);
            tracker.metrics.wsClosed(TrackerMetrics.WS_CLOSE_SLOW_READER);
            IoUtils.safeClose(channel);
            return;
        }
        queuedBytes += length;
        WebSockets.sendText(frame, channel, this, frame);
    }

    void ping() {
        if (!closed && channel.isOpen() && !channel.isCloseFrameSent()) {
            WebSockets.sendPing(ByteBuffer.allocate(0), channel, null);
        }
    }

    // ---- the torrents this socket announced ----------------------------------------------------------------------

    /** Remembers a peer this socket now owns, so that closing the socket removes it. */
    void adopt(WsSwarms.Peer p) {
        if (peerCount == peers.length) {
            compact();
            if (peerCount == peers.length) {
                peers = Arrays.copyOf(peers, Math.max(4, peers.length * 2));
            }
        }
        peers[peerCount++] = p;
    }

    /**
     * Whether one more torrent is within ws.max_torrents_per_connection. Only at the limit does it look closer: it
     * forgets peers that left (stopped, expired, taken over) and lets a torrent this socket already has announce again.
     */
    boolean mayAnnounce(byte[] infoHash, int maxTorrents) {
        if (peerCount < maxTorrents) {
            return true;
        }
        compact();
        if (peerCount < maxTorrents) {
            return true;
        }
        for (int i = 0; i < peerCount; i++) {
            WsSwarms.Swarm sw = peers[i].swarm;
            if (Arrays.equals(sw.bytes, 0, WsSwarms.ID_LENGTH, infoHash, 0, WsSwarms.ID_LENGTH)) {
                return true;
            }
        }
        return false;
    }

    /** Drops the peers that are no longer this socket's (the flags are re-checked under the lock on close). */
    private void compact() {
        int j = 0;
        for (int i = 0; i < peerCount; i++) {
            WsSwarms.Peer p = peers[i];
            if (!p.removed && p.conn == this) {
                peers[j++] = p;
            }
        }
        Arrays.fill(peers, j, peerCount, null);
        peerCount = j;
    }

    /** The close task: every peer of this socket leaves its swarm (README pitfall 8: a close is a stopped). */
    void closed() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < peerCount; i++) {
            tracker.swarms.leave(peers[i], this);
        }
        peers = NO_PEERS;
        peerCount = 0;
        worker.unregister(this);
        tracker.connectionClosed();
    }
}
