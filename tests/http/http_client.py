#!/usr/bin/env python3
"""Raw-socket HTTP clients for the HTTP API tests (tests/http/test_http_api.sh).

  sse-crowd PORT GAME OUT READY [IDLE]  one SSE reader that records every event until a
                                        final document, IDLE clients drained in the
                                        background, and one client that never reads;
                                        touches READY once all are connected
  sse-first PORT GAME LAST_ID OUT       reconnects with Last-Event-ID: the first event
  sse-two PORT GAME                     opens an SSE stream, then a second one while the
                                        first is open: prints the second's status
  sse-peers PORT GAME                   an SSE stream from 127.0.0.1, then one more from it
                                        and one from 127.0.0.2: prints their statuses
  slowloris PORT                        one header byte a second: prints the seconds
                                        until the server closed the connection
  conn-limit PORT N                     N idle connections, then one more: prints
                                        "closed" when the server closes that one
  hold PORT GAME READY                  keeps an SSE stream, an idle keep-alive connection
                                        and a half-sent request open; touches READY, then
                                        prints "eof" once the server has closed all three
  listening PID                         exit 0 when PID has a listening TCP socket
  listen-addrs PID                      prints the local address of each listening TCP
                                        socket of PID (from /proc/net/tcp and tcp6)
  hostile PORT                          requests with an ambiguous length, upgrades and
                                        CONNECT: each must get its one error status and
                                        its connection closed (nothing smuggled after it)
  slow-body PORT GAP LEN AUTH           POST /minio/events with a LEN-byte body sent one
                                        byte every GAP seconds: prints the status, once
                                        the server answers
  hold-idle PORT N READY STOP           opens N connections that send nothing; touches
                                        READY, and once STOP exists prints how many the
                                        server kept open, and closes them
  post-headers PORT AUTH                POST /minio/events headers (Authorization: AUTH)
                                        announcing a body that is never sent: prints the
                                        status, or "no answer"
Assertions on outcomes only: every timeout here is a generous safety net.
"""
import json
import os
import selectors
import socket
import sys
import time


