package dev.hayate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code http.trusted_proxies} blocks: who may set a peer's address through X-Forwarded-For. */
class CidrTest {

    private static boolean contains(String cidr, String address) throws Exception {
        byte[] a = InetAddress.getByName(address).getAddress();
        return Cidr.parse(cidr).contains(a, a.length);
    }

    @Test
    void shouldMatchExactlyThePrefixBitsWhenThePrefixIsNotAWholeByte() throws Exception {
        assertTrue(contains("10.0.2.0/23", "10.0.2.0"));
        assertTrue(contains("10.0.2.0/23", "10.0.3.255"));
        assertFalse(contains("10.0.2.0/23", "10.0.4.0"));
        assertFalse(contains("10.0.2.0/23", "10.0.1.255"));
        assertTrue(contains("192.0.2.128/25", "192.0.2.200"));
        assertFalse(contains("192.0.2.128/25", "192.0.2.127"));
        assertTrue(contains("2001:db8::/33", "2001:db8:7fff::1"));
        assertFalse(contains("2001:db8::/33", "2001:db8:8000::1"));
    }

    @Test
    void shouldMatchOneAddressWhenThePrefixIsFull() throws Exception {
        assertTrue(contains("192.0.2.9/32", "192.0.2.9"));
        assertFalse(contains("192.0.2.9/32", "192.0.2.8"));
        assertTrue(contains("192.0.2.9", "192.0.2.9"), "a bare address is a /32");
        assertFalse(contains("192.0.2.9", "192.0.2.10"));
        assertTrue(contains("::1/128", "::1"));
        assertFalse(contains("::1", "::2"), "a bare address is a /128");
    }

    @Test
    void shouldMatchEveryAddressOfItsFamilyOnlyWhenThePrefixIsZero() throws Exception {
        assertTrue(contains("0.0.0.0/0", "203.0.113.7"));
        assertTrue(contains("::/0", "2001:db8::1"));
        assertFalse(contains("0.0.0.0/0", "2001:db8::1"), "an IPv4 block never holds an IPv6 address");
        assertFalse(contains("::/0", "203.0.113.7"), "an IPv6 block never holds an IPv4 address");
    }

    @Test
    void shouldStoreAMappedBlockAsIpv4WhenGivenAsIpv6() throws Exception {
        Cidr c = Cidr.parse("::ffff:10.0.0.0/104");
        assertEquals(8, c.prefixLength());
        assertEquals(4, c.network().length);
        assertTrue(contains("::ffff:10.0.0.0/104", "10.200.0.1"));
        assertFalse(contains("::ffff:10.0.0.0/104", "11.0.0.1"));
        assertEquals(0, Cidr.parse("::ffff:10.0.0.0/96").prefixLength());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "10.0.0.0/33",
                "10.0.0.0/-1",
                "::/129",
                "::ffff:10.0.0.0/95",
                "::ffff:10.0.0.0/129",
                "10.0.0.0/x",
                "example.com/8",
                "",
                "10.0.0.0/"
            })
    void shouldRefuseWhenTheBlockIsNotValid(String text) {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
    }

    @Test
    void shouldReadABracketedLiteralWhenAnIpv6BlockIsWrittenInBrackets() throws Exception {
        assertEquals(Cidr.parse("2001:db8::/32"), Cidr.parse("[2001:db8::]/32"));
        assertEquals(Cidr.parse("::1/128"), Cidr.parse("[::1]"));
        assertTrue(contains("[2001:db8::]/32", "2001:db8::9"));
    }

    @Test
    void shouldEqualAnotherBlockWhenNetworkAndPrefixAreTheSame() {
        assertEquals(Cidr.parse("10.0.0.0/8"), Cidr.parse(" 10.0.0.0/8 "));
        assertEquals(
                Cidr.parse("10.0.0.0/8").hashCode(), Cidr.parse("10.0.0.0/8").hashCode());
        assertFalse(Cidr.parse("10.0.0.0/8").equals(Cidr.parse("10.0.0.0/9")));
        assertFalse(Cidr.parse("10.0.0.0/8").equals(Cidr.parse("11.0.0.0/8")));
        assertEquals("10.0.0.0/8", Cidr.parse("10.0.0.0/8").toString());
    }
}
