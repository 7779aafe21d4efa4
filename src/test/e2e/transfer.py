#!/usr/bin/python3
"""End-to-end check: two real BitTorrent clients find each other only through
a tracker and transfer a file, byte for byte.

Run with Debian's /usr/bin/python3 (python3-libtorrent); also needs aria2c and
optionally mktorrent (falls back to libtorrent's create_torrent).

    transfer.py --announce http://127.0.0.1:PORT/announce
    transfer.py --announce udp://127.0.0.1:PORT/announce --seeder aria2 --leecher libtorrent

Steps: random payload -> .torrent with the given announce URL -> seeder starts
-> poll the tracker's scrape until it counts the seeder -> leecher starts ->
wait for the download -> compare sha256 -> stop everything we started, by pid.

Peer discovery other than the tracker is off: no DHT (aria2 over udp:// needs
its DHT socket to talk UDP to trackers, so it runs with an empty routing table,
no bootstrap nodes and a private dht.dat), no LSD, no PEX, no UPnP/NAT-PMP, no
uTP. Everything binds to 127.0.0.1; nothing talks to a non-loopback address.

Exit status: 0 on PASS, 1 on FAIL, 2 on bad usage. The last line of output is
`e2e: PASS ...` or `e2e: FAIL ...`.
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

try:
    import libtorrent as lt
except ImportError:  # pragma: no cover - reported properly in main()
    lt = None

PAYLOAD_NAME = "hayate-e2e.bin"
LOG_TAIL_LINES = 40


class Fail(Exception):
    """A failed check; the message is the one-line reason."""


class Deadline:
    def __init__(self, seconds):
        self.start = time.monotonic()
        self.end = self.start + seconds
        self.seconds = seconds

    def left(self):
        return self.end - time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.start

    def check(self, what):
        if self.left() <= 0:
            raise Fail("timeout after %.0f s while %s" % (self.seconds, what))


def log(msg):
    print("e2e: " + msg, flush=True)


# --------------------------------------------------------------------------
# bencode (decoding only what trackers send)

def bdecode(data):
    def dec(i):
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c == b"l":
            out, i = [], i + 1
            while data[i:i + 1] != b"e":
                v, i = dec(i)
                out.append(v)
            return out, i + 1
        if c == b"d":
            out, i = {}, i + 1
            while data[i:i + 1] != b"e":
                k, i = dec(i)
                v, i = dec(i)
                out[k] = v
            return out, i + 1
        if c.isdigit():
            j = data.index(b":", i)
            n = int(data[i:j])
            return data[j + 1:j + 1 + n], j + 1 + n
        raise ValueError("bad bencode at %d" % i)

    value, end = dec(0)
    if end != len(data):
        raise ValueError("trailing bytes after bencode")
    return value


def info_hash_of(torrent_path):
    """SHA-1 of the raw bencoded info dict, located by parsing (no re-encode)."""
    data = open(torrent_path, "rb").read()

    def skip(i):
        c = data[i:i + 1]
        if c == b"i":
            return data.index(b"e", i) + 1
        if c in (b"l", b"d"):
            i += 1
            while data[i:i + 1] != b"e":
                i = skip(i)
            return i + 1
        j = data.index(b":", i)
        return j + 1 + int(data[i:j])

    if data[:1] != b"d":
        raise Fail("torrent is not a dictionary")
    i = 1
    while data[i:i + 1] != b"e":
        kend = skip(i)
        key = data[data.index(b":", i) + 1:kend]
        vend = skip(kend)
        if key == b"info":
            return hashlib.sha1(data[kend:vend]).digest()
        i = vend
    raise Fail("torrent has no info dict")


# --------------------------------------------------------------------------
# scrape

def scrape_url_for(announce):
    """BEP 48: the last path segment 'announce...' becomes 'scrape...'."""
    u = urllib.parse.urlsplit(announce)
    if u.scheme == "udp":
        return announce  # UDP scrape goes to the same host:port
    head, _, last = u.path.rpartition("/")
    if not last.startswith("announce"):
        return None
    path = head + "/scrape" + last[len("announce"):]
    return urllib.parse.urlunsplit((u.scheme, u.netloc, path, u.query, ""))


def http_scrape(url, info_hash, timeout):
    sep = "&" if "?" in url else "?"
    full = url + sep + "info_hash=" + urllib.parse.quote_from_bytes(info_hash, safe="")
    # No proxies: we only ever talk to the loopback tracker.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(full, timeout=timeout) as r:
        body = r.read()
    d = bdecode(body)
    if b"failure reason" in d:
        raise Fail("scrape failure: %s" % d[b"failure reason"].decode("utf-8", "replace"))
    files = d.get(b"files", {})
    e = files.get(info_hash)
    if e is None:
        return 0, 0, 0
    return e.get(b"complete", 0), e.get(b"incomplete", 0), e.get(b"downloaded", 0)


def udp_scrape(url, info_hash, timeout):
    """BEP 15 connect + scrape; returns (seeders, leechers, completed)."""
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port
    if port is None:
        raise Fail("udp tracker URL has no port: %s" % url)
    addr = (socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)[0][4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        s.settimeout(min(timeout, 2.0))

        def roundtrip(packet, action, tid):
            s.sendto(packet, addr)
            end = time.monotonic() + min(timeout, 2.0)
            while time.monotonic() < end:
                try:
                    data, frm = s.recvfrom(2048)
                except socket.timeout:
                    break
                if len(data) < 8:
                    continue
                a, t = struct.unpack(">II", data[:8])
                if t != tid:
                    continue
                if a == 3:
                    raise Fail("udp tracker error: %s" % data[8:].decode("utf-8", "replace"))
                if a == action:
                    return data
            raise socket.timeout("no udp reply for action %d" % action)

        tid = random.getrandbits(32)
        r = roundtrip(struct.pack(">QII", 0x41727101980, 0, tid), 0, tid)
        if len(r) < 16:
            raise Fail("short udp connect reply (%d bytes)" % len(r))
        conn_id = struct.unpack(">Q", r[8:16])[0]
        tid = random.getrandbits(32)
        r = roundtrip(struct.pack(">QII", conn_id, 2, tid) + info_hash, 2, tid)
        if len(r) < 20:
            raise Fail("short udp scrape reply (%d bytes)" % len(r))
        seeders, completed, leechers = struct.unpack(">III", r[8:20])
        return seeders, leechers, completed
    finally:
        s.close()


# --------------------------------------------------------------------------
# helpers

def free_port():
    """A port free on 127.0.0.1 for both TCP and UDP (aria2 wants a number)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise Fail("no free port on 127.0.0.1")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tail(path, n=LOG_TAIL_LINES):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError as e:
        return ["(no log: %s)" % e]
    return lines[-n:]


