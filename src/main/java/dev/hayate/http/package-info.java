/**
 * The Undertow adapter: routes, handlers that run on the IO threads (no dispatch to a worker pool), per-IO-thread
 * scratch buffers, and the real-IP policy. Imports {@code protocol}, {@code swarm}, {@code metrics} and
 * {@code config}.
 */
package dev.hayate.http;
