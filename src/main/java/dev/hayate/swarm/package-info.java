/**
 * Swarm state and announce policy: peer records, announce semantics, peer selection and expiry. The one place that
 * touches Chronicle Map. Imports {@code protocol}, the JDK, Chronicle and SLF4J only.
 *
 * <p>{@link dev.hayate.swarm.AccessPolicy} (which torrents are served) is policy too, so it lives here rather than in
 * an adapter: HTTP and UDP ask it before they touch the store. It reads its small file with the JDK, and takes its
 * mode and path as plain values, so {@code swarm} still imports nothing from {@code config}.
 *
 * <p>So is {@link dev.hayate.swarm.AnnounceRateLimiter} (per-address announce limits): every adapter (HTTP, UDP, and
 * WebSocket) charges it once per announce it is about to apply. {@link dev.hayate.swarm.FullScrape} builds the opt-in
 * full scrape from {@link dev.hayate.swarm.ChronicleSwarmStore#forEachSwarm} on its own thread; the adapters only
 * serve its snapshot.
 */
package dev.hayate.swarm;
