package dev.hayate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code https.*} and {@code tls.*} keys: off by default, and every wrong value names its key. */
class TlsConfigTest {
    @TempDir
    Path dir;

    private Map<String, String> https() throws Exception {
        Path cert = Files.writeString(dir.resolve("fullchain.pem"), "x");
        Path key = Files.writeString(dir.resolve("privkey.pem"), "x");
        Map<String, String> m = new HashMap<>();
        m.put("https.host", "127.0.0.1");
        m.put("tls.cert_file", cert.toString());
        m.put("tls.key_file", key.toString());
        return m;
    }

    private static String failure(Map<String, String> keys) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(new Properties(), keys))
                .getMessage();
    }

    @Test
    void shouldKeepHttpsOffWhenNothingIsSet() {
        TrackerConfig c = TrackerConfig.defaults();
        assertFalse(c.httpsEnabled());
        assertEquals(List.of(), c.httpsHosts());
        assertEquals(443, c.httpsPort());
        assertNull(c.tlsCertFile());
        assertEquals(60, c.tlsReloadSeconds());
    }

    @Test
    void shouldReadTheHttpsKeysWhenTheyAreSet() throws Exception {
        Map<String, String> keys = https();
        keys.put("https.host", "127.0.0.1,[::1]");
        keys.put("https.port", "8443");
        keys.put("tls.reload_seconds", "0");
        TrackerConfig c = ConfigLoader.load(new Properties(), keys);
        assertTrue(c.httpsEnabled());
        assertEquals(List.of("127.0.0.1", "::1"), c.httpsHosts());
        assertEquals(8443, c.httpsPort());
        assertEquals(dir.resolve("fullchain.pem"), c.tlsCertFile());
        assertEquals(dir.resolve("privkey.pem"), c.tlsKeyFile());
        assertEquals(0, c.tlsReloadSeconds());
    }

    @Test
    void shouldFailNamingTheKeyWhenAFileIsMissingOrNotSet() throws Exception {
        Map<String, String> keys = https();
        keys.remove("tls.cert_file");
        assertTrue(failure(keys).startsWith("tls.cert_file: needed"), failure(keys));
        keys = https();
        keys.put("tls.key_file", dir.resolve("nope.pem").toString());
        assertTrue(failure(keys).startsWith("tls.key_file: "), failure(keys));
        keys = https();
        keys.put("tls.cert_file", dir.toString()); // a directory
        assertTrue(failure(keys).startsWith("tls.cert_file: "), failure(keys));
    }

    @Test
    void shouldFailNamingTheKeyWhenAValueIsInvalid() throws Exception {
        Map<String, String> keys = https();
        keys.put("https.host", "example.org");
        assertTrue(failure(keys).startsWith("https.host: "), failure(keys));
        keys = https();
        keys.put("https.port", "65536");
        assertTrue(failure(keys).startsWith("https.port: "), failure(keys));
        keys = https();
        keys.put("tls.reload_seconds", "-1");
        assertTrue(failure(keys).startsWith("tls.reload_seconds: "), failure(keys));
        keys = https();
        keys.put("https.port", "6969");
        assertTrue(failure(keys).startsWith("https.port (6969) must differ from http.port"), failure(keys));
        keys = https();
        keys.put("https.port", "6970");
        assertTrue(failure(keys).startsWith("https.port (6970) must differ from admin.port"), failure(keys));
    }

    @Test
    void shouldNotCheckTheFilesWhenHttpsIsOff() {
        TrackerConfig c = ConfigLoader.load(
                new Properties(), Map.of("tls.cert_file", "/no/such/file", "tls.key_file", "/no/such/key"));
        assertFalse(c.httpsEnabled());
        assertNull(c.tlsCertFile());
    }
}
