/**
 * The Undertow adapter: routes, handlers that run on the IO threads (no dispatch to a worker pool), per-IO-thread
 * scratch buffers, the real-IP policy, and the HTTPS listener's certificates (PEM reading and reload without a
 * restart). Imports {@code protocol}, {@code swarm}, {@code metrics} and
 * {@code config}.
 */
package dev.hayate.http;
