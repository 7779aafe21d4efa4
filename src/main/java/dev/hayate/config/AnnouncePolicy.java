package dev.hayate.config;

/**
 * What an announce is answered with, whichever protocol carried it: the intervals, how many peers, and whether the
 * client may name its own address. The HTTP and UDP adapters both use this one copy of the {@code announce.*} keys
 * (built by {@link TrackerConfig#announcePolicy()}), so the two cannot drift apart. Allocation-free.
 *
 * @param intervalSeconds {@code announce.interval_seconds}: BEP 3 {@code interval}, BEP 15's interval field
 * @param minIntervalSeconds {@code announce.min_interval_seconds}: {@code min interval} (HTTP only; BEP 15 has no
 *     field for it)
 * @param numWantDefault {@code announce.numwant_default}: peers for a client that sends no numwant
 * @param numWantMax {@code announce.numwant_max}: the cap on any numwant
 * @param allowIpParam {@code announce.allow_ip_param}: honour {@code ip=}/{@code ipv4=}/{@code ipv6=} and BEP 15's IP
 *     field (off by default: DDoS reflection)
 */
public record AnnouncePolicy(
        int intervalSeconds, int minIntervalSeconds, int numWantDefault, int numWantMax, boolean allowIpParam) {

    /**
     * Peers to return for a client's numwant: the default when it sent none (a negative value, which is how both
     * the query scanner and BEP 15's {@code -1} say "not given"), else the request capped at {@code numWantMax}.
     */
    public int numWant(int requested) {
        return requested < 0 ? numWantDefault : Math.min(requested, numWantMax);
    }

    /** As {@link #numWant(int)}, also capped at {@code limit} (what fits one UDP datagram). */
    public int numWant(int requested, int limit) {
        return Math.min(numWant(requested), limit);
    }
}
