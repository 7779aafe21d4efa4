/**
 * The WebTorrent tracker (issue 12): the WebSocket adapter on the HTTP listeners (Undertow's own WebSocket support)
 * and the WebTorrent swarms of live sockets, which are not in the Chronicle store (a socket is not an address) and are
 * never persisted. The wire format is {@code protocol.WebTorrentCodec}; this package only moves frames. Imports
 * {@code protocol}, {@code swarm} (the access policy), {@code metrics} and {@code config}.
 */
package dev.hayate.ws;