def make_payload(path, size):
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n


def piece_length_exp(size):
    # ~64..1024 pieces; 2^15 (32 KiB) minimum, 2^20 maximum.
    exp = 15
    while exp < 20 and size // (1 << exp) > 512:
        exp += 1
    return exp


def make_torrent(payload, torrent, announce, size, tool, log_path):
    exp = piece_length_exp(size)
    if tool == "mktorrent" and shutil.which("mktorrent"):
        cmd = ["mktorrent", "-a", announce, "-l", str(exp), "-c", "hayate e2e",
               "-o", torrent, payload]
        with open(log_path, "ab") as lf:
            rc = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=60).returncode
        if rc != 0:
            raise Fail("mktorrent exited %d (see %s)" % (rc, log_path))
        return "mktorrent"
    fs = lt.file_storage()
    lt.add_files(fs, payload)
    # v1 only: libtorrent 2.0 makes hybrid v1+v2 torrents by default, which
    # aria2 (v1 only) hashes differently.
    ct = lt.create_torrent(fs, 1 << exp, flags=lt.create_torrent.v1_only)
    ct.add_tracker(announce)
    ct.set_creator("hayate e2e")
    lt.set_piece_hashes(ct, os.path.dirname(payload))
    with open(torrent, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return "libtorrent"


# --------------------------------------------------------------------------
# clients

class Aria2:
    """aria2c as a child process, stopped by pid."""

    name = "aria2"

    def __init__(self, role, torrent, directory, workdir, udp):
        self.role = role
        self.dir = directory
        self.log_path = os.path.join(workdir, "aria2-%s.log" % role)
        self.out_path = os.path.join(workdir, "aria2-%s.out" % role)
        self.port = free_port()
        cmd = [
            "aria2c", "--no-conf=true",
            "--dir=" + directory,
            "--log=" + self.log_path, "--log-level=info",
            "--console-log-level=notice", "--summary-interval=0",
            "--stop-with-process=%d" % os.getpid(),
            "--listen-port=%d" % self.port,
            "--interface=127.0.0.1",
            "--disable-ipv6=true",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--bt-tracker-connect-timeout=10",
            "--bt-tracker-timeout=15",
            "--bt-stop-timeout=0",
            "--bt-save-metadata=false",
            "--bt-require-crypto=false",
            "--file-allocation=none",
            "--allow-overwrite=true",
            "--auto-save-interval=0",
        ] + (["--check-certificate=true", "--ca-certificate=" + CA_FILE] if CA_FILE
             else ["--check-certificate=false"]) + [
            "--rpc-save-upload-metadata=false",
            "--bt-max-peers=10",
        ]
        if udp:
            # aria2 sends UDP tracker requests only from its DHT socket, so DHT
            # must be on; it gets no entry point and a fresh routing table
            # file, so it knows no nodes and cannot find peers through DHT.
            self.dht_port = free_port()
            cmd += ["--enable-dht=true", "--enable-dht6=false",
                    "--dht-listen-port=%d" % self.dht_port,
                    "--dht-file-path=" + os.path.join(workdir, "aria2-%s-dht.dat" % role)]
        else:
            cmd += ["--enable-dht=false", "--enable-dht6=false"]
        if role == "seeder":
            # -V: hash the existing file, then seed it for as long as we run.
            cmd += ["--check-integrity=true", "--seed-ratio=0.0"]
        else:
            # --seed-time=0: exit as soon as the download is complete.
            cmd += ["--seed-time=0"]
        cmd.append(torrent)
        self.cmd = cmd
        self.proc = None

    def start(self):
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        log("started aria2c %s pid %d, peer port %d" % (self.role, self.proc.pid, self.port))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def finished(self):
        """Leecher: True once aria2c exited 0; raises if it exited otherwise."""
        rc = self.proc.poll()
        if rc is None:
            return False
        if rc != 0:
            raise Fail("aria2c %s exited with status %d" % (self.role, rc))
        return True

    def check_running(self):
        rc = self.proc.poll()
        if rc is not None:
            raise Fail("aria2c %s exited early with status %d" % (self.role, rc))

    def announced(self):
        """The seeder's log shows a tracker reply (used only without a scrape URL)."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read()
        except OSError:
            return False
        return (b"UDPT received ANNOUNCE reply" in text
                or b"[DefaultBtAnnounce.cc" in text)

    def stop(self):
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        except ProcessLookupError:
            pass

    def logs(self):
        return [(self.out_path, tail(self.out_path)), (self.log_path, tail(self.log_path))]


class Libtorrent:
    """python-libtorrent in this process; alerts go to a log file."""

    name = "libtorrent"

    def __init__(self, role, torrent, directory, workdir, udp):
        self.role = role
        self.dir = directory
        self.torrent = torrent
        self.log_path = os.path.join(workdir, "libtorrent-%s.log" % role)
        self.session = None
        self.handle = None
        self.port = None
        self.tracker_ok = 0
        self.peer_sources = {}
        self._lock = threading.Lock()

    def _settings(self):
        return {
            "user_agent": "hayate-e2e libtorrent/" + lt.__version__,
            "listen_interfaces": "127.0.0.1:0",
            "outgoing_interfaces": "",
            "enable_dht": False,
            "dht_bootstrap_nodes": "",
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            "enable_incoming_tcp": True,
            "enable_outgoing_tcp": True,
            "allow_multiple_connections_per_ip": True,
            "announce_to_all_trackers": True,
            "announce_to_all_tiers": True,
            "prefer_udp_trackers": False,
            "tracker_completion_timeout": 15,
            "tracker_receive_timeout": 10,
            "stop_tracker_timeout": 1,
            "min_announce_interval": 5,
            "peer_connect_timeout": 5,
            "ignore_limits_on_local_network": True,
            "rate_limit_ip_overhead": False,
            "proxy_type": 0,
            # https:// trackers: verify the certificate (against SSL_CERT_FILE, set from --ca-file).
            "validate_https_trackers": True,
            "alert_mask": _alert_mask(),
        }

    def start(self):
        # flags=0: no default plugins (so no ut_pex) and no default features.
        self.session = lt.session(self._settings(), 0)
        self._log("session up, listening on %s" % self._listen())
        ti = lt.torrent_info(self.torrent)
        atp = lt.add_torrent_params()
        atp.ti = ti
        atp.save_path = self.dir
        self.handle = self.session.add_torrent(atp)
        self.port = self.session.listen_port()
        log("started libtorrent %s in-process, peer port %d" % (self.role, self.port))

    def _listen(self):
        try:
            return "127.0.0.1:%d" % self.session.listen_port()
        except Exception:
            return "?"

    def _log(self, line):
        with self._lock, open(self.log_path, "a") as f:
            f.write("%.3f %s\n" % (time.time(), line))

    def pump(self):
        """Drain alerts into the log; note tracker replies."""
        if self.session is None:
            return
        for a in self.session.pop_alerts():
            name = type(a).__name__
            self._log("%s: %s" % (name, a.message()))
            if name == "tracker_reply_alert":
                self.tracker_ok += 1
            if name == "incoming_connection_alert":
                try:
                    ep = tuple(a.endpoint)
                    self.peer_sources[ep] = self.peer_sources.get(ep, 0) | 32
                except Exception:
                    pass
            if name in ("torrent_error_alert", "file_error_alert"):
                raise Fail("libtorrent %s: %s" % (self.role, a.message()))

    def announced(self):
        return self.seeding() and self.tracker_ok > 0

    def seeding(self):
        self.pump()
        st = self.handle.status()
        return st.is_seeding

    def finished(self):
        self.pump()
        self.note_peers()
        st = self.handle.status()
        return st.is_seeding or st.is_finished

    def check_running(self):
        self.pump()

    def note_peers(self):
        """Remember how each peer was found (libtorrent's peer_info.source bits)."""
        for p in self.handle.get_peer_info():
            ip, port = p.ip
            self.peer_sources[(ip, port)] = self.peer_sources.get((ip, port), 0) | p.source

    def peer_source_summary(self):
        names = [(1, "tracker"), (2, "dht"), (4, "pex"), (8, "lsd"), (16, "resume"),
                 (32, "incoming")]
        out = []
        for (ip, port), src in sorted(self.peer_sources.items()):
            out.append("%s:%d via %s" % (ip, port,
                       "+".join(n for b, n in names if src & b) or "?"))
        return ", ".join(out) or "none seen"

    def status_line(self):
        st = self.handle.status()
        return "state=%s progress=%.3f peers=%d seeds=%d" % (
            st.state, st.progress, st.num_peers, st.num_seeds)

    def alive(self):
        return self.session is not None

    def stop(self):
        if self.session is None:
            return
        try:
            self.pump()
        except Fail:
            pass
        try:
            if self.handle is not None:
                self.session.remove_torrent(self.handle)
            self.session.pause()
        except Exception:
            pass
        self.session = None  # the destructor sends 'stopped' (bounded by stop_tracker_timeout)

    def logs(self):
        return [(self.log_path, tail(self.log_path))]


def _alert_mask():
    c = lt.alert.category_t
    mask = 0
    for name in ("error_notification", "peer_notification", "storage_notification",
                 "tracker_notification", "connect_notification", "status_notification",
                 "performance_warning", "ip_block_notification", "session_log_notification",
                 "torrent_log_notification"):
        mask |= int(getattr(c, name))
    return mask


CLIENTS = {"aria2": Aria2, "libtorrent": Libtorrent}

# --ca-file: the CA that signed an https:// tracker's certificate (aria2 gets it as --ca-certificate; OpenSSL in
# libtorrent and in this script's scrape reads it from SSL_CERT_FILE).
CA_FILE = None


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--announce", required=True, help="tracker announce URL (http:// or udp://)")
    ap.add_argument("--scrape", help="scrape URL (default: derived from --announce per BEP 48; "
                    "for udp:// the announce host:port)")
    ap.add_argument("--no-scrape", action="store_true",
                    help="don't scrape; start the leecher once the seeder's own announce "
                    "got a reply (for a tracker without scrape)")
    ap.add_argument("--workdir", help="directory for payload, torrent and logs "
                    "(default: a fresh temp dir, removed on PASS)")
    ap.add_argument("--size", type=int, default=4 * 1024 * 1024, help="payload bytes (default 4 MiB)")
    ap.add_argument("--timeout", type=float, default=90.0, help="overall seconds (default 90)")
    ap.add_argument("--seeder", choices=sorted(CLIENTS), default="libtorrent")
    ap.add_argument("--leecher", choices=sorted(CLIENTS), default="aria2")
    ap.add_argument("--torrent-tool", choices=["mktorrent", "libtorrent"], default="mktorrent")
    ap.add_argument("--whitelist", help="append the info_hash (hex) to this file before the "
                    "seeder starts (opentracker's access.whitelist)")
    ap.add_argument("--whitelist-hup-pid", type=int,
                    help="send SIGHUP to this pid after writing --whitelist (opentracker reload)")
    ap.add_argument("--keep", action="store_true", help="keep the temp workdir even on PASS")
    ap.add_argument("--ca-file", help="PEM CA certificate that every client trusts for an https:// tracker")
    args = ap.parse_args()
    if args.ca_file:
        global CA_FILE
        CA_FILE = os.path.abspath(args.ca_file)
        os.environ["SSL_CERT_FILE"] = CA_FILE

    scheme = urllib.parse.urlsplit(args.announce).scheme
    if scheme not in ("http", "https", "udp"):
        ap.error("--announce must be http://, https:// or udp://")
    if args.seeder == args.leecher:
        ap.error("--seeder and --leecher must differ")
    if args.size <= 0:
        ap.error("--size must be positive")
    pair = "%s<-%s" % (args.leecher, args.seeder)
    label = "%s %s" % (scheme, pair)

    # Let SIGTERM/SIGINT unwind through finally so children get stopped.
    def on_signal(signum, frame):
        raise Fail("interrupted by signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if lt is None:
        print("e2e: FAIL %s: python libtorrent not importable; run with /usr/bin/python3 "
              "(Debian python3-libtorrent)" % label, flush=True)
        return 1
    if not shutil.which("aria2c"):
        print("e2e: FAIL %s: aria2c not found (apt-get install aria2)" % label, flush=True)
        return 1

    temp = args.workdir is None
    workdir = tempfile.mkdtemp(prefix="hayate-e2e-") if temp else os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    seed_dir = os.path.join(workdir, "seed")
    leech_dir = os.path.join(workdir, "leech")
    # A reused --workdir: clear only what an earlier run of ours left there.
    for d in (seed_dir, leech_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for name in os.listdir(workdir):
        if name == "e2e.torrent" or name.startswith(("aria2-", "libtorrent-", "mktorrent.")):
            os.remove(os.path.join(workdir, name))

    deadline = Deadline(args.timeout)
    clients = []
    ok = False
    try:
        # 1. payload + torrent
        payload = os.path.join(seed_dir, PAYLOAD_NAME)
        make_payload(payload, args.size)
        want = sha256_file(payload)
        torrent = os.path.join(workdir, "e2e.torrent")
        tool = make_torrent(payload, torrent, args.announce, args.size, args.torrent_tool,
                            os.path.join(workdir, "mktorrent.log"))
        ih = info_hash_of(torrent)
        lt_ih = lt.torrent_info(torrent).info_hashes()
        if lt_ih.has_v2() or bytes(lt_ih.v1.to_bytes()) != ih:
            raise Fail("torrent is not a plain v1 torrent (info_hash %s, libtorrent says %s)"
                       % (ih.hex(), lt_ih))
        log("%s: %d bytes sha256 %s, torrent by %s, info_hash %s, workdir %s"
            % (label, args.size, want[:16], tool, ih.hex(), workdir))

        if args.whitelist:
            with open(args.whitelist, "a") as f:
                f.write(ih.hex() + "\n")
            if args.whitelist_hup_pid:
                os.kill(args.whitelist_hup_pid, signal.SIGHUP)
                time.sleep(0.5)

        scrape = None if args.no_scrape else (args.scrape or scrape_url_for(args.announce))
        if scrape is None:
            log("no scrape URL: waiting for the seeder's announce to get a reply instead")
        udp = scheme == "udp"

        # 2. seeder
        seeder = CLIENTS[args.seeder]("seeder", torrent, seed_dir, workdir, udp)
        clients.append(seeder)
        seeder.start()

        # 3. wait until the tracker counts the seeder
        t_seed = None
        last_err = None
        polls = 0
        while True:
            deadline.check("waiting for the tracker to count the seeder (last scrape: %s)"
                           % (last_err or "no answer yet"))
            seeder.check_running()
            if scrape is None:
                # No scrape URL: trust the seeder's own successful announce.
                if seeder.announced():
                    last_err = "no scrape URL; the seeder's announce got a reply"
                    break
                time.sleep(0.2)
                continue
            try:
                polls += 1
                if scrape.startswith("udp://"):
                    complete, incomplete, downloaded = udp_scrape(scrape, ih, 3.0)
                else:
                    complete, incomplete, downloaded = http_scrape(scrape, ih, 3.0)
                last_err = "complete=%d incomplete=%d downloaded=%d" % (
                    complete, incomplete, downloaded)
                if complete >= 1:
                    break
            except Fail as e:
                last_err = str(e)
            except (OSError, ValueError) as e:
                last_err = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.25)
        t_seed = deadline.elapsed()
        log("tracker counts the seeder after %.1f s (%s, %d scrapes)" % (t_seed, last_err, polls))

        # 4. leecher
        leecher = CLIENTS[args.leecher]("leecher", torrent, leech_dir, workdir, udp)
        clients.append(leecher)
        leecher.start()
        t_leech = time.monotonic()
        last_status = time.monotonic()
        while True:
            if deadline.left() <= 0:
                detail = ""
                if isinstance(leecher, Libtorrent):
                    detail = " (leecher %s, peers seen: %s)" % (
                        leecher.status_line(), leecher.peer_source_summary())
                deadline.check("waiting for the download%s" % detail)
            seeder.check_running()
            if isinstance(seeder, Libtorrent):
                seeder.note_peers()
            if leecher.finished():
                break
            if isinstance(leecher, Libtorrent) and time.monotonic() - last_status > 5:
                last_status = time.monotonic()
                log("leecher: " + leecher.status_line())
            time.sleep(0.2)
        t_transfer = time.monotonic() - t_leech
        for c in (seeder, leecher):
            if isinstance(c, Libtorrent):
                log("libtorrent %s peers: %s" % (c.role, c.peer_source_summary()))
                bad = [k for k, v in c.peer_sources.items() if v & (2 | 4 | 8)]
                if bad:
                    raise Fail("libtorrent %s found peers other than through the tracker: %s"
                               % (c.role, c.peer_source_summary()))

        # 5. bytes
        got_path = os.path.join(leech_dir, PAYLOAD_NAME)
        if not os.path.exists(got_path):
            raise Fail("leecher finished but %s does not exist" % got_path)
        got_size = os.path.getsize(got_path)
        got = sha256_file(got_path)
        if got_size != args.size or got != want:
            raise Fail("downloaded file differs: %d bytes sha256 %s, want %d bytes sha256 %s"
                       % (got_size, got, args.size, want))
        ok = True
        total = deadline.elapsed()
        summary = ("e2e: PASS %s %d bytes in %.1f s (seeder visible after %.1f s, "
                   "transfer %.1f s)" % (label, args.size, total, t_seed, t_transfer))
    except Fail as e:
        summary = "e2e: FAIL %s: %s" % (label, e)
    except Exception as e:  # unexpected: still clean up and report
        summary = "e2e: FAIL %s: %s: %s" % (label, type(e).__name__, e)
    finally:
        for c in reversed(clients):
            try:
                c.stop()
            except Exception as e:
                print("e2e: warning: stopping %s %s: %s" % (c.name, c.role, e), flush=True)

    if not ok:
        for c in clients:
            for path, lines in c.logs():
                print("---- %s %s: tail of %s" % (c.name, c.role, path))
                for line in lines:
                    print("    " + line)
        print("---- workdir kept: %s" % workdir)
    elif temp and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(summary, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
