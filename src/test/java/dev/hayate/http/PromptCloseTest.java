package dev.hayate.http;

import static dev.hayate.http.TrackerHttpTest.announce;
import static dev.hayate.http.TrackerHttpTest.decode;
import static dev.hayate.http.TrackerHttpTest.newHash;
import static dev.hayate.http.TrackerHttpTest.peerId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.TrackerMain.Tracker;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code http.acceptor=per_thread} closes a finished {@code Connection: close} connection at once when no more input is
 * pending (as opentracker and nginx do), and keeps a lingering close while input is still arriving (RFC 9112 §9.6: a
 * server that closes onto unread data makes the client's TCP send a reset that can destroy the response).
 */
class PromptCloseTest {
    private static Tracker tracker;
    private static InetSocketAddress server;

    @BeforeAll
    static void start() {
        tracker = HostileHttpTest.start(Map.of("http.acceptor", "per_thread"));
        server = tracker.httpAddresses().get(0);
    }

    @AfterAll
    static void stop() {
        tracker.close();
    }

    @Test
    void shouldCloseServerSideAtOnceWhenTheRequestSaysConnectionCloseAndNothingFollows() throws Exception {
        awaitOpenConnections(0);
        try (RawHttpClient c = new RawHttpClient(server)) {
            RawHttpClient.Response r =
                    c.request("GET", announce(newHash(), peerId(1), 6881, 0, ""), Map.of("Connection", "close"));
            assertEquals("close", r.header("connection"));
            assertTrue(decode(r).containsKey("interval"), "answered");
            assertTrue(c.isClosedByPeer(), "end of stream after the answer");
            // The client has not closed its side: the server must not be waiting for its FIN.
            awaitOpenConnections(0);
        }
    }

    @Test
    void shouldCloseAtOnceWhenHttp10() throws Exception {
        awaitOpenConnections(0);
        try (Socket s = new Socket(server.getAddress(), server.getPort())) {
            s.setSoTimeout(5_000);
            String request = "GET " + announce(newHash(), peerId(2), 6882, 0, "") + " HTTP/1.0\r\n\r\n";
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            byte[] all = s.getInputStream().readAllBytes();
            assertTrue(new String(all, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.0 200"), "answered");
            awaitOpenConnections(0);
        }
    }

    @Test
    void shouldLingerAndDeliverTheWholeAnswerWhenInputIsStillArrivingAfterConnectionClose() throws Exception {
        awaitOpenConnections(0);
        try (Socket s = new Socket(server.getAddress(), server.getPort())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            String request = "GET " + announce(newHash(), peerId(3), 6883, 0, "")
                    + " HTTP/1.1\r\nHost: tracker\r\nConnection: close\r\n\r\n";
            // The request with more bytes behind it in the same write (pipelined input), more than Undertow buffers
            // (16 KiB): some arrive with the request, the rest stay unread in the kernel.
            byte[] trailing = new byte[64 * 1024];
            Arrays.fill(trailing, (byte) 'x');
            byte[] head = request.getBytes(StandardCharsets.ISO_8859_1);
            byte[] first = Arrays.copyOf(head, head.length + trailing.length);
            System.arraycopy(trailing, 0, first, head.length, trailing.length);
            out.write(first);
            out.flush();
            Thread.sleep(300);
            // The server has answered and shut its writes down, but input was pending: it must still be open.
            assertEquals(1, tracker.openHttpConnections(), "lingering while input arrives");
            out.write(trailing); // still accepted: no reset
            out.flush();
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200"), "the answer arrives whole: " + text);
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            int length = Integer.parseInt(text.replaceAll("(?s).*[Cc]ontent-[Ll]ength: (\\d+).*", "$1"));
            assertEquals(length, all.length - bodyStart, "the whole body, then end of stream");
            s.shutdownOutput(); // the client's FIN ends the lingering close
            awaitOpenConnections(0);
        }
    }

    private static void awaitOpenConnections(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (tracker.openHttpConnections() != expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(expected, tracker.openHttpConnections(), "open server-side connections");
    }
}
