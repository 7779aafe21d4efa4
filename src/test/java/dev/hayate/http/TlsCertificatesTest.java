package dev.hayate.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.config.ConfigException;
import dev.hayate.http.TestCertificates.KeyFormat;
import dev.hayate.http.TestCertificates.Leaf;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** PEM key and chain files as openssl writes them, and the reload rules, without a listener. */
class TlsCertificatesTest {
    @TempDir
    static Path dir;

    private static TestCertificates certs;

    @BeforeAll
    static void ca() throws Exception {
        certs = new TestCertificates(dir);
    }

    private static TlsCertificates.Material parse(Path chain, Path key) throws Exception {
        return TlsCertificates.parse(Files.readAllBytes(chain), Files.readAllBytes(key), 1);
    }

    @ParameterizedTest
    @EnumSource(KeyFormat.class)
    void shouldLoadTheKeyAndTheFullChainWhenTheKeyIsInAnyFormatOpensslWrites(KeyFormat format) throws Exception {
        Leaf leaf = certs.leaf("any-" + format, format);
        TlsCertificates.Material m = parse(leaf.fullchain(), leaf.key());
        List<X509Certificate> expected = TestCertificates.read(leaf.fullchain());
        assertEquals(2, m.chain().length, "leaf and intermediate");
        assertEquals(expected.get(0), m.chain()[0]);
        assertEquals(expected.get(1), m.chain()[1]);
        assertEquals(leaf.serial(), m.leaf().getSerialNumber());
        assertEquals(m.leaf().getPublicKey().getAlgorithm(), m.key().getAlgorithm());
    }

    @Test
    void shouldReadThePkcs1KeyAsOpensslsOwnPkcs8ConversionWhenTheKeyIsRsaPkcs1() throws Exception {
        Leaf leaf = certs.leaf("pkcs1", KeyFormat.RSA_PKCS1);
        assertTrue(Files.readString(leaf.key()).contains("BEGIN RSA PRIVATE KEY"), "openssl wrote PKCS#1");
        certs.openssl("pkcs8", "-topk8", "-nocrypt", "-in", leaf.key().toString(), "-out", "pkcs1-as-pk8.pem");
        PrivateKey ours = Pem.privateKey(Files.readString(leaf.key()), "RSA");
        PrivateKey theirs = Pem.privateKey(Files.readString(dir.resolve("pkcs1-as-pk8.pem")), "RSA");
        assertEquals(((RSAPrivateCrtKey) theirs).getPrivateExponent(), ((RSAPrivateCrtKey) ours).getPrivateExponent());
        assertArrayEquals(theirs.getEncoded(), ours.getEncoded());
    }

    @Test
    void shouldReadTheSec1KeyAsOpensslsOwnPkcs8ConversionWhenTheKeyIsEcSec1() throws Exception {
        Leaf leaf = certs.leaf("sec1", KeyFormat.EC_SEC1);
        String text = Files.readString(leaf.key());
        assertTrue(text.contains("BEGIN EC PARAMETERS") && text.contains("BEGIN EC PRIVATE KEY"), text);
        certs.openssl("pkcs8", "-topk8", "-nocrypt", "-in", leaf.key().toString(), "-out", "sec1-as-pk8.pem");
        ECPrivateKey ours = (ECPrivateKey) Pem.privateKey(text, "EC");
        ECPrivateKey theirs = (ECPrivateKey) Pem.privateKey(Files.readString(dir.resolve("sec1-as-pk8.pem")), "EC");
        assertEquals(theirs.getS(), ours.getS());
        assertEquals(theirs.getParams().getCurve(), ours.getParams().getCurve());
    }

    @Test
    void shouldRefuseNamingTlsKeyFileWhenTheKeyBelongsToAnotherCertificate() throws Exception {
        Leaf a = certs.leaf("mismatch-a", KeyFormat.EC_PKCS8);
        Leaf b = certs.leaf("mismatch-b", KeyFormat.EC_PKCS8);
        ConfigException e = assertThrows(ConfigException.class, () -> parse(a.fullchain(), b.key()));
        assertTrue(e.getMessage().startsWith("tls.key_file:"), e.getMessage());
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }

    @Test
    void shouldRefuseNamingTlsKeyFileWhenTheKeyTypeDiffersFromTheCertificates() throws Exception {
        Leaf rsa = certs.leaf("type-rsa", KeyFormat.RSA_PKCS8);
        Leaf ec = certs.leaf("type-ec", KeyFormat.EC_PKCS8);
        ConfigException e = assertThrows(ConfigException.class, () -> parse(rsa.fullchain(), ec.key()));
        assertTrue(e.getMessage().startsWith("tls.key_file:"), e.getMessage());
    }

