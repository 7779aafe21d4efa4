package dev.hayate.protocol;

/**
 * The announce {@code event} (BEP 3). {@link #udpCode()} is the BEP 15 wire value: 0 none, 1 completed, 2 started,
 * 3 stopped.
 */
public enum AnnounceEvent {
    NONE(0),
    COMPLETED(1),
    STARTED(2),
    STOPPED(3);

    private static final AnnounceEvent[] BY_UDP_CODE = {NONE, COMPLETED, STARTED, STOPPED};

    private final int udpCode;

    AnnounceEvent(int udpCode) {
        this.udpCode = udpCode;
    }

    public int udpCode() {
        return udpCode;
    }

    /** Returns the event for a BEP 15 code, or {@code null} for an unknown code. */
    public static AnnounceEvent fromUdpCode(int code) {
        return code >= 0 && code < BY_UDP_CODE.length ? BY_UDP_CODE[code] : null;
    }
}
