package org.vmlab.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS 1.3 for migration links with pinned trust: this node's key and certificate come from a
 * PKCS12 keystore, and a peer is trusted only if it presents one of the certificates in that same
 * keystore (its key entries' certificates and its trusted-certificate entries) — no CA list, no
 * host names. Both ends authenticate (the receiver requires a client certificate). The keystore
 * password is read from a file only its owner may read.
 *
 * <p>Nodes either share one keystore, or each holds its own key plus the peers' certificates as
 * trusted entries ({@code keytool -importcert}).
 */
public final class TlsContext {
    /** The only protocol spoken. */
    public static final String PROTOCOL = "TLSv1.3";
    private static final int MAX_PASSWORD_FILE = 1024;

    private final SSLContext context;
    private final List<String> pinned;

    private TlsContext(SSLContext context, List<String> pinned) {
        this.context = context;
        this.pinned = pinned;
    }

    /**
     * Loads the keystore.
     *
     * @throws IOException with one clear sentence if a file is missing or too open, the password is
     *                     wrong, or the keystore holds no private key
     */
    public static TlsContext load(Path keystore, Path passwordFile) throws IOException {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(passwordFile, "passwordFile");
        char[] password = OwnerOnlyFile.read(passwordFile, "TLS password file", MAX_PASSWORD_FILE).toCharArray();
        try {
            if (!Files.isRegularFile(keystore)) {
                throw new IOException("TLS keystore " + keystore + " does not exist or is not a regular file");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                ks.load(in, password);
            } catch (IOException | GeneralSecurityException e) {
                throw new IOException("cannot open TLS keystore " + keystore + " (PKCS12) with the password in "
                        + passwordFile + ": " + e.getMessage(), e);
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            List<String> pinned = new ArrayList<>();
            boolean hasKey = false;
            for (String alias : Collections.list(ks.aliases())) {
                Certificate cert = null;
                if (ks.isKeyEntry(alias)) {
                    Certificate[] chain = ks.getCertificateChain(alias);
                    if (chain != null && chain.length > 0) {
                        hasKey = true;
                        cert = chain[0];
                    }
                } else if (ks.isCertificateEntry(alias)) {
                    cert = ks.getCertificate(alias);
                }
                if (cert instanceof X509Certificate x) {
                    trust.setCertificateEntry("pinned-" + pinned.size(), x);
                    pinned.add(x.getSubjectX500Principal().getName());
                }
            }
            if (!hasKey) {
                throw new IOException("TLS keystore " + keystore + " holds no private key with a certificate");
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return new TlsContext(ctx, List.copyOf(pinned));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS from " + keystore + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** Subjects of the certificates a peer must present one of. */
    public List<String> pinnedSubjects() {
        return pinned;
    }

    /** Layers a client-side TLS socket over a connected socket (the handshake starts on first use). */
    SSLSocket client(Socket raw, InetSocketAddress peer) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw, peer.getHostString(), peer.getPort(), true);
        s.setUseClientMode(true);
        s.setEnabledProtocols(new String[]{PROTOCOL});
        return s;
    }

    /** Layers a server-side TLS socket, which requires the client's certificate, over an accepted socket. */
    SSLSocket server(Socket raw) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw, null, raw.getPort(), true);
        s.setUseClientMode(false);
        s.setNeedClientAuth(true);
        s.setEnabledProtocols(new String[]{PROTOCOL});
        return s;
    }

    @Override
    public String toString() {
        return PROTOCOL + ", " + pinned.size() + " pinned certificate(s)";
    }
}
