package org.xnio.nio;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.StreamConnection;
import org.xnio.XnioWorker;

/**
 * A patch, not a home (see STYLE.md): Hayate's HTTP acceptor ({@code http.acceptor=per_thread}). Every XNIO IO thread
 * owns its own {@code SO_REUSEPORT} listening socket on the same address and port, accepts on its own selector and
 * serves each accepted connection itself, so a new connection never crosses threads. XNIO 3.8's stock server accepts
 * on one thread and hands each connection to a random IO thread (a selector wakeup on open and another on close).
 *
 * <p>It lives in {@code org.xnio.nio} (a split package on the class path) because it needs these package-private
 * internals of <b>xnio-nio 3.8.16.Final</b> (pinned in pom.xml; {@code PerThreadAcceptorInternalsTest} fails with a
 * clear message if any of them changes):
 *
 * <ul>
 *   <li>{@link NioHandle}: {@code (WorkerThread, SelectionKey)} constructor, {@code handleReady(int)},
 *       {@code forceTermination()}, {@code terminated()}, {@code cancelKey(boolean)}, {@code resume/suspend(int)};
 *   <li>{@link NioXnioWorker#getAll()}; {@link WorkerThread#registerChannel}, {@code execute}, {@code executeAfter};
 *   <li>{@link NioSocketStreamConnection}'s {@code (WorkerThread, SelectionKey, ChannelClosed)} constructor and
 *       {@link ChannelClosed}, through which a closed connection gives back its slot.
 * </ul>
 *
 * <p>Per accepted socket it does what a plain NIO server does: {@code accept}, non-blocking, {@code TCP_NODELAY} (the
 * only option that differs from the kernel's defaults; XNIO also sets {@code SO_KEEPALIVE} and {@code SO_OOBINLINE}
 * to their default {@code false}), register with this thread's selector. Up to {@link #ACCEPTS_PER_WAKEUP} connections
 * are taken per wakeup.
 *
 * <p>Limits: at {@code maxConnections} open connections (counted over all threads of this listener) a thread stops
 * accepting and new connections wait in its backlog; every thread resumes once the count is at or below
 * {@code lowWater}. An accept that fails (for example {@code EMFILE}, too many open files) logs one warning and backs
 * that thread off for 250 ms, doubling up to 30 s, as XNIO does.
 */
public final class PerThreadAcceptor implements Closeable {
    static final Logger LOG = LoggerFactory.getLogger("hayate.http");
    /** Accepts per selector wakeup, so one busy listener cannot starve the connections already open. */
    static final int ACCEPTS_PER_WAKEUP = 128;

    private static final int BACK_OFF_MIN_MILLIS = 250;
    private static final int BACK_OFF_MAX_MILLIS = 30_000;

    private final Handle[] handles;
    private final InetSocketAddress localAddress;
    private final ChannelListener<? super StreamConnection> openListener;
    private final AtomicInteger open = new AtomicInteger();
    private final int maxConnections;
    private final int lowWater;
    private volatile boolean anySuspended;
    private volatile boolean closed;

