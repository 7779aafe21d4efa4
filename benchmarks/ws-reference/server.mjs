// bittorrent-tracker's server (npm, pinned in package.json), WebSocket only, on 127.0.0.1: the reference for
// benchmarks/ws-load.sh (and a tracker to try src/test/webtorrent/browsers.mjs against).
//
//   node benchmarks/ws-reference/server.mjs PORT
//
// Its defaults otherwise (interval 10 min, so clients are told 120 s). Its console `warning` events (e.g. an answer
// to an unknown peer) are counted, not printed per event; `stats: false` leaves out its HTTP stats page.
// The server module alone: the package's index also loads its WebRTC client (node-datachannel, a native addon that
// --ignore-scripts leaves unbuilt).
import Server from 'bittorrent-tracker/server';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node server.mjs PORT');
  process.exit(2);
}
const server = new Server({ udp: false, http: false, ws: true, stats: false, trustProxy: false });
let warnings = 0;
server.on('warning', () => warnings++);
server.on('error', (err) => {
  console.error(`ws-reference: error ${err && err.message}`);
});
server.listen(port, '127.0.0.1', () => console.log(`ws-reference: listening on ws://127.0.0.1:${port}`));
const stop = () => {
  console.log(`ws-reference: stopping (${warnings} warnings)`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
