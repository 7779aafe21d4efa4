/**
 * The Undertow adapter: routes, handlers that run on the IO threads (no dispatch to a worker pool), per-IO-thread
 * scratch buffers, the real-IP policy, and the HTTPS listener's certificates (PEM reading and reload without a
 * restart). Imports {@code protocol}, {@code swarm}, {@code metrics} and {@code config}.
 * {@link dev.hayate.http.FullScrapeHandler} serves the opt-in full scrape here and, handed over as a
 * plain {@code HttpHandler} at start-up, on the admin listener; while a snapshot is being built it parks the exchange
 * (on no thread) instead of dispatching it.
 */
package dev.hayate.http;
