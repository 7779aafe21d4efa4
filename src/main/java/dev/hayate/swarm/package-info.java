/**
 * Swarm state and announce policy: peer records, announce semantics, peer selection and expiry. The one place that
 * touches Chronicle Map. Imports {@code protocol}, the JDK, Chronicle and SLF4J only.
 */
package dev.hayate.swarm;
