// Two headless Chromium instances run WebTorrent's browser build: one seeds a file it generates, the other downloads
// it; they can meet only through the WebTorrent tracker at ws://127.0.0.1:PORT (Hayate in WebTorrentBrowserTest, or
// any other tracker by hand). Prints `webtorrent-e2e: PASS` and exits 0 when the SHA-256 of both sides match.
//
//   node src/test/webtorrent/browsers.mjs --tracker-port 6969 [--path /announce] [--timeout-seconds 120]
//                                         [--size 2097152] [--no-relay]
//
// What Chromium needs for WebRTC on one machine (shared/protocol/webtorrent/README.md):
// - The browsers run in a network namespace of their own with only `lo` (`unshare -n`, root), so every packet of the
//   test stays on loopback and nothing can leave the machine. This script re-runs itself inside that namespace
//   (`--inner`); outside, it relays the tracker: a unix socket (the file system is shared across namespaces) bridged
//   to 127.0.0.1:PORT. Inside, 127.0.0.1:PORT is a second relay to that unix socket, so the browsers announce to the
//   same URL as outside. `--no-relay` leaves the outer side unconnected (a negative check: the transfer must fail).
// - A camera/microphone permission for the page's origin through the DevTools protocol; without it Chromium offers
//   no loopback ICE candidates. No device is opened.
// - --allow-loopback-in-peer-connection, no mDNS candidates, no STUN (rtcConfig iceServers []), every host name but
//   127.0.0.1/localhost unresolvable, no component updates, proxy or background networking.
//
// Bounded in time: a deadline (--timeout-seconds) kills every process this script started, by PID (the namespace
// child; each Chromium by its process group, which puppeteer makes it lead), and exits non-zero.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WEBTORRENT_JS = path.join(HERE, 'node_modules/webtorrent/dist/webtorrent.min.js');

function parseArgs(argv) {
  const a = { path: '/announce', timeoutSeconds: 120, size: 2 * 1024 * 1024, relay: true, inner: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) fail(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--tracker-port') a.port = Number(v());
    else if (k === '--path') a.path = v();
    else if (k === '--timeout-seconds') a.timeoutSeconds = Number(v());
    else if (k === '--size') a.size = Number(v());
    else if (k === '--no-relay') a.relay = false;
    else if (k === '--inner') a.inner = true;
    else if (k === '--socket') a.socket = v();
    else if (k === '--workdir') a.workdir = v();
    else if (k === '--deadline') a.deadline = Number(v());
    else fail(`unknown argument ${k}`);
  }
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) fail('--tracker-port 1..65535 is required');
  if (!(a.timeoutSeconds > 0 && a.timeoutSeconds <= 600)) fail('--timeout-seconds must be 1..600');
  if (!Number.isInteger(a.size) || a.size < 1 || a.size > 64 * 1024 * 1024) fail('--size must be 1..64 MiB');
  if (!/^\/[A-Za-z0-9_/-]*$/.test(a.path)) fail('--path must be a plain path such as / or /announce');
  return a;
}

function log(msg) {
  console.log(`webtorrent-e2e: ${msg}`);
}

function fail(msg) {
  console.log(`webtorrent-e2e: FAIL ${msg}`);
  process.exit(1);
}

