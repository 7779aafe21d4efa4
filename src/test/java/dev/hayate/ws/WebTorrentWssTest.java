package dev.hayate.ws;

import static dev.hayate.ws.WebTorrentTrackerTest.announce;
import static dev.hayate.ws.WebTorrentTrackerTest.assertReply;
import static dev.hayate.ws.WebTorrentTrackerTest.newInfoHash;
import static dev.hayate.ws.WebTorrentTrackerTest.offerId;
import static dev.hayate.ws.WebTorrentTrackerTest.peerId;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hayate.TestTrackers;
import dev.hayate.TrackerMain.Tracker;
import dev.hayate.http.TestCertificates;
import dev.hayate.http.TestCertificates.KeyFormat;
import dev.hayate.http.TestCertificates.Leaf;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WebTorrent tracker as {@code wss://} on the HTTPS listener (issue 13: browsers on an https:// page may only open
 * wss:// sockets), in one swarm with a plain {@code ws://} peer on the HTTP port.
 */
class WebTorrentWssTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"per_thread", "xnio"})
    void shouldRelayBetweenWssAndWsPeersWhenHttpsIsOn(String acceptor) throws Exception {
        TestCertificates certs = new TestCertificates(java.nio.file.Files.createDirectories(dir.resolve(acceptor)));
        Leaf leaf = certs.leaf("wss-" + acceptor, KeyFormat.EC_PKCS8);
        try (Tracker t = TestTrackers.start(Map.of(
                "http.acceptor",
                acceptor,
                "https.host",
                "127.0.0.1",
                "https.port",
                "0",
                "tls.cert_file",
                leaf.fullchain().toString(),
                "tls.key_file",
                leaf.key().toString(),
                "tls.reload_seconds",
                "0"))) {
            int wsPort = t.httpAddresses().get(0).getPort();
            int wssPort = t.httpsAddresses().get(0).getPort();
            String hash = newInfoHash();
            try (WsTestClient plain = WsTestClient.connect(wsPort, "/announce");
                    WsTestClient secure = WsTestClient.connectTls(wssPort, "/announce", certs.clientContext())) {
                plain.send(announce(hash, "plain", "completed", "0", 0));
                assertReply(plain.next(), hash, 1, 0);
                secure.send(announce(hash, "secure", "started", "100", 1));
                assertReply(secure.next(), hash, 1, 1);
                Map<String, Object> relay = plain.next();
                assertEquals(peerId("secure"), relay.get("peer_id"), relay.toString());
                assertEquals(offerId("secure", 0), relay.get("offer_id"));
            }
        }
    }
}
