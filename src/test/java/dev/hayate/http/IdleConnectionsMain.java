package dev.hayate.http;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A child process for {@link HostileHttpTest}: opens {@code count} idle TCP connections to {@code host:port} and holds
 * them, in its own process so the tracker's JVM keeps its file descriptors for the server side. Prints
 * {@code OPEN <n>} once connected; on each {@code check} line from stdin prints {@code CLOSED <k>}, the number the
 * server has closed; exits when stdin closes (or when the test kills it).
 */
public final class IdleConnectionsMain {
    private IdleConnectionsMain() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int count = Integer.parseInt(args[2]);
        List<SocketChannel> channels = new ArrayList<>(count);
        Selector selector = Selector.open();
        for (int i = 0; i < count; i++) {
            SocketChannel ch = SocketChannel.open(server);
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            channels.add(ch);
        }
        System.out.println("OPEN " + channels.size());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.equals("check")) {
                // The server sends nothing to an idle connection, so a readable one has been closed (EOF or RST).
                selector.selectedKeys().clear();
                System.out.println("CLOSED " + selector.selectNow());
                System.out.flush();
            }
        }
        for (SocketChannel ch : channels) {
            ch.close();
        }
    }
}