    @Test
    void shouldRefuseWithTheOpensslCommandWhenTheKeyIsEncrypted() throws Exception {
        Leaf leaf = certs.leaf("enc", KeyFormat.EC_PKCS8);
        certs.openssl("pkcs8", "-topk8", "-in", leaf.key().toString(), "-out", "enc.p8", "-passout", "pass:secret");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(leaf.fullchain(), dir.resolve("enc.p8")));
        assertTrue(e.getMessage().startsWith("tls.key_file:"), e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkey"), e.getMessage());
    }

    @Test
    void shouldRefuseNamingTlsKeyFileWhenTheKeyFileHoldsOnlyACertificate() throws Exception {
        Leaf leaf = certs.leaf("nokey", KeyFormat.EC_PKCS8);
        ConfigException e = assertThrows(ConfigException.class, () -> parse(leaf.fullchain(), leaf.fullchain()));
        assertTrue(e.getMessage().startsWith("tls.key_file:"), e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());
    }

    @Test
    void shouldRefuseNamingTlsCertFileWhenTheChainIsGarbageOrEmpty() throws Exception {
        Leaf leaf = certs.leaf("garbage", KeyFormat.EC_PKCS8);
        byte[] key = Files.readAllBytes(leaf.key());
        for (String bad : List.of(
                "not a certificate",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n",
                "-----BEGIN CERTIFICATE-----\nMIIB")) {
            ConfigException e = assertThrows(
                    ConfigException.class,
                    () -> TlsCertificates.parse(bad.getBytes(StandardCharsets.US_ASCII), key, 1),
                    bad);
            assertTrue(e.getMessage().startsWith("tls.cert_file:"), e.getMessage());
        }
    }

    @Test
    void shouldSwapOnlyWhenTheFilesChangeAndKeepTheOldPairWhenTheNewOneIsBad() throws Exception {
        Leaf first = certs.leaf("reload-1", KeyFormat.EC_PKCS8);
        Leaf second = certs.leaf("reload-2", KeyFormat.RSA_PKCS1);
        Path chain = dir.resolve("live-fullchain.pem");
        Path key = dir.resolve("live-privkey.pem");
        Files.copy(first.fullchain(), chain, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(first.key(), key, StandardCopyOption.REPLACE_EXISTING);
        List<Boolean> reloads = new ArrayList<>();
        TlsCertificates tls = TlsCertificates.load(chain, key, reloads::add);
        assertEquals(first.serial(), tls.currentCertificate().getSerialNumber());

        assertFalse(tls.reloadIfChanged(), "nothing changed");
        assertEquals(List.of(), reloads);

        // Half-way through a copy: the new chain with the old key. Refused, then taken once the key follows.
        Files.copy(second.fullchain(), chain, StandardCopyOption.REPLACE_EXISTING);
        assertFalse(tls.reloadIfChanged());
        assertEquals(first.serial(), tls.currentCertificate().getSerialNumber());
        Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(tls.reloadIfChanged());
        assertEquals(second.serial(), tls.currentCertificate().getSerialNumber());
        assertEquals(List.of(false, true), reloads);

        Files.writeString(chain, "garbage");
        assertFalse(tls.reloadIfChanged());
        assertFalse(tls.reloadIfChanged(), "the same bad files are tried once");
        assertEquals(second.serial(), tls.currentCertificate().getSerialNumber());
        assertEquals(List.of(false, true, false), reloads);

        Leaf expired = certs.expired("reload-expired");
        Files.copy(expired.fullchain(), chain, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(expired.key(), key, StandardCopyOption.REPLACE_EXISTING);
        assertFalse(tls.reloadIfChanged(), "an expired certificate does not replace a valid one");
        assertEquals(second.serial(), tls.currentCertificate().getSerialNumber());

        Files.delete(key);
        assertFalse(tls.reloadIfChanged(), "a missing file keeps the current pair");
        assertEquals(second.serial(), tls.currentCertificate().getSerialNumber());
    }

    @Test
    void shouldStartWithAWarningWhenTheCertificateHasExpired() throws Exception {
        Leaf expired = certs.expired("start-expired");
        TlsCertificates tls = TlsCertificates.load(expired.fullchain(), expired.key(), ok -> {});
        assertEquals(expired.serial(), tls.currentCertificate().getSerialNumber());
    }
}
