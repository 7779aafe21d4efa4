#!/usr/bin/python3
"""Minimal loopback tracker for checking the e2e harness itself, not a tracker
to test. HTTP (/announce, /scrape) and UDP (BEP 15) on one port of 127.0.0.1,
compact IPv4 peers only, never returns the requester.

    mock_tracker.py PORT [--no-peers]

--no-peers answers every announce with an empty peer list: a negative control,
transfer.py must then FAIL (the clients have no other way to find each other).
"""
import socket
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NO_PEERS = "--no-peers" in sys.argv
swarm = {}  # info_hash -> {(ip, port): left}
lock = threading.Lock()


def be(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    return b"d" + b"".join(be(k) + be(x[k]) for k in sorted(x)) + b"e"


def announce(ih, ip, port, left, stopped):
    with lock:
        s = swarm.setdefault(ih, {})
        if stopped:
            s.pop((ip, port), None)
            return b""
        s[(ip, port)] = left
        if NO_PEERS:
            return b""
        return b"".join(socket.inet_aton(i) + struct.pack(">H", p)
                        for (i, p) in s if (i, p) != (ip, port))


def counts(ih):
    with lock:
        s = swarm.get(ih, {})
        seeders = sum(1 for v in s.values() if v == 0)
        return seeders, len(s) - seeders


class Http(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path, _, query = self.path.partition("?")
        qs = urllib.parse.parse_qs(query, keep_blank_values=True, encoding="latin-1")
        ihs = [v.encode("latin-1") for v in qs.get("info_hash", [])]
        try:
            if path == "/announce":
                ih = ihs[0]
                peers = announce(ih, self.client_address[0], int(qs["port"][0]),
                                 int(qs["left"][0]), qs.get("event", [""])[-1] == "stopped")
                c, i = counts(ih)
                body = be({b"interval": 1800, b"complete": c, b"incomplete": i, b"peers": peers})
            elif path == "/scrape":
                files = {}
                for ih in ihs:
                    c, i = counts(ih)
                    files[ih] = {b"complete": c, b"incomplete": i, b"downloaded": 0}
                body = be({b"files": files})
            else:
                body = be({b"failure reason": b"not found"})
        except (KeyError, IndexError, ValueError):
            body = be({b"failure reason": b"bad request"})
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_udp(sock):
    while True:
        d, addr = sock.recvfrom(2048)
        if len(d) < 16:
            continue
        _, action, tid = struct.unpack(">QII", d[:16])
        if action == 0:
            sock.sendto(struct.pack(">IIQ", 0, tid, 0x5EED), addr)
        elif action == 1 and len(d) >= 98:
            ih = d[16:36]
            left, = struct.unpack(">Q", d[64:72])
            event, = struct.unpack(">I", d[80:84])
            port, = struct.unpack(">H", d[96:98])
            peers = announce(ih, addr[0], port, left, event == 3)
            c, i = counts(ih)
            sock.sendto(struct.pack(">IIIII", 1, tid, 1800, i, c) + peers, addr)
        elif action == 2:
            out = struct.pack(">II", 2, tid)
            for k in range(16, len(d) - 19, 20):
                c, i = counts(d[k:k + 20])
                out += struct.pack(">III", c, 0, i)
            sock.sendto(out, addr)


def main():
    port = int(sys.argv[1])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", port), Http).serve_forever()


if __name__ == "__main__":
    main()
