/**
 * Every Micrometer meter, registered once at start-up. The hot path only increments pre-registered counters and
 * records into a pre-registered timer: no tag lookups, no allocation. Imports Micrometer and the JDK only.
 */
package dev.hayate.metrics;