    private PerThreadAcceptor(
            XnioWorker worker,
            InetSocketAddress address,
            int backlog,
            int maxConnections,
            int lowWater,
            ChannelListener<? super StreamConnection> openListener)
            throws IOException {
        if (!(worker instanceof NioXnioWorker)) {
            throw new IllegalArgumentException("http.acceptor=per_thread needs XNIO's NIO provider, got "
                    + worker.getClass().getName() + "; use http.acceptor=xnio");
        }
        this.maxConnections = maxConnections;
        this.lowWater = lowWater;
        this.openListener = openListener;
        WorkerThread[] threads = ((NioXnioWorker) worker).getAll();
        refuseIfListening(address);
        Handle[] hs = new Handle[threads.length];
        InetSocketAddress bindTo = address;
        try {
            for (int i = 0; i < threads.length; i++) {
                ServerSocketChannel channel = ServerSocketChannel.open();
                try {
                    if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                        throw new IOException("SO_REUSEPORT is not supported here; use http.acceptor=xnio");
                    }
                    channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                    channel.bind(bindTo, backlog);
                    channel.configureBlocking(false);
                    // Every other socket binds to the port the first one actually got (http.port=0 picks one).
                    bindTo = new InetSocketAddress(
                            address.getAddress(), ((InetSocketAddress) channel.getLocalAddress()).getPort());
                    SelectionKey key = threads[i].registerChannel(channel);
                    hs[i] = new Handle(threads[i], key, channel);
                    key.attach(hs[i]);
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            for (Handle h : hs) {
                if (h != null) {
                    h.close();
                }
            }
            throw e;
        }
        this.handles = hs;
        this.localAddress = bindTo;
    }

    /**
     * SO_REUSEPORT would let this listener silently share a port with another process of the same user that listens
     * with SO_REUSEPORT too (say, a second Hayate started by mistake), splitting its connections. A plain bind first
     * fails on any listener there, as XNIO's own listener would.
     */
    private static void refuseIfListening(InetSocketAddress address) throws IOException {
        if (address.getPort() == 0) {
            return;
        }
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, true); // TIME_WAIT leftovers are no reason to fail
            probe.bind(address, 1);
        }
    }

    /**
     * Binds one listening socket per IO thread of {@code worker} to {@code address} and starts accepting; each accepted
     * connection is passed to {@code openListener} on the thread that accepted it.
     */
    public static PerThreadAcceptor open(
            XnioWorker worker,
            InetSocketAddress address,
            int backlog,
            int maxConnections,
            int lowWater,
            ChannelListener<? super StreamConnection> openListener)
            throws IOException {
        if (maxConnections < 1 || lowWater < 1 || lowWater > maxConnections) {
            throw new IllegalArgumentException("need 1 <= lowWater <= maxConnections");
        }
        PerThreadAcceptor acceptor =
                new PerThreadAcceptor(worker, address, backlog, maxConnections, lowWater, openListener);
        for (Handle h : acceptor.handles) {
            h.thread().execute(h.resumeTask);
        }
        return acceptor;
    }

    /** The bound address, with the actual port. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Open connections accepted by this listener, over all threads. */
    public int openConnections() {
        return open.get();
    }

    /** Stops accepting and closes the listening sockets; open connections are left to their worker. */
    @Override
    public void close() {
        closed = true;
        for (Handle h : handles) {
            h.close();
        }
    }

    /** One IO thread's listening socket. Everything but {@link #channelClosed} runs on its own thread. */
    private final class Handle extends NioHandle implements ChannelClosed {
        final ServerSocketChannel channel;
        final Runnable resumeTask = this::resumeAccepting;
        boolean suspended;
        boolean backingOff;
        int backOffMillis;

        Handle(WorkerThread thread, SelectionKey key, ServerSocketChannel channel) {
            super(thread, key);
            this.channel = channel;
        }

        WorkerThread thread() {
            return getWorkerThread();
        }

        @Override
        void handleReady(int ops) {
            WorkerThread thread = getWorkerThread();
            for (int n = 0; n < ACCEPTS_PER_WAKEUP; n++) {
                // Take the slot before accepting: the threads share the count, so check-then-increment would let
                // two threads both take the last one.
                if (open.incrementAndGet() > maxConnections) {
                    channelClosed();
                    suspendAccepting();
                    return;
                }
                SocketChannel accepted;
                try {
                    accepted = channel.accept();
                } catch (ClosedChannelException e) {
                    channelClosed();
                    return;
                } catch (IOException e) {
                    channelClosed();
                    backOff(e);
                    return;
                }
                if (accepted == null) {
                    channelClosed();
                    backOffMillis = 0;
                    return;
                }
                boolean handedOver = false;
                try {
                    accepted.configureBlocking(false);
                    accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    SelectionKey key = thread.registerChannel(accepted);
                    NioSocketStreamConnection connection = new NioSocketStreamConnection(thread, key, this);
                    handedOver = true; // from here on, closing the connection gives the slot back
                    openListener.handleEvent(connection);
                } catch (IOException e) {
                    LOG.debug("accepted connection failed at set-up: {}", e.toString());
                } finally {
                    if (!handedOver) {
                        closeQuietly(accepted);
                        channelClosed();
                    }
                }
            }
        }

        private void suspendAccepting() {
            suspended = true;
            anySuspended = true;
            suspend(SelectionKey.OP_ACCEPT);
            // A connection that closed between the check and the flag may have missed it: look again.
            if (open.get() <= lowWater) {
                resumeAccepting();
            }
        }

        private void resumeAccepting() {
            if (closed || backingOff) {
                return;
            }
            suspended = false;
            resume(SelectionKey.OP_ACCEPT);
        }

        private void backOff(IOException e) {
            backOffMillis = Math.max(BACK_OFF_MIN_MILLIS, Math.min(BACK_OFF_MAX_MILLIS, backOffMillis * 2));
            LOG.warn(
                    "accept failed on {}: {}; pausing this thread's accepts for {} ms",
                    localAddress,
                    e.toString(),
                    backOffMillis);
            backingOff = true;
            suspend(SelectionKey.OP_ACCEPT);
            getWorkerThread().executeAfter(this::endBackOff, backOffMillis, TimeUnit.MILLISECONDS);
        }

        private void endBackOff() {
            backingOff = false;
            if (!suspended) {
                resumeAccepting();
            }
        }

        /** A connection of this listener closed (or a slot taken for an accept went unused), on any thread. */
        @Override
        public void channelClosed() {
            int now = open.decrementAndGet();
            if (anySuspended && now <= lowWater) {
                anySuspended = false;
                for (Handle h : handles) {
                    if (h.thread() == Thread.currentThread()) {
                        h.resumeAccepting();
                    } else {
                        h.thread().execute(h.resumeTask);
                    }
                }
            }
        }

        void close() {
            closeQuietly(channel);
            // true: wait until the selector has dropped the key, or the socket may keep accepting after close
            cancelKey(true);
        }

        @Override
        void forceTermination() {
            closeQuietly(channel);
        }

        @Override
        void terminated() {}
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do: the socket is gone either way
        }
    }
}
