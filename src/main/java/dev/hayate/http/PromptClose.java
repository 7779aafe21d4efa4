package dev.hayate.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.StreamConnection;
import org.xnio.conduits.AbstractStreamSinkConduit;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.StreamSinkConduit;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Closes a finished {@code Connection: close} (or HTTP/1.0) connection at once when nothing more is coming, as
 * opentracker and nginx do, instead of Undertow's half-close-and-wait.
 *
 * <p>After the last response Undertow 2.4 ({@code ConnectionUtils.cleanClose}) shuts the connection's writes down (FIN
 * to the client), then reads one byte: on data or end of stream it closes at once; on "nothing yet" it schedules a
 * 10-second timer and waits for the client's FIN, which costs every such connection another selector round, a timer
 * and the time the socket stays open. This pair of conduits sits under Undertow's on the raw connection. Once writes
 * are shut down, a read that finds nothing pending reports end of stream, so Undertow closes at once.
 *
 * <p>Input that is still arriving (pipelined requests or a body the server never read) keeps a lingering close: that
 * data is drained and discarded and reported as "nothing yet", so Undertow keeps waiting for the client's FIN (bounded
 * by its drain timer) instead of closing onto unread data, which would send the client a reset that can destroy the
 * response it has not read yet.
 *
 * <p>Before the shutdown both conduits pass everything through unchanged.
 */
final class PromptClose {
    private static final int DRAIN_BYTES = 512;

    private final Source source;
    private final Sink sink;
    private boolean writesShut;
    private boolean sawInputAfterShut;
    private ByteBuffer drain;

    private PromptClose(StreamConnection connection) {
        this.source = new Source(connection.getSourceChannel().getConduit());
        this.sink = new Sink(connection.getSinkChannel().getConduit());
    }

    /** Puts the pair under whatever Undertow will stack on {@code connection}; call before its open listener. */
    static void install(StreamConnection connection) {
        PromptClose p = new PromptClose(connection);
        connection.getSourceChannel().setConduit(p.source);
        connection.getSinkChannel().setConduit(p.sink);
    }

    private final class Source extends AbstractStreamSourceConduit<StreamSourceConduit> {
        Source(StreamSourceConduit next) {
            super(next);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!writesShut) {
                return next.read(dst);
            }
            return drained(next.read(dst));
        }

        @Override
        public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
            if (!writesShut) {
                return next.read(dsts, offs, len);
            }
            return drained((int) Math.min(Integer.MAX_VALUE, next.read(dsts, offs, len)));
        }

        /** After the shutdown: end of stream if nothing ever came, "nothing yet" while input still arrives. */
        private int drained(int n) throws IOException {
            if (n < 0) {
                return -1;
            }
            if (n == 0) {
                return sawInputAfterShut ? 0 : -1;
            }
            sawInputAfterShut = true;
            if (drain == null) {
                drain = ByteBuffer.allocate(DRAIN_BYTES);
            }
            int r;
            do {
                drain.clear();
                r = next.read(drain);
            } while (r > 0);
            return r < 0 ? -1 : 0;
        }
    }

    private final class Sink extends AbstractStreamSinkConduit<StreamSinkConduit> {
        Sink(StreamSinkConduit next) {
            super(next);
        }

        @Override
        public void terminateWrites() throws IOException {
            writesShut = true;
            next.terminateWrites();
        }

        @Override
        public void truncateWrites() throws IOException {
            writesShut = true;
            next.truncateWrites();
        }
    }
}
