package dev.hayate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The WebTorrent codec on a real announce: WebTorrent 3.0.21's started announce with 5 offers (frame [3] of
 * shared/protocol/webtorrent/frames.md, its offer repeated with 5 offer_ids, 2,945 bytes) and a real answer (frame
 * [9]). {@code announceRelay5} is what the tracker does per announce: read it, write the reply and the 5 relays.
 *
 * <p>Baseline: what a straightforward implementation on the same jackson-core does: decode the frame to a String (as
 * Undertow's {@code BufferedTextMessage} hands it over), read it with Strings for every field, and re-serialize each
 * offer into a fresh output per relay ({@code copyCurrentStructure}).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar WebTorrentCodecBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class WebTorrentCodecBenchmark {
    static final String INFO_HASH = "\\u009e\\u00e6\\u00ca\\u00ce)\\u00e4\\u0094!7\\u00c4\\n\\u009b\\u009c\\u000bw\\u008b:R\\u0004\\u00e8";
    static final String OFFER = "{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 3896582148100433933 2 IN IP4 127.0.0.1"
            + "\\r\\ns=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0\\r\\na=extmap-allow-mixed\\r\\na=msid-semantic: WMS\\r\\n"
            + "m=application 42191 UDP/DTLS/SCTP webrtc-datachannel\\r\\nc=IN IP4 127.0.0.1\\r\\n"
            + "a=candidate:1321181415 1 udp 2122260223 127.0.0.1 42191 typ host generation 0 network-id 1 "
            + "network-cost 50\\r\\na=candidate:2954196083 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active "
            + "generation 0 network-id 1 network-cost 50\\r\\na=ice-ufrag:FuXN\\r\\na=ice-pwd:kX8Q0y2Vn3bJt1mZr5cE7wLd"
            + "\\r\\na=ice-options:trickle\\r\\na=fingerprint:sha-256 F1:BA:FA:E3:44:8E:0C:11:7A:29:3B:5D:8E:61:02:"
            + "9F:4A:C7:D2:90:11:3E:6B:88:C4:21:0F:A9:5E:77:13:D6\\r\\na=setup:actpass\\r\\na=mid:0\\r\\n"
            + "a=sctp-port:5000\\r\\na=max-message-size:262144\\r\\n\"},\"offer_id\":\"OFFERID-";

    private final WebTorrentCodec codec = new WebTorrentCodec();
    private final WebTorrentRequest request = new WebTorrentRequest(10, 74);
    private final JsonFactory json = new JsonFactory();
    private byte[] announce;
    private byte[] answer;

    @Setup
    public void setup() {
        StringBuilder m = new StringBuilder("{\"numwant\":5,\"uploaded\":0,\"downloaded\":2097152,\"left\":0,"
                + "\"event\":\"started\",\"action\":\"announce\",\"info_hash\":\"" + INFO_HASH
                + "\",\"peer_id\":\"-WW0300-qKiointwZgmD\",\"offers\":[");
        for (int i = 0; i < 5; i++) {
            m.append(i == 0 ? "" : ",").append(OFFER).append(i).append("abcdefghijk\"}");
        }
        announce = unescapeToWire(m.append("]}").toString());
        answer = unescapeToWire("{\"action\":\"announce\",\"info_hash\":\"" + INFO_HASH
                + "\",\"peer_id\":\"-WW0300-qKiointwZgmD\",\"to_peer_id\":\"-WW0300-hVY2q+QSy3Ec\",\"answer\":"
                + "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\no=- 2121302613756824406 2 IN IP4 127.0.0.1\\r\\n"
                + "m=application 46236 UDP/DTLS/SCTP webrtc-datachannel\\r\\nc=IN IP4 127.0.0.1\\r\\na=candidate:"
                + "543658842 1 udp 2122260223 127.0.0.1 46236 typ host generation 0 network-id 1 network-cost 50\\r\\n"
                + "a=ice-ufrag:+mrL\\r\\na=setup:active\\r\\n\"},\"offer_id\":\"OFFERID-0abcdefghijk\"}");
        if (codec.parse(announce, 0, announce.length, request) != null || request.offerCount != 5) {
            throw new IllegalStateException("the announce does not parse");
        }
        if (codec.parse(answer, 0, answer.length, request) != null || !request.hasAnswer) {
            throw new IllegalStateException("the answer does not parse");
        }
    }

    /** The wire form: \\u00XX of chars above 0x7E written as raw UTF-8 (JSON.stringify), control escapes kept. */
    static byte[] unescapeToWire(String readable) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < readable.length(); i++) {
            char c = readable.charAt(i);
            if (c == '\\' && readable.startsWith("\\u00", i)) {
                int v = Integer.parseInt(readable.substring(i + 2, i + 6), 16);
                if (v >= 0x7F) {
                    out.append((char) v);
                    i += 5;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public Object parseAnnounce5() {
        return codec.parse(announce, 0, announce.length, request);
    }

    @Benchmark
    public int announceRelay5() {
        codec.parse(announce, 0, announce.length, request);
        int n = codec.writeAnnounceReply(request.infoHash, 3, 4, 120);
        for (int i = 0; i < request.offerCount; i++) {
            n += codec.writeOfferRelay(request, announce, i);
        }
        return n;
    }

    @Benchmark
    public int answerRelay() {
        codec.parse(answer, 0, answer.length, request);
        return codec.writeAnswerRelay(request, answer);
    }

    /** The baseline for {@code announceRelay5}: Strings, a String per field, a re-serialized offer per relay. */
    @Benchmark
    public int baselineAnnounceRelay5() throws IOException {
        String text = new String(announce, StandardCharsets.UTF_8);
        String infoHash = null;
        String peerId = null;
        List<String> offerIds = new ArrayList<>();
        List<byte[]> relays = new ArrayList<>();
        try (JsonParser p = json.createParser(text)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "info_hash" -> infoHash = p.getText();
                    case "peer_id" -> peerId = p.getText();
                    case "offers" -> {
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            ByteArrayOutputStream offer = new ByteArrayOutputStream();
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String f = p.currentName();
                                p.nextToken();
                                if (f.equals("offer")) {
                                    try (JsonGenerator g = json.createGenerator(offer)) {
                                        g.copyCurrentStructure(p);
                                    }
                                } else if (f.equals("offer_id")) {
                                    offerIds.add(p.getText());
                                } else {
                                    p.skipChildren();
                                }
                            }
                            relays.add(offer.toByteArray());
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        int n = write(null, "announce", infoHash, peerId, null);
        for (int i = 0; i < relays.size(); i++) {
            n += write(relays.get(i), "announce", infoHash, peerId, offerIds.get(i));
        }
        return n;
    }

    private int write(byte[] offer, String action, String infoHash, String peerId, String offerId) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(offer == null ? 128 : offer.length + 128);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("action", action);
            if (offer != null) {
                g.writeFieldName("offer");
                g.writeRawValue(new String(offer, StandardCharsets.UTF_8));
                g.writeStringField("offer_id", offerId);
                g.writeStringField("peer_id", peerId);
            } else {
                g.writeNumberField("complete", 3);
                g.writeNumberField("incomplete", 4);
                g.writeNumberField("interval", 120);
            }
            g.writeStringField("info_hash", infoHash);
            g.writeEndObject();
        }
        return out.toByteArray().length;
    }
}