def connect(port, rcvbuf=None, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:  # another loopback address: another client as the server sees it
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def request(path, headers=()):
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream", *headers, "", ""]
    return "\r\n".join(lines).encode()


class SSE:
    """Reads an SSE response from a socket: the status, then events as they come."""

    def __init__(self, sock):
        self.sock, self.buf, self.status = sock, b"", None

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the stream")
        self.buf += data

    def read_status(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        return self.status

    def next_event(self):
        while True:
            while b"\n\n" not in self.buf:
                self._fill()
            block, self.buf = self.buf.split(b"\n\n", 1)
            ev = {}
            for line in block.decode("utf-8").split("\n"):
                if line.startswith(":"):
                    continue
                k, _, v = line.partition(": ")
                ev[k] = v
            if ev:
                return ev


def sse_crowd(port, game, out, ready, idle=200):
    path = f"/v1/games/{game}/events"
    reader = connect(port)
    reader.sendall(request(path))
    r = SSE(reader)
    assert r.read_status() == 200, f"reader got {r.status}"
    crowd = []
    for _ in range(idle):
        c = connect(port)
        c.sendall(request(path))
        crowd.append(c)
    # never calls recv(); a small receive buffer so its backlog builds on the server
    stuck = connect(port, rcvbuf=2048)
    stuck.sendall(request(path))
    # the idle crowd is drained by a child process, so the reader below never waits for
    # the interpreter behind 200 other sockets (under a loaded sanitizer build it did, and
    # the server rightly dropped it as too slow)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(wfd)
        sel = selectors.DefaultSelector()
        for c in crowd:
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
        sel.register(rfd, selectors.EVENT_READ)
        while True:
            for key, _ in sel.select(0.5):
                if key.fileobj == rfd:
                    os._exit(0)
                try:
                    if not key.fileobj.recv(65536):
                        sel.unregister(key.fileobj)
                except OSError:
                    sel.unregister(key.fileobj)
    os.close(rfd)
    open(ready, "w").close()
    reader.settimeout(300)
    events = []
    while True:
        ev = r.next_event()
        doc = json.loads(ev["data"])
        events.append({"id": int(ev["id"]), "event": ev.get("event"), "_id": doc.get("_id"),
                       "state": doc.get("state")})
        if doc.get("state") == "final":
            break
    os.close(wfd)
    os.waitpid(pid, 0)
    json.dump(events, open(out, "w"))
    for c in crowd + [stuck, reader]:
        c.close()


def sse_first(port, game, last_id, out):
    s = connect(port)
    s.settimeout(60)
    s.sendall(request(f"/v1/games/{game}/events", [f"Last-Event-ID: {last_id}"]))
    r = SSE(s)
    assert r.read_status() == 200, f"reconnect got {r.status}"
    ev = r.next_event()
    json.dump(ev, open(out, "w"))
    s.close()


def sse_two(port, game):
    first = connect(port)
    first.settimeout(60)
    first.sendall(request(f"/v1/games/{game}/events"))
    r = SSE(first)
    assert r.read_status() == 200, f"the first stream got {r.status}"
    second = connect(port)
    second.settimeout(60)
    second.sendall(request(f"/v1/games/{game}/events"))
    print(SSE(second).read_status())
    first.close()
    second.close()


def sse_peers(port, game):
    """An SSE stream from 127.0.0.1, then a second from it and one from 127.0.0.2 while the
    first is open: prints the two statuses."""
    def stream(source):
        c = connect(port, source=source)
        c.settimeout(60)
        c.sendall(request(f"/v1/games/{game}/events"))
        return c, SSE(c).read_status()
    first, st = stream("127.0.0.1")
    assert st == 200, f"the first stream got {st}"
    same, st_same = stream("127.0.0.1")
    other, st_other = stream("127.0.0.2")
    print(st_same, st_other)
    for c in (first, same, other):
        c.close()


def slowloris(port):
    # the clock starts before connect(): the server may accept (and start its header
    # timeout) before this process runs again after the handshake
    t0 = time.monotonic()
    s = connect(port)
    s.settimeout(120)
    data = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    for b in data:
        try:
            s.send(bytes([b]))
        except OSError:
            break
        # the server's close shows up as readable EOF (or a reset)
        s.settimeout(1.0)
        try:
            got = s.recv(4096)
            if not got:
                break
            print(f"unexpected answer: {got[:80]!r}", file=sys.stderr)
            sys.exit(1)
        except socket.timeout:
            continue
        except OSError:
            break
    else:
        print("the whole request went through at one byte a second", file=sys.stderr)
        sys.exit(1)
    print(f"{time.monotonic() - t0:.3f}")


def conn_limit(port, n):
    held = [connect(port) for _ in range(n)]
    time.sleep(0.2)
    extra = connect(port)
    extra.settimeout(30)
    try:
        got = extra.recv(4096)
        print("closed" if not got else f"answered: {got[:60]!r}")
    except ConnectionResetError:
        print("closed")
    except socket.timeout:
        print("still open")
    for c in held + [extra]:
        c.close()


def hold(port, game, ready):
    sse = connect(port)
    sse.sendall(request(f"/v1/games/{game}/events"))
    r = SSE(sse)
    assert r.read_status() == 200
    idle = connect(port)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not got.endswith(b"\r\n\r\nok"):
        got += idle.recv(4096)
    half = connect(port)
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost:")
    open(ready, "w").close()
    for s in (sse, idle, half):
        s.settimeout(60)
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
    print("eof")


def listen_addrs(pid):
    """The local addresses ("127.0.0.1:8080", "[::1]:8080") of PID's listening TCP sockets."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    addrs = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in open(table).readlines()[1:]:
            f = line.split()
            if f[3] != "0A" or f[9] not in inodes:
                continue
            hexip, hexport = f[1].split(":")
            raw = bytes.fromhex(hexip)
            # the kernel prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            ip = socket.inet_ntop(family, raw)
            addrs.append(f"[{ip}]:{int(hexport, 16)}" if family == socket.AF_INET6 else f"{ip}:{int(hexport, 16)}")
    return addrs


def listening(pid):
    sys.exit(0 if listen_addrs(pid) else 1)


# name, request bytes, the status it must get; each connection must then be closed by the
# server with nothing more sent (a second answer would be a request smuggled in the body)
HOSTILE = [
    ("two Content-Length headers", b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n"
     b"abGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("Content-Length: 2, 30", b"POST /minio/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 30\r\n\r\n{}", 400),
    ("Content-Length: +2", b"POST /minio/events HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}", 400),
    ("GET with Transfer-Encoding: chunked", b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("Transfer-Encoding with Content-Length", b"POST /minio/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
     b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("POST with Transfer-Encoding: chunked", b"POST /minio/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n", 411),
    ("Transfer-Encoding : chunked (a blank before the colon)", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("Content-Length \t : 5 (a space, a tab, a space before the colon)", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length \t : 5\r\n\r\n"
     b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("Upgrade: websocket", b"GET /v1/games HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
    ("Upgrade: h2c", b"GET /v1/games/game-1/events HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
     b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", 400),
    ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405),
    # (test_http_hostile.sh's token) before: no answer at all, the connection cut at the timeout
    ("POST /minio/events without a Content-Length", b"POST /minio/events HTTP/1.1\r\nHost: x\r\n"
     b"Authorization: Bearer s3cret\r\nContent-Type: application/json\r\n\r\n", 411),
]


def exchange(port, data, timeout=20):
    """Sends data, reads until the server closes: (everything received, closed by the server)."""
    s = connect(port)
    s.settimeout(timeout)
    s.sendall(data)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got, True
            got += chunk
    except ConnectionResetError:
        return got, True
    except socket.timeout:
        return got, False
    finally:
        s.close()


def hostile(port):
    bad = []
    for name, data, want in HOSTILE:
        got, closed = exchange(port, data)
        status = int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.1 ") else None
        answers = got.count(b"HTTP/1.1 ")
        if status != want or not closed or answers != 1:
            bad.append(f"{name}: status {status} (want {want}), closed {closed}, {answers} answers: {got[:300]!r}")
        else:
            print(f"{name}: {status}, closed")
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1 if bad else 0)


def slow_body(port, gap, n, auth):
    s = connect(port)
    s.settimeout(120)
    s.sendall(b"POST /minio/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Authorization: %s\r\nContent-Length: %d\r\n\r\n" % (auth.encode(), n))
    for _ in range(n):
        try:
            s.send(b" ")
        except OSError:
            break
        s.settimeout(gap)
        try:
            got = s.recv(4096)
            break
        except socket.timeout:
            continue
        except OSError:
            got = b""
            break
    else:
        s.settimeout(30)
        got = s.recv(4096)
    print(int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.1 ") else "closed")


def hold_idle(port, n, ready, stop):
    held = []
    for _ in range(n):
        try:
            held.append(connect(port))
        except OSError:
            pass  # a full accept queue: not held
    open(ready, "w").close()
    while not os.path.exists(stop):
        time.sleep(0.2)
    kept = 0
    for c in held:
        c.setblocking(False)
        try:
            kept += c.recv(1) != b""  # b"": the server closed it
        except BlockingIOError:
            kept += 1  # still open, nothing to read
        except OSError:
            pass
        c.close()
    print(kept)


def post_headers(port, auth):
    got, _ = exchange(port, b"POST /minio/events HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth.encode() +
                      b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", timeout=3)
    print(int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.1 ") else "no answer")


def sse_junk(port, game, n, mode):
    """n stream requests at once, each with a body (mode body: Content-Length 1, its byte and
    one more) or with a byte after it (pipelined); what came is read, then each is closed.
    Prints how many got 400, how many 200, and how many the server closed meanwhile."""
    extra = b"Content-Length: 1\r\n\r\nxG" if mode == "body" else b"\r\nG"
    held = []
    for _ in range(n):
        s = connect(port)
        s.sendall(b"GET /v1/games/" + game.encode() + b"/events HTTP/1.1\r\nHost: x\r\n" + extra)
        held.append(s)
    time.sleep(1)
    codes = {400: 0, 200: 0}
    closed = 0
    for s in held:
        s.settimeout(2)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
            closed += 1
        except (socket.timeout, ConnectionResetError):
            pass
        if got.startswith(b"HTTP/1.1 "):
            code = int(got.split(b" ", 2)[1])
            codes[code] = codes.get(code, 0) + 1
        s.close()
    print(f"{codes[400]} {codes[200]} {closed}")


def post_crowd(port, n, auth):
    """n webhook POSTs at once, each with a 100,000-byte Content-Length and only its first
    bytes sent: their bodies are held. Prints how many were answered 503 meanwhile, then
    closes them all."""
    held = []
    for _ in range(n):
        s = connect(port)
        s.sendall(b"POST /minio/events HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth.encode() +
                  b"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"Records\": [")
        held.append(s)
    time.sleep(1)
    busy = 0
    for s in held:
        s.setblocking(False)
        try:
            busy += s.recv(4096).startswith(b"HTTP/1.1 503 ")
        except (BlockingIOError, ConnectionResetError):
            pass
        s.close()
    print(busy)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "sse-crowd":
        sse_crowd(int(args[0]), args[1], args[2], args[3], *(int(a) for a in args[4:]))
    elif cmd == "sse-first":
        sse_first(int(args[0]), args[1], args[2], args[3])
    elif cmd == "sse-two":
        sse_two(int(args[0]), args[1])
    elif cmd == "sse-peers":
        sse_peers(int(args[0]), args[1])
    elif cmd == "slowloris":
        slowloris(int(args[0]))
    elif cmd == "conn-limit":
        conn_limit(int(args[0]), int(args[1]))
    elif cmd == "hold":
        hold(int(args[0]), args[1], args[2])
    elif cmd == "sse-junk":
        sse_junk(int(args[0]), args[1], int(args[2]), args[3])
    elif cmd == "post-crowd":
        post_crowd(int(args[0]), int(args[1]), args[2])
    elif cmd == "listening":
        listening(args[0])
    elif cmd == "listen-addrs":
        print("\n".join(listen_addrs(args[0])))
    elif cmd == "hostile":
        hostile(int(args[0]))
    elif cmd == "slow-body":
        slow_body(int(args[0]), float(args[1]), int(args[2]), args[3])
    elif cmd == "hold-idle":
        hold_idle(int(args[0]), int(args[1]), args[2], args[3])
    elif cmd == "post-headers":
        post_headers(int(args[0]), args[1])
    else:
        sys.exit(f"unknown command {cmd}")
