package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class InetTextTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "1.2.3.4",
                "0.0.0.0",
                "255.255.255.255",
                "::",
                "::1",
                "1::",
                "2001:db8::1",
                "2001:DB8:0:0:8:800:200C:417A",
                "fe80::1:2:3:4",
                "1:2:3:4:5:6:7:8",
                "::ffff:10.0.0.1",
                "::1.2.3.4",
                "64:ff9b::192.0.2.33",
                "[2001:db8::7]",
                "1:2:3:4:5:6:1.2.3.4",
                "1::ffff:1.2.3.4",
                "::fffe:1.2.3.4"
            })
    void shouldMatchTheJdkWhenTheTextIsALiteral(String text) throws Exception {
        String bare = text.startsWith("[") ? text.substring(1, text.length() - 1) : text;
        byte[] expected = InetAddress.getByName(bare).getAddress(); // the JDK unmaps ::ffff:a.b.c.d too
        byte[] out = new byte[16];
        int length = InetText.parse(text, 0, text.length(), out);
        assertEquals(expected.length, length, text);
        assertArrayEquals(expected, Arrays.copyOf(out, length), text);
        // The same literal as an announce's ip= value (no escapes in it): the query form reads it the same way.
        byte[] fromQuery = new byte[16];
        int queryLength = InetText.parseQueryValue(text, 0, text.length(), fromQuery);
        assertEquals(expected.length, queryLength, text);
        assertArrayEquals(expected, Arrays.copyOf(fromQuery, queryLength), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {" 1.2.3.4", "1.2.3.4  ", " [::1] "})
    void shouldIgnoreSurroundingSpacesWhenTheTextIsPlain(String text) throws Exception {
        byte[] out = new byte[16];
        int length = InetText.parse(text, 0, text.length(), out);
        byte[] expected = InetAddress.getByName(text.strip().replace("[", "").replace("]", ""))
                .getAddress();
        assertArrayEquals(expected, Arrays.copyOf(out, length), text);
    }

    /** Forms only a query value may take (BEP 7 endpoints, percent escapes): plain text refuses them. */
    @ParameterizedTest
    @ValueSource(strings = {"1.2.3.4:6881", "[2001:db8::1]:6881", "%31.2.3.4", "2001%3Adb8%3A%3A1", "1.2.3.4+"})
    void shouldRejectEndpointsAndEscapesWhenTheTextIsPlain(String text) {
        assertEquals(0, InetText.parse(text, 0, text.length(), new byte[16]), text);
    }

    @ParameterizedTest
    @CsvSource({
        "1.2.3.4:6881, 1.2.3.4",
        "[2001:db8::1]:6881, 2001:db8::1",
        "%31.2.3.4, 1.2.3.4",
        "2001%3Adb8%3A%3A1, 2001:db8::1",
        "%5B::1%5D:1, ::1",
        "1.2.3.4:65535, 1.2.3.4",
        "1.2.3.4:09, 1.2.3.4",
        "[::1]:10990, ::1"
    })
    void shouldAcceptEndpointsAndEscapesWhenTheTextIsAQueryValue(String text, String literal) throws Exception {
        byte[] expected = InetAddress.getByName(literal).getAddress();
        byte[] out = new byte[16];
        int length = InetText.parseQueryValue(text, 0, text.length(), out);
        assertArrayEquals(expected, Arrays.copyOf(out, length), text);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "1.2.3.4+",
                "+1.2.3.4",
                "1.2.3.4:123456",
                "1.2.3.4:/",
                "1.2.3.4::",
                "[::1]:",
                "[::1]:x",
                "[::1]:65535x",
                "fe80::1%25eth0",
                "[1.2.3.4]"
            })
    void shouldRejectWhenAQueryValueIsNotAnAddressOrEndpoint(String text) {
        assertEquals(0, InetText.parseQueryValue(text, 0, text.length(), new byte[16]), text);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "1.2.3",
                "1.2.3.4.5",
                "256.1.1.1",
                "1..2.3",
                "example.com",
                ":::",
                "1:::2",
                "1::2::3",
                "12345::",
                "1:2:3:4:5:6:7:8:9",
                ":1::",
                "1:",
                "g::1",
                "1.2.3.4:80",
                "::1.2.3",
                "1:2:3:4:5:6:7:1.2.3.4",
                "1:2:",
                "1:2:3:4:5:6:7:",
                "::1::2",
                "::1:2::"
            })
    void shouldRejectWhenTheTextIsNotALiteral(String text) {
        assertEquals(0, InetText.parse(text, 0, text.length(), new byte[16]), text);
        if (!text.equals("1.2.3.4:80")) { // the one endpoint in the list: a query value may carry a port (BEP 7)
            assertEquals(0, InetText.parseQueryValue(text, 0, text.length(), new byte[16]), text);
        }
    }
}
