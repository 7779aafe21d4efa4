/**
 * Wire formats only: scanning announce and scrape queries, bencoding responses, (with the UDP tracker) BEP 15
 * packets, and the WebTorrent tracker's JSON messages. BEP 3, 7, 15, 23, 41, 48. Imports the JDK only, and
 * {@code jackson-core}'s streaming API for the WebTorrent JSON, so it can be tested, fuzzed and benchmarked on its own.
 */
package dev.hayate.protocol;
