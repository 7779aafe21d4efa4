/**
 * Configuration: one immutable {@link dev.hayate.config.TrackerConfig} record of every {@code tracker.properties}
 * key, loaded and validated once at start-up. Imports the JDK only.
 */
package dev.hayate.config;
