package org.xnio.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * {@link PerThreadAcceptor}: the XNIO internals it is built on (a failure here means xnio-nio changed: re-read the
 * class comment before bumping the version), and its behaviour on a real XNIO worker over loopback.
 */
class PerThreadAcceptorTest {
    private static final String PINNED_XNIO = "3.8.16.Final";

    private XnioWorker worker;
    private final List<PerThreadAcceptor> acceptors = new ArrayList<>();
    private final List<Socket> clients = new ArrayList<>();

    @BeforeEach
    void startWorker() throws IOException {
        worker = Xnio.getInstance(PerThreadAcceptorTest.class.getClassLoader())
                .createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 2));
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        for (PerThreadAcceptor a : acceptors) {
            a.close();
        }
        worker.shutdown();
        assertTrue(worker.awaitTermination(10, TimeUnit.SECONDS), "worker stopped");
    }

    @Test
    void shouldFindTheXnioInternalsItReliesOnWhenXnioIsThePinnedVersion() throws Exception {
        assertEquals(
                PINNED_XNIO,
                Version.getVersionString(),
                "PerThreadAcceptor uses package-private internals of xnio-nio " + PINNED_XNIO
                        + "; another version is on the class path: check every internal named in its class comment, "
                        + "then update this test and the pinned xnio.version in pom.xml");
        requireConstructor(NioHandle.class, WorkerThread.class, SelectionKey.class);
        requireMethod(NioHandle.class, "handleReady", int.class);
        requireMethod(NioHandle.class, "forceTermination");
        requireMethod(NioHandle.class, "terminated");
        requireMethod(NioHandle.class, "cancelKey", boolean.class);
        requireMethod(NioHandle.class, "resume", int.class);
        requireMethod(NioHandle.class, "suspend", int.class);
        requireMethod(NioHandle.class, "getWorkerThread");
        assertEquals(
                WorkerThread[].class,
                requireMethod(NioXnioWorker.class, "getAll").getReturnType());
        requireMethod(WorkerThread.class, "registerChannel", AbstractSelectableChannel.class);
        requireMethod(WorkerThread.class, "execute", Runnable.class);
        requireConstructor(
                NioSocketStreamConnection.class, WorkerThread.class, SelectionKey.class, ChannelClosed.class);
        requireMethod(ChannelClosed.class, "channelClosed");
        // The closed handle must be told on close, or the connection count never goes down.
        assertNotNull(
                NioSocketStreamConnection.class.getDeclaredMethod("closeAction"),
                "NioSocketStreamConnection.closeAction (calls ChannelClosed.channelClosed) is gone");
    }

    @Test
    void shouldServeEachConnectionOnTheThreadThatAcceptedItWhenThreadsShareThePort() throws Exception {
        Set<Thread> acceptingThreads = ConcurrentHashMap.newKeySet();
        BlockingQueue<String> mismatches = new LinkedBlockingQueue<>();
        BlockingQueue<StreamConnection> opened = new LinkedBlockingQueue<>();
        PerThreadAcceptor acceptor = open(0, 1000, 900, c -> {
            acceptingThreads.add(Thread.currentThread());
            if (c.getIoThread() != Thread.currentThread()) {
                mismatches.add(c.getIoThread() + " != " + Thread.currentThread());
            }
            opened.add(c);
        });
        int port = acceptor.localAddress().getPort();
        assertNotEquals(0, port, "bound to the port the first socket actually got");
        int n = 64;
        for (int i = 0; i < n; i++) {
            connect(acceptor);
        }
        List<StreamConnection> accepted = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StreamConnection c = opened.poll(5, TimeUnit.SECONDS);
            assertNotNull(c, "connection " + i + " accepted");
            accepted.add(c);
        }
        assertTrue(mismatches.isEmpty(), "served on another thread: " + mismatches);
        // Linux spreads a SO_REUSEPORT group's connections by hash: 64 connections reach both sockets (1 in 2^63
        // that they do not), which shows every thread's socket is bound to the same port.
        assertEquals(2, acceptingThreads.size(), "both IO threads accepted");
        assertEquals(n, acceptor.openConnections());
        for (StreamConnection c : accepted) {
            c.close();
        }
        awaitOpen(acceptor, 0);
    }

    @Test
    void shouldPauseAtMaxConnectionsAndResumeAtLowWaterWhenConnectionsClose() throws Exception {
        BlockingQueue<StreamConnection> opened = new LinkedBlockingQueue<>();
        PerThreadAcceptor acceptor = open(0, 4, 3, opened::add);
        List<StreamConnection> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            connect(acceptor);
            StreamConnection c = opened.poll(5, TimeUnit.SECONDS);
            assertNotNull(c, "connection " + i + " accepted below the limit");
            held.add(c);
        }
        for (int i = 0; i < 3; i++) {
            connect(acceptor); // completed by the kernel, waiting in a backlog
        }
        assertNull(opened.poll(700, TimeUnit.MILLISECONDS), "nothing accepted at max connections");
        held.remove(0).close(); // 3 open: at the low water mark
        assertNotNull(opened.poll(5, TimeUnit.SECONDS), "accepting resumed at the low water mark");
        assertNull(opened.poll(500, TimeUnit.MILLISECONDS), "paused again at max connections");
        awaitOpen(acceptor, 4);
    }

    @Test
    void shouldFailToBindWhenAnotherSocketAlreadyListensWithReusePort() throws Exception {
        try (ServerSocketChannel other = ServerSocketChannel.open()) {
            other.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            other.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) other.getLocalAddress()).getPort();
            assertThrows(BindException.class, () -> open(port, 10, 9, c -> {}), "port already in use");
        }
    }

    @Test
    void shouldRefuseConnectionsWhenClosed() throws Exception {
        PerThreadAcceptor acceptor = open(0, 100, 90, c -> {});
        InetSocketAddress address = acceptor.localAddress();
        acceptor.close();
        assertThrows(ConnectException.class, () -> new Socket(address.getAddress(), address.getPort()).close());
    }

    @Test
    void shouldAcceptOnIpv6LoopbackWhenBoundThere() throws Exception {
        BlockingQueue<StreamConnection> opened = new LinkedBlockingQueue<>();
        PerThreadAcceptor acceptor = PerThreadAcceptor.open(
                worker, new InetSocketAddress(InetAddress.getByName("::1"), 0), 64, 10, 9, opened::add);
        acceptors.add(acceptor);
        connect(acceptor);
        StreamConnection c = opened.poll(5, TimeUnit.SECONDS);
        assertNotNull(c, "accepted over ::1");
        assertEquals(InetAddress.getByName("::1"), ((InetSocketAddress) c.getPeerAddress()).getAddress());
        c.close();
    }

    private PerThreadAcceptor open(int port, int max, int low, org.xnio.ChannelListener<StreamConnection> listener)
            throws IOException {
        PerThreadAcceptor a = PerThreadAcceptor.open(
                worker, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64, max, low, listener);
        acceptors.add(a);
        return a;
    }

    private void connect(PerThreadAcceptor acceptor) throws IOException {
        InetSocketAddress a = acceptor.localAddress();
        clients.add(new Socket(a.getAddress(), a.getPort()));
    }

    private static void awaitOpen(PerThreadAcceptor acceptor, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (acceptor.openConnections() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, acceptor.openConnections(), "open connections counted");
    }

    private static void requireConstructor(Class<?> type, Class<?>... parameters) {
        try {
            Constructor<?> c = type.getDeclaredConstructor(parameters);
            assertNotNull(c);
        } catch (NoSuchMethodException e) {
            fail("xnio-nio internals changed: " + type.getName() + " has no constructor " + List.of(parameters)
                    + "; PerThreadAcceptor depends on it");
        }
    }

    private static Method requireMethod(Class<?> type, String name, Class<?>... parameters) {
        try {
            return type.getDeclaredMethod(name, parameters);
        } catch (NoSuchMethodException e) {
            return fail("xnio-nio internals changed: " + type.getName() + "." + name + List.of(parameters)
                    + " is gone; PerThreadAcceptor depends on it");
        }
    }
}