// relay(server, connectUpstream): pipes every accepted connection to a fresh upstream connection, both ways.
function relay(server, connectUpstream, stats) {
  server.on('connection', (down) => {
    stats.connections++;
    const up = connectUpstream();
    down.on('data', (b) => (stats.bytesUp += b.length));
    up.on('data', (b) => (stats.bytesDown += b.length));
    down.pipe(up);
    up.pipe(down);
    const close = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- outside the namespace: the tracker relay
async function outer(a) {
  for (const f of [CHROMIUM, WEBTORRENT_JS]) if (!fs.existsSync(f)) fail(`missing ${f}`);
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'hayate-wt-'));
  const socket = path.join(workdir, 'tracker.sock');
  const stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const server = net.createServer();
  if (a.relay) {
    relay(server, () => net.connect(a.port, '127.0.0.1'), stats);
  } else {
    server.on('connection', (s) => s.destroy()); // negative check: the browsers reach no tracker
  }
  await new Promise((res, rej) => server.listen(socket, res).on('error', rej));
  const deadline = Date.now() + a.timeoutSeconds * 1000;
  const child = spawn(
    'unshare',
    ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, fileURLToPath(import.meta.url),
      '--inner', '--tracker-port', String(a.port), '--path', a.path, '--size', String(a.size),
      '--socket', socket, '--workdir', workdir, '--deadline', String(deadline), '--timeout-seconds',
      String(a.timeoutSeconds)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let timedOut = false;
  const cleanup = () => {
    if (child.exitCode === null) killGroup(child.pid, 'SIGTERM');
    // Chromium PIDs the inner side recorded: still running only if it could not stop them itself
    const pids = path.join(workdir, 'chromium.pids');
    if (fs.existsSync(pids)) {
      for (const p of fs.readFileSync(pids, 'utf8').split('\n').map(Number).filter((n) => n > 1)) {
        if (alive(p)) {
          log(`stopping chromium ${p} left running`);
          killGroup(p, 'SIGKILL');
        }
      }
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    log(`deadline of ${a.timeoutSeconds} s passed: stopping`);
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => child.exitCode === null && killGroup(child.pid, 'SIGKILL'), 5000).unref();
  }, a.timeoutSeconds * 1000 + 5000);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cleanup();
      process.exit(1);
    });
  }
  const code = await new Promise((res) => child.on('exit', (c, s) => res(c === null ? 128 + (os.constants.signals[s] || 0) : c)));
  clearTimeout(timer);
  cleanup();
  server.close();
  fs.rmSync(workdir, { recursive: true, force: true });
  log(`tracker relay: ${stats.connections} connections, ${stats.bytesUp} bytes to the tracker, ${stats.bytesDown} back`);
  if (timedOut) fail('timed out');
  process.exit(code);
}

// ---------------------------------------------------------------- inside the namespace: the browsers
const PAGE = `<!doctype html><meta charset="utf-8"><title>hayate webtorrent e2e</title>
<script>globalThis.WEBTORRENT_ANNOUNCE = [];</script><p>hayate webtorrent e2e</p>`;

async function seed(announce, size) {
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
  const { default: WebTorrent } = await import('/webtorrent.min.js');
  const client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } });
  window.client = client;
  const data = new Uint8Array(size);
  for (let off = 0; off < size; off += 65536) crypto.getRandomValues(data.subarray(off, Math.min(size, off + 65536)));
  const sha256 = hex(await crypto.subtle.digest('SHA-256', data));
  const file = new File([data], 'hayate-e2e.bin', { type: 'application/octet-stream' });
  const torrent = await new Promise((resolve, reject) => {
    client.on('error', (e) => reject(String(e && e.message ? e.message : e)));
    client.seed(file, { announce: [announce], name: 'hayate-e2e.bin' }, resolve);
  });
  return { magnetURI: torrent.magnetURI, infoHash: torrent.infoHash, announce: torrent.announce, sha256, length: size };
}

async function leech(magnetURI, announce, timeoutMs) {
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
  const { default: WebTorrent } = await import('/webtorrent.min.js');
  const client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } });
  window.client = client;
  const started = performance.now();
  const torrent = client.add(magnetURI, { announce: [announce] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(`no transfer within ${timeoutMs} ms (peers ${torrent.numPeers}, ${torrent.downloaded} bytes)`),
      timeoutMs,
    );
    torrent.on('done', () => {
      clearTimeout(timer);
      resolve();
    });
    torrent.on('error', (e) => reject(String(e && e.message ? e.message : e)));
    client.on('error', (e) => reject(String(e && e.message ? e.message : e)));
  });
  const ms = Math.round(performance.now() - started);
  const buf = await torrent.files[0].arrayBuffer();
  return {
    sha256: hex(await crypto.subtle.digest('SHA-256', buf)),
    length: buf.byteLength,
    ms,
    announce: torrent.announce,
    wires: torrent.wires.length,
    downloaded: torrent.downloaded,
  };
}

