package dev.hayate.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM files as Let's Encrypt (certbot, acme.sh, lego) and openssl write them: a certificate chain ({@code CERTIFICATE}
 * blocks, leaf first) and one private key, as PKCS#8 ({@code PRIVATE KEY}), RSA PKCS#1 ({@code RSA PRIVATE KEY}) or EC
 * SEC1 ({@code EC PRIVATE KEY}). The JDK reads only PKCS#8 keys, so the other two are wrapped into a PKCS#8
 * {@code PrivateKeyInfo} here (RFC 5208: a version, the algorithm identifier, the old encoding as an OCTET STRING) -
 * a few lines of DER instead of a dependency. Encrypted keys are refused with the openssl command that decrypts them.
 *
 * <p>Start-up and reload only; never on a request path.
 */
final class Pem {
    /** rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017), with its NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };
    /** id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480), as a DER OBJECT IDENTIFIER. */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
    };

    private Pem() {}

    /** One {@code -----BEGIN label-----} block, decoded. */
    record Block(String label, byte[] der) {}

    /** Every PEM block in {@code text}, in order; text outside blocks (openssl's "Bag Attributes") is ignored. */
    static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        int at = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", at);
            if (begin < 0) {
                return out;
            }
            int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) {
                throw new IllegalArgumentException("unterminated PEM header");
            }
            String label = text.substring(begin + 11, labelEnd);
            String endMarker = "-----END " + label + "-----";
            int end = text.indexOf(endMarker, labelEnd + 5);
            if (end < 0) {
                throw new IllegalArgumentException("no '" + endMarker + "' line");
            }
            String body = text.substring(labelEnd + 5, end);
            if (body.contains(":")) {
                // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") mark an old-style encrypted key.
                throw new IllegalArgumentException(label + " is encrypted; decrypt it with: openssl pkey -in KEY -out "
                        + "KEY.plain.pem (Hayate reads unencrypted keys; keep the file readable by its user only)");
            }
            try {
                out.add(new Block(label, Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(label + " block is not valid base64: " + e.getMessage());
            }
            at = end + endMarker.length();
        }
    }

    /** The certificates of a chain file, in file order; at least one. */
    static List<X509Certificate> certificates(String text) {
        List<X509Certificate> chain = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
        for (Block b : blocks(text)) {
            if (!b.label().equals("CERTIFICATE")) {
                continue;
            }
            try {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException e) {
                throw new IllegalArgumentException(
                        "certificate " + (chain.size() + 1) + " does not parse: " + e.getMessage());
            }
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no '-----BEGIN CERTIFICATE-----' block");
        }
        return chain;
    }

    /**
     * The private key in {@code text}, read with the JDK's key factory for {@code algorithm} (the certificate's public
     * key algorithm: {@code RSA}, {@code EC}, {@code Ed25519}...).
     */
    static PrivateKey privateKey(String text, String algorithm) {
        byte[] pkcs8 = null;
        for (Block b : blocks(text)) {
            switch (b.label()) {
                case "PRIVATE KEY" -> pkcs8 = b.der();
                case "RSA PRIVATE KEY" ->
                    pkcs8 = sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, b.der())));
                case "EC PRIVATE KEY" ->
                    pkcs8 = sequence(concat(
                            new byte[] {0x02, 0x01, 0x00},
                            sequence(concat(EC_PUBLIC_KEY_OID, sec1Curve(b.der()))),
                            tlv(0x04, b.der())));
                case "ENCRYPTED PRIVATE KEY" ->
                    throw new IllegalArgumentException(
                            "the key is encrypted; decrypt it with: openssl pkey -in KEY -out KEY.plain.pem");
                default -> {
                    // CERTIFICATE, EC PARAMETERS (openssl ecparam -genkey writes one before the key): not a key.
                }
            }
            if (pkcs8 != null) {
                break;
            }
        }
        if (pkcs8 == null) {
            throw new IllegalArgumentException("no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block; convert the "
                    + "key to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem");
        }
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not a readable " + algorithm + " private key, which the certificate's "
                    + algorithm + " public key needs (" + e.getMessage() + "); if it is one in another encoding, "
                    + "convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem");
        }
    }

    /**
     * The named curve of a SEC1 {@code ECPrivateKey} (RFC 5915): {@code SEQUENCE { INTEGER 1, OCTET STRING key, [0]
     * OBJECT IDENTIFIER curve OPTIONAL, [1] BIT STRING publicKey OPTIONAL }}. PKCS#8 needs the curve in the algorithm
     * identifier; openssl always writes the optional [0].
     */
    static byte[] sec1Curve(byte[] der) {
        Der d = new Der(der);
        d.enter(0x30);
        d.skip(0x02);
        d.skip(0x04);
        if (d.atEnd() || d.tag() != 0xa0) {
            throw new IllegalArgumentException("the EC key names no curve; convert it to PKCS#8 with: openssl pkcs8 "
                    + "-topk8 -nocrypt -in KEY -out KEY.pk8.pem");
        }
        d.enter(0xa0);
        return d.element(0x06);
    }

    static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    /** A DER tag-length-value with a definite length. */
    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static String ascii(byte[] file) {
        return new String(file, StandardCharsets.US_ASCII);
    }

    /** Just enough of a DER reader for SEC1: definite lengths, tags below 31. */
    private static final class Der {
        private final byte[] b;
        private int at;
        private int end;

        Der(byte[] b) {
            this.b = b;
            this.end = b.length;
        }

        boolean atEnd() {
            return at >= end;
        }

        int tag() {
            return b[at] & 0xff;
        }

        /** Moves into the constructed element with {@code tag}. */
        void enter(int tag) {
            int len = header(tag);
            end = at + len;
        }

        void skip(int tag) {
            int len = header(tag); // not "at += header(tag)": Java reads the left-hand "at" before the call
            at += len;
        }

        /** The whole element (tag, length and content) with {@code tag}. */
        byte[] element(int tag) {
            int start = at;
            int len = header(tag);
            at += len;
            return java.util.Arrays.copyOfRange(b, start, at);
        }

        private int header(int tag) {
            if (at + 2 > end || tag() != tag) {
                throw new IllegalArgumentException("the EC key is not SEC1 DER (expected tag 0x"
                        + Integer.toHexString(tag) + " at byte " + at + ")");
            }
            at++;
            int len = b[at++] & 0xff;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n < 1 || n > 3 || at + n > end) {
                    throw new IllegalArgumentException("the EC key is not SEC1 DER (length at byte " + at + ")");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[at++] & 0xff);
                }
            }
            if (at + len > end) {
                throw new IllegalArgumentException("the EC key is not SEC1 DER (truncated at byte " + at + ")");
            }
            return len;
        }
    }
}
