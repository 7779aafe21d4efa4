package dev.hayate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
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
                "1:2:3:4:5:6:1.2.3.4"
            })
    void shouldMatchTheJdkWhenTheTextIsALiteral(String text) throws Exception {
        String bare = text.startsWith("[") ? text.substring(1, text.length() - 1) : text;
        byte[] expected = InetAddress.getByName(bare).getAddress(); // the JDK unmaps ::ffff:a.b.c.d too
        byte[] out = new byte[16];
        int length = InetText.parse(text, 0, text.length(), out);
        assertEquals(expected.length, length, text);
        assertArrayEquals(expected, Arrays.copyOf(out, length), text);
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
                "1:2:3:4:5:6:7:1.2.3.4"
            })
    void shouldRejectWhenTheTextIsNotALiteral(String text) {
        assertEquals(0, InetText.parse(text, 0, text.length(), new byte[16]), text);
    }
}
