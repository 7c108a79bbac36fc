#!/usr/bin/python3
"""Holds N idle TCP connections to 127.0.0.1:PORT (a crowd that never sends a byte), for the
descriptor exhaustion tests (tests/pipeline/test_fd_exhaustion.sh).

    idle_clients.py PORT N SECONDS READY

Connects N sockets (retrying while the port refuses), touches READY once each has been
established, and keeps N held: a connection the server closes is opened again 0.5 s later,
so the pressure lasts. Stops after SECONDS, or on SIGTERM, closing every socket, and prints
"held N; established E; closed by the server C" on stdout.
"""
import errno
import os
import selectors
import signal
import socket
import sys
import time

REOPEN_S = 0.5


def main():
    port, n, seconds, ready = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    deadline = time.monotonic() + seconds
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sel = selectors.DefaultSelector()
    pending = [0.0] * n            # slot -> when to (re)open it; None while a socket holds it
    sock = [None] * n
    connected = [False] * n
    seen = set()                   # slots established at least once
    established = closed = 0

    def drop(i):
        sel.unregister(sock[i])
        sock[i].close()
        sock[i], connected[i], pending[i] = None, False, time.monotonic() + REOPEN_S

    while not stop and time.monotonic() < deadline:
        now = time.monotonic()
        for i in range(n):
            if sock[i] is None and pending[i] is not None and pending[i] <= now:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                rc = s.connect_ex(("127.0.0.1", port))
                if rc not in (0, errno.EINPROGRESS):
                    s.close()
                    pending[i] = now + 0.05
                    continue
                sock[i], pending[i] = s, None
                sel.register(s, selectors.EVENT_WRITE, i)
        for key, _ in sel.select(0.05):
            i = key.data
            s = sock[i]
            if not connected[i]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:                      # refused (not listening yet): try again soon
                    drop(i)
                    pending[i] = time.monotonic() + 0.05
                    continue
                connected[i] = True
                established += 1
                seen.add(i)
                sel.modify(s, selectors.EVENT_READ, i)
                if len(seen) == n:
                    open(ready, "a").close()
                continue
            try:
                data = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:                     # the server closed it: open another
                closed += 1
                drop(i)
    for s in sock:
        if s is not None:
            s.close()
    print(f"held {n}; established {established}; closed by the server {closed}")


if __name__ == "__main__":
    main()
