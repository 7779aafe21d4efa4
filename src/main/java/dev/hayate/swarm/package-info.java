/**
 * Swarm state and announce policy: peer records, announce semantics, peer selection and expiry. The one place that
 * touches Chronicle Map. Imports {@code protocol}, the JDK, Chronicle and SLF4J only.
 *
 * <p>{@link dev.hayate.swarm.AccessPolicy} (which torrents are served) is policy too, so it lives here rather than in
 * an adapter: HTTP and UDP ask it before they touch the store. It reads its small file with the JDK, and takes its
 * mode and path as plain values, so {@code swarm} still imports nothing from {@code config}.
 */
package dev.hayate.swarm;
