package dev.hayate.http;

import dev.hayate.config.ConfigException;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS listener's certificate and key ({@code tls.cert_file}, {@code tls.key_file}), and their reload without a
 * restart.
 *
 * <p>One {@link SSLContext} lives as long as the tracker; its key manager answers every handshake with whatever
 * {@link Material} is current, so a reload is one volatile write and needs nothing from Undertow (connections already
 * open keep the certificate they shook hands with). A handshake asks the key manager for an alias, then for that
 * alias's chain and key in separate calls; each certificate generation has its own alias and the previous generation
 * stays reachable, so a handshake that straddles a reload still gets a chain and key that belong together.
 *
 * <p>{@link #reloadIfChanged()} reads both files (a few KiB) and compares a SHA-256 of their contents with the last
 * pair it tried, so a certbot renewal (new files behind the same symlinks), a {@code cp} over the old files, or an
 * edit that keeps the modification time are all seen, and a bad pair is logged once, not at every check. A new pair
 * that does not parse, whose key does not sign for the certificate's public key, or whose certificate has expired or
 * is not valid yet is logged and the current one kept; so is a pair caught half-written (the next check retries once
 * the second file changes too).
 */
public final class TlsCertificates {
    static final Logger LOG = LoggerFactory.getLogger("hayate.tls");

    private final Path certFile;
    private final Path keyFile;
    private final Listener listener;
    private final SSLContext context;
    private volatile Material current;
    private volatile Material previous;
    private byte[] lastTried;
    private String lastProblem;
    private int generation;

    /** What a reload reports to metrics: {@code true} swapped in a new pair, {@code false} kept the old one. */
    public interface Listener {
        void reloaded(boolean ok);
    }

    /** One certificate generation: the chain (leaf first), its key and the alias handshakes know it by. */
    record Material(String alias, X509Certificate[] chain, PrivateKey key) {
        X509Certificate leaf() {
            return chain[0];
        }
    }

    private TlsCertificates(Path certFile, Path keyFile, Listener listener, Material first, byte[] digest) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.listener = listener;
        this.current = first;
        this.lastTried = digest;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new SwappingKeyManager()}, null, new SecureRandom());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no TLS SSLContext", e);
        }
    }

    /**
     * Loads the pair at start-up; a file that cannot be read or parsed, or a key that does not belong to the
     * certificate, fails with a {@link ConfigException} naming the key. An expired certificate is only a warning here
     * (refusing to start would take the HTTP and UDP listeners down with it).
     */
    public static TlsCertificates load(Path certFile, Path keyFile, Listener listener) {
        byte[] cert = read(certFile, "tls.cert_file");
        byte[] key = read(keyFile, "tls.key_file");
        Material m = parse(cert, key, 1);
        String validity = validity(m.leaf(), Instant.now());
        if (validity != null) {
            LOG.warn("tls.cert_file {}: the certificate {}; clients will refuse it", certFile, validity);
        }
        TlsCertificates t = new TlsCertificates(certFile, keyFile, listener, m, digest(cert, key));
        t.generation = 1;
        LOG.info("TLS certificate {}", describe(m));
        return t;
    }

    /** The context every HTTPS connection's engine comes from. */
    public SSLContext sslContext() {
        return context;
    }

    /** The certificate handshakes get now. */
    public X509Certificate currentCertificate() {
        return current.leaf();
    }

    /**
     * Reads both files and swaps in the new pair if they changed and are good; logs and keeps the current pair
     * otherwise. Called every {@code tls.reload_seconds} on the sweeper thread; returns whether it swapped.
     */
    public synchronized boolean reloadIfChanged() {
        byte[] cert;
        byte[] key;
        try {
            cert = Files.readAllBytes(certFile);
            key = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            problem("TLS reload: cannot read " + e + "; keeping " + describe(current));
            return false;
        }
        byte[] digest = digest(cert, key);
        if (Arrays.equals(digest, lastTried)) {
            return false;
        }
        lastTried = digest;
        Material m;
        try {
            m = parse(cert, key, generation + 1);
            String validity = validity(m.leaf(), Instant.now());
            if (validity != null) {
                throw new ConfigException("tls.cert_file: the new certificate " + validity);
            }
        } catch (ConfigException e) {
            listener.reloaded(false);
            problem("TLS reload refused (" + e.getMessage() + "); keeping " + describe(current));
            return false;
        }
        generation++;
        previous = current;
        current = m;
        lastProblem = null;
        LOG.info("TLS certificate reloaded: {}", describe(m));
        listener.reloaded(true);
        return true;
    }

    /** Logs an error once per distinct message, so a file left broken is not logged at every check. */
    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.error(message);
            lastProblem = message;
        }
    }

    private static byte[] read(Path file, String key) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + file + ": " + e);
        }
    }

    /** Parses and checks a pair; a {@link ConfigException} naming the config key says what is wrong. */
    static Material parse(byte[] certPem, byte[] keyPem, int generation) {
        List<X509Certificate> chain;
        try {
            chain = Pem.certificates(Pem.ascii(certPem));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("tls.cert_file: " + e.getMessage());
        }
        PublicKey pub = chain.get(0).getPublicKey();
        PrivateKey key;
        try {
            key = Pem.privateKey(Pem.ascii(keyPem), pub.getAlgorithm());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("tls.key_file: " + e.getMessage());
        }
        if (!signsFor(key, pub)) {
            throw new ConfigException("tls.key_file: the key does not belong to the first certificate of "
                    + "tls.cert_file (" + chain.get(0).getSubjectX500Principal().getName() + "); the first certificate "
                    + "must be the server's own (Let's Encrypt: fullchain.pem with privkey.pem)");
        }
        return new Material("hayate-" + generation, chain.toArray(new X509Certificate[0]), key);
    }

    /** Whether {@code key} makes signatures that {@code pub} verifies: the key matches, whatever its algorithm. */
    private static boolean signsFor(PrivateKey key, PublicKey pub) {
        String alg = switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> pub.getAlgorithm(); // Ed25519, Ed448, EdDSA: the algorithm is the signature
        };
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        try {
            Signature s = Signature.getInstance(alg);
            if (alg.equals("RSASSA-PSS")) {
                s.setParameter(new java.security.spec.PSSParameterSpec(
                        "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(pub);
            s.update(probe);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** {@code null} when the certificate is valid at {@code now}; otherwise what is wrong with its dates. */
    static String validity(X509Certificate c, Instant now) {
        if (now.isAfter(c.getNotAfter().toInstant())) {
            return "expired at " + c.getNotAfter().toInstant();
        }
        if (now.isBefore(c.getNotBefore().toInstant())) {
            return "is not valid before " + c.getNotBefore().toInstant();
        }
        return null;
    }

    static String describe(Material m) {
        X509Certificate c = m.leaf();
        String size = c.getPublicKey() instanceof RSAKey r
                ? "RSA " + r.getModulus().bitLength()
                : c.getPublicKey() instanceof ECKey e
                        ? "EC " + e.getParams().getCurve().getField().getFieldSize()
                        : c.getPublicKey().getAlgorithm();
        return c.getSubjectX500Principal().getName() + " serial "
                + c.getSerialNumber().toString(16) + " (" + size
                + ", " + m.chain().length + " certificate(s) in the chain, valid until "
                + c.getNotAfter().toInstant() + ")";
    }

    private static byte[] digest(byte[] cert, byte[] key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(cert);
            d.update((byte) 0);
            d.update(key);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Serves the current {@link Material}, and the previous one by alias for a handshake that asked for its alias just
     * before a reload. Client-side methods answer nothing: Hayate never presents a client certificate.
     */
    private final class SwappingKeyManager extends X509ExtendedKeyManager {
        private Material byAlias(String alias) {
            Material c = current;
            if (c.alias().equals(alias)) {
                return c;
            }
            Material p = previous;
            return p != null && p.alias().equals(alias) ? p : null;
        }

        /**
         * The JDK asks per signature scheme with the key type it needs ({@code RSA}, {@code EC}, {@code RSASSA-PSS},
         * {@code EdDSA}...; {@code EC_RSA} style for old ECDH suites, where the part before '_' is the key's).
         */
        private String aliasFor(String keyType) {
            Material c = current;
            if (keyType == null) {
                return null;
            }
            int sep = keyType.indexOf('_');
            String type = sep < 0 ? keyType : keyType.substring(0, sep);
            String have = c.key().getAlgorithm();
            return type.equals(have) || (type.equals("EdDSA") && have.startsWith("Ed")) ? c.alias() : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            String a = aliasFor(keyType);
            return a == null ? null : new String[] {a};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Material m = byAlias(alias);
            return m == null ? null : m.chain().clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Material m = byAlias(alias);
            return m == null ? null : m.key();
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "TlsCertificates[" + Objects.toString(certFile) + ", " + keyFile + "]";
    }
}
