package dev.hayate.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates for the TLS tests, made by the openssl command line as an operator's tools would (so the key files are
 * in the encodings openssl and certbot really write, not in what the JDK would produce): a test root CA, an
 * intermediate it signed, and leaf certificates for {@code localhost} and {@code 127.0.0.1} signed by the
 * intermediate. {@code .ci/run} installs openssl where it is missing.
 */
public final class TestCertificates {
    /** How a leaf's private key is written. */
    public enum KeyFormat {
        /** {@code openssl genpkey -algorithm RSA}: PKCS#8 {@code PRIVATE KEY} (what certbot writes for RSA). */
        RSA_PKCS8,
        /** {@code openssl genrsa -traditional}: PKCS#1 {@code RSA PRIVATE KEY}. */
        RSA_PKCS1,
        /** {@code openssl ecparam -genkey}: an {@code EC PARAMETERS} block, then SEC1 {@code EC PRIVATE KEY}. */
        EC_SEC1,
        /** {@code openssl genpkey -algorithm EC}: PKCS#8 (what certbot writes for its default ECDSA P-256 key). */
        EC_PKCS8
    }

    private final Path dir;
    private int serial = 0x1000;

    /** Creates the root CA and the intermediate in {@code dir}. */
    public TestCertificates(Path dir) throws IOException {
        this.dir = dir;
        Files.writeString(
                dir.resolve("ca.ext"),
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
                StandardCharsets.US_ASCII);
        Files.writeString(
                dir.resolve("leaf.ext"),
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                        + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
                StandardCharsets.US_ASCII);
        openssl(
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=Hayate Test Root CA",
                "-days",
                "3",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign");
        openssl(
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "int.key",
                "-out",
                "int.csr",
                "-subj",
                "/CN=Hayate Test Intermediate");
        openssl(
                "x509",
                "-req",
                "-in",
                "int.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "2",
                "-days",
                "3",
                "-extfile",
                "ca.ext",
                "-out",
                "int.pem");
    }

    /** The root CA certificate (PEM), which clients trust. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** A leaf certificate and key, as files. */
    public record Leaf(Path fullchain, Path key, BigInteger serial) {}

    /**
     * A new leaf with a fresh key in {@code format}: {@code NAME.fullchain.pem} (leaf, then the intermediate, as Let's
     * Encrypt's fullchain.pem) and {@code NAME.key.pem}.
     */
    public Leaf leaf(String name, KeyFormat format) throws IOException {
        String key = name + ".key.pem";
        switch (format) {
            case RSA_PKCS8 -> openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key);
            case RSA_PKCS1 -> openssl("genrsa", "-traditional", "-out", key, "2048");
            case EC_SEC1 -> openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", key);
            case EC_PKCS8 -> openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
        }
        int s = ++serial;
        openssl("req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", name + ".csr");
        openssl(
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                "int.pem",
                "-CAkey",
                "int.key",
                "-set_serial",
                Integer.toString(s),
                "-days",
                "2",
                "-extfile",
                "leaf.ext",
                "-out",
                name + ".pem");
        Path fullchain = dir.resolve(name + ".fullchain.pem");
        Files.writeString(
                fullchain,
                Files.readString(dir.resolve(name + ".pem")) + Files.readString(dir.resolve("int.pem")),
                StandardCharsets.US_ASCII);
        return new Leaf(fullchain, dir.resolve(key), BigInteger.valueOf(s));
    }

    /**
     * A self-signed certificate that expired yesterday, made with keytool (openssl 3.0's {@code x509} cannot
     * back-date) and written out as PEM: {@code NAME.fullchain.pem} and a PKCS#8 {@code NAME.key.pem}.
     */
    public Leaf expired(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        run(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-alias",
                "x",
                "-dname",
                "CN=localhost",
                "-startdate",
                "-3d",
                "-validity",
                "1",
                "-keystore",
                store.toString(),
                "-storepass",
                "changeit",
                "-storetype",
                "PKCS12"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        X509Certificate c = (X509Certificate) ks.getCertificate("x");
        PrivateKey k = (PrivateKey) ks.getKey("x", "changeit".toCharArray());
        Path chain = dir.resolve(name + ".fullchain.pem");
        Path key = dir.resolve(name + ".key.pem");
        Files.writeString(chain, pem("CERTIFICATE", c.getEncoded()), StandardCharsets.US_ASCII);
        Files.writeString(key, pem("PRIVATE KEY", k.getEncoded()), StandardCharsets.US_ASCII);
        return new Leaf(chain, key, c.getSerialNumber());
    }

    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END " + label
                + "-----\n";
    }

    /** A client context that trusts only the test root CA. */
    public SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caFile())) {
            trust.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** The certificates of a PEM file, parsed by the JDK (not by the code under test). */
    public static List<X509Certificate> read(Path pem) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        for (var c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)))) {
            out.add((X509Certificate) c);
        }
        return out;
    }

    /** Runs openssl in the certificate directory; fails with its output if it fails. */
    public void openssl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        run(cmd);
    }

    private void run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + cmd);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + cmd, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n" + out);
        }
    }
}
