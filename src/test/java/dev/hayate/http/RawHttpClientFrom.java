package dev.hayate.http;

import java.io.IOException;
import java.net.InetSocketAddress;

/** Opens a {@link RawHttpClient} whose socket is bound to a given local loopback address. */
final class RawHttpClientFrom {
    private RawHttpClientFrom() {}

    static RawHttpClient bound(String localAddress, InetSocketAddress server) throws IOException {
        return new RawHttpClient(server, new InetSocketAddress(localAddress, 0));
    }
}
