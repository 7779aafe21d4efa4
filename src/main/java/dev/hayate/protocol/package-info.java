/**
 * Wire formats only: scanning announce and scrape queries, bencoding responses, and (with the UDP tracker) BEP 15
 * packets. BEP 3, 7, 15, 23, 41, 48. Imports the JDK only, so it can be tested, fuzzed and benchmarked on its own.
 */
package dev.hayate.protocol;
