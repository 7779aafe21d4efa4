package dev.hayate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.protocol.AnnounceRequest;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class AnnouncePolicyTest {
    private final AnnouncePolicy policy = new AnnouncePolicy(1800, 900, 50, 200, false);

    @Test
    void shouldGiveTheDefaultWhenTheClientSendsNoNumwant() {
        // The scanner's "absent" and BEP 15's -1 are both negative: the policy relies on that.
        assertTrue(AnnounceRequest.NUM_WANT_DEFAULT < 0);
        assertEquals(50, policy.numWant(AnnounceRequest.NUM_WANT_DEFAULT));
        assertEquals(50, policy.numWant(-1));
        assertEquals(50, policy.numWant(Integer.MIN_VALUE));
    }

    @Test
    void shouldGiveWhatIsAskedUpToTheMaximumWhenTheClientSendsNumwant() {
        assertEquals(0, policy.numWant(0), "numwant=0: counts only (BEP 3 clients use it for stopped)");
        assertEquals(1, policy.numWant(1));
        assertEquals(199, policy.numWant(199));
        assertEquals(200, policy.numWant(200));
        assertEquals(200, policy.numWant(201));
        assertEquals(200, policy.numWant(Integer.MAX_VALUE));
    }

    @Test
    void shouldAlsoCapAtTheLimitWhenADatagramHoldsFewerPeers() {
        assertEquals(3, policy.numWant(-1, 3), "the default, capped");
        assertEquals(3, policy.numWant(150, 3));
        assertEquals(2, policy.numWant(2, 3));
        assertEquals(200, policy.numWant(500, 229), "numwant_max below the datagram limit");
        assertEquals(0, policy.numWant(0, 3));
    }

    @Test
    void shouldCopyEveryAnnounceKeyWhenBuiltFromTheConfig() {
        TrackerConfig config = ConfigLoader.load(
                new Properties(),
                Map.of(
                        "announce.interval_seconds", "1201",
                        "announce.min_interval_seconds", "601",
                        "announce.numwant_default", "17",
                        "announce.numwant_max", "99",
                        "announce.allow_ip_param", "true"));
        assertEquals(new AnnouncePolicy(1201, 601, 17, 99, true), config.announcePolicy());
        AnnouncePolicy defaults = TrackerConfig.defaults().announcePolicy();
        assertEquals(new AnnouncePolicy(1800, 900, 50, 200, false), defaults, "README defaults");
        assertFalse(defaults.allowIpParam(), "the reflection defence is on by default");
    }
}
