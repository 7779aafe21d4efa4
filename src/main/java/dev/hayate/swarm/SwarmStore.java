package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import dev.hayate.protocol.AnnounceResponse;
import dev.hayate.protocol.FailureReason;
import dev.hayate.protocol.ScrapeRequest;
import dev.hayate.protocol.ScrapeResponse;

/**
 * Swarm state and announce policy. Implementations are thread-safe: every IO thread calls {@link #announce} and
 * {@link #scrape} concurrently, each with its own request/response flyweights.
 */
public interface SwarmStore extends AutoCloseable {

    /** {@code families} bit: the answer can carry IPv4 peers. */
    int FAMILY_V4 = 1;
    /** {@code families} bit: the answer can carry IPv6 peers. */
    int FAMILY_V6 = 2;
    /** Both families: an HTTP answer ({@code peers} and {@code peers6}, BEP 7; or the dictionary model). */
    int BOTH_FAMILIES = FAMILY_V4 | FAMILY_V6;

    /** {@link #announce(AnnounceRequest, byte[], int, int, int, long, AnnounceResponse)} for both families. */
    default FailureReason announce(
            AnnounceRequest request,
            byte[] address,
            int addressLength,
            int numWant,
            long nowMillis,
            AnnounceResponse out) {
        return announce(request, address, addressLength, numWant, BOTH_FAMILIES, nowMillis, out);
    }

    /**
     * Applies one announce and fills {@code out} with the swarm's counts and up to {@code numWant} other peers, each
     * in compact wire form (the store keeps no peer_id: a {@code compact=0} answer lists {@code ip} and {@code port}).
     *
     * @param address the peer's address as the tracker sees it, 4 (IPv4) or 16 (IPv6, never v4-mapped) bytes
     * @param addressLength 4 or 16
     * @param numWant peers wanted, already defaulted and capped by the caller; 0 means none
     * @param families the address families the answer can carry ({@link #FAMILY_V4}, {@link #FAMILY_V6}, or both):
     *     peers are chosen from these only, so numWant is not spent on peers the answer would drop (a BEP 15 answer
     *     carries the family of the socket it is sent on)
     * @return {@code null} on success, or the failure to answer with (the store's state is unchanged)
     */
    FailureReason announce(
            AnnounceRequest request,
            byte[] address,
            int addressLength,
            int numWant,
            int families,
            long nowMillis,
            AnnounceResponse out);

    /** Fills {@code out} with counts for each hash of {@code request}, in order; zeros for unknown hashes. */
    void scrape(ScrapeRequest request, ScrapeResponse out);

    /** Removes every peer last seen before {@code nowMillis - peerTtl}. Returns how many were removed. */
    long sweep(long nowMillis);

    long torrentCount();

    long seederCount();

    long leecherCount();

    /** Peers stored, as a fraction of the configured peer capacity, 0..1. */
    double peerCapacityUsed();

    @Override
    void close();
}
