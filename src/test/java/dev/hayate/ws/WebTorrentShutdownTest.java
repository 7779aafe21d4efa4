package dev.hayate.ws;

import static dev.hayate.ws.WebTorrentTrackerTest.announce;
import static dev.hayate.ws.WebTorrentTrackerTest.newInfoHash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stopping the tracker (what SIGTERM runs) while it holds many WebSockets: {@code close()} returns within a bound far
 * above what it needs (well under a second here), closes every socket, and forgets every WebTorrent peer. The bound is
 * generous on purpose: this is a hang test, not a timing test.
 */
class WebTorrentShutdownTest {
    private static final int SOCKETS = 2_000;

    @Test
    void shouldCloseEverySocketPromptlyWhenStoppedHoldingTwoThousandWebSockets() throws Exception {
        List<RawWsClient> clients = new ArrayList<>(SOCKETS);
        Tracker tracker = TestTrackers.start(Map.of("http.io_threads", "2", "ws.max_connections", "5000"));
        try {
            int port = tracker.httpAddresses().get(0).getPort();
            String hash = newInfoHash();
            for (int i = 0; i < SOCKETS; i++) {
                RawWsClient c = new RawWsClient(port);
                clients.add(c);
                if (i < 100) { // some of them are peers of a swarm, as a WebTorrent client's would be
                    c.sendText(announce(hash, "shut" + i, "started", "1", 0));
                    c.readSkippingPings();
                }
            }
            WebTorrentTracker ws = tracker.webTorrent();
            // The client sees the 101 answer before the IO thread has registered the socket (Undertow writes the
            // upgrade response first, then runs the connect callback): wait for the last ones to be counted.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (ws.connections() < SOCKETS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(SOCKETS, ws.connections());
            assertTimeoutPreemptively(Duration.ofSeconds(30), tracker::close, "close() with 2,000 open WebSockets");
            assertEquals(0, ws.connections(), "every socket's close task ran");
            assertEquals(0, ws.seeders() + ws.leechers(), "every WebTorrent peer left its swarm");
            for (RawWsClient c : clients.subList(0, 50)) {
                assertTrue(closedByServer(c), "the tracker closed the socket");
            }
        } finally {
            tracker.close();
            for (RawWsClient c : clients) {
                c.close();
            }
        }
    }

    /** Whether the server closed the socket: a close frame or the end of the stream, before any other message. */
    private static boolean closedByServer(RawWsClient c) {
        try {
            RawWsClient.Frame f = c.readSkippingPings();
            return f.opcode() == RawWsClient.CLOSE;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException eof) {
            return true;
        }
    }
}
