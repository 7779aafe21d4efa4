/**
 * The admin listener: Prometheus text at {@code /metrics} and a status page at {@code /} (and, with {@code scrape.full=admin}, the full scrape at
 * {@code /scrape}, served by a handler given at start-up), on its own small Undertow
 * server bound to {@code admin.host} (loopback by default), never on the public tracker ports. Nothing here is on
 * the announce path: requests are dispatched to a worker thread. Imports {@code swarm} (store counts),
 * {@code metrics}, {@code config} and Micrometer's Prometheus registry.
 */
package dev.hayate.admin;