async function inner(a) {
  const ifaces = Object.keys(os.networkInterfaces());
  if (ifaces.length !== 1 || ifaces[0] !== 'lo') fail(`the namespace must have only lo, has ${ifaces.join(',')}`);
  const pidFile = path.join(a.workdir, 'chromium.pids');
  const browsers = [];
  const stopBrowsers = async () => {
    for (const b of browsers) {
      const pid = b.process()?.pid;
      await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
      if (pid && alive(pid)) killGroup(pid, 'SIGKILL');
    }
    browsers.length = 0;
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const b of browsers) {
        const pid = b.process()?.pid;
        if (pid) killGroup(pid, 'SIGKILL');
      }
      process.exit(1);
    });
  }
  const remaining = () => a.deadline - Date.now();

  // 127.0.0.1:PORT in here is the tracker: a relay to the unix socket that the outer side bridges to the real one
  const stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const trackerRelay = net.createServer();
  relay(trackerRelay, () => net.connect(a.socket), stats);
  await new Promise((res, rej) => trackerRelay.listen(a.port, '127.0.0.1', res).on('error', rej));

  // the page and the browser build, from an origin the media permission can be granted to
  const js = fs.readFileSync(WEBTORRENT_JS);
  const pages = http.createServer((req, res) => {
    if (req.url === '/webtorrent.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((res) => pages.listen(0, '127.0.0.1', res));
  const origin = `http://127.0.0.1:${pages.address().port}`;
  const announce = `ws://127.0.0.1:${a.port}${a.path}`;

  const { default: puppeteer } = await import('puppeteer-core');
  const launch = async (name) => {
    const b = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      pipe: true,
      userDataDir: fs.mkdtempSync(path.join(a.workdir, `${name}-`)),
      args: [
        '--no-sandbox',
        '--allow-loopback-in-peer-connection',
        '--disable-features=WebRtcHideLocalIpsWithMdns',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
        '--disable-component-update',
        '--no-proxy-server',
        '--disable-background-networking',
        '--disable-dev-shm-usage',
        '--no-first-run',
      ],
    });
    browsers.push(b);
    fs.appendFileSync(pidFile, `${b.process().pid}\n`);
    await b.defaultBrowserContext().overridePermissions(origin, ['camera', 'microphone']);
    const page = await b.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') log(`${name} console ${m.type()}: ${m.text().slice(0, 300)}`);
    });
    page.on('pageerror', (e) => log(`${name} page error: ${String(e).slice(0, 300)}`));
    await page.goto(`${origin}/`);
    return page;
  };

  let ok = false;
  try {
    const t0 = Date.now();
    const [seeder, leecher] = await Promise.all([launch('seeder'), launch('leecher')]);
    log(`two chromium instances up in ${Date.now() - t0} ms (${(await browsers[0].version())}), announce ${announce}`);
    const s = await seeder.evaluate(seed, announce, a.size);
    log(`seeder: ${s.length} bytes, info_hash ${s.infoHash}, trackers ${JSON.stringify(s.announce)}`);
    log(`seeder sha256 ${s.sha256}`);
    if (JSON.stringify(s.announce) !== JSON.stringify([announce])) throw new Error('the seeder announces elsewhere too');
    const l = await leecher.evaluate(leech, s.magnetURI, announce, Math.max(1000, remaining() - 8000));
    log(`leecher: ${l.length} bytes in ${l.ms} ms from ${l.wires} peer(s), trackers ${JSON.stringify(l.announce)}`);
    log(`leecher sha256 ${l.sha256}`);
    if (l.length !== s.length) throw new Error(`length differs: ${l.length} != ${s.length}`);
    if (l.sha256 !== s.sha256) throw new Error('sha256 differs');
    ok = true;
  } catch (e) {
    log(`FAIL ${String(e && e.message ? e.message : e).slice(0, 500)}`);
  } finally {
    await stopBrowsers();
    trackerRelay.close();
    pages.close();
  }
  log(`in-namespace relay: ${stats.connections} tracker connections`);
  if (ok) log('PASS');
  process.exit(ok ? 0 : 1);
}

const args = parseArgs(process.argv.slice(2));
if (args.inner) {
  inner(args).catch((e) => fail(String(e && e.stack ? e.stack : e)));
} else {
  outer(args).catch((e) => fail(String(e && e.stack ? e.stack : e)));
}
