/**
 * The BEP 15 datagram adapter: receive loops on {@link java.nio.channels.DatagramChannel}s (one per thread, sharing
 * the port with {@code SO_REUSEPORT}), connection ids, and the same {@link dev.hayate.swarm.SwarmStore} as HTTP, so
 * a torrent has one swarm whichever protocol its peers use. Imports {@code protocol}, {@code swarm},
 * {@code metrics} and {@code config}.
 */
package dev.hayate.udp;
