#!/usr/bin/python3
"""count_proxy.py LISTEN_PORT UPSTREAM_PORT LOG: an HTTP/1.1 TCP relay on 127.0.0.1 that
writes one line "<unix time> METHOD PATH" to LOG for every request a client sends through it (keep-alive
connections included: each request's headers are read, its Content-Length body is skipped),
so a test or a benchmark (bench/games.sh, push.sh, kafka.sh) can count the requests a program
makes to a server. Bytes are relayed unchanged
both ways. An upstream that refuses the connection closes the client's (as a dead server
would). Chunked request bodies are not parsed (the project's S3 clients send lengths).

count_proxy.py LISTEN_PORT UPSTREAM_PORT LOG STALL: also holds every request whose path
contains STALL (it is logged, not forwarded) while the file LOG.hold exists: a server that
hangs on one object, for as long as a test wants. STALL may list several substrings,
separated by commas: a request with the i-th (from 0) in its path is held while LOG.hold
(i = 0) or LOG.hold.i exists, so a test lets them through one by one."""
import asyncio
import os
import sys
import time

from relay import pipe

LISTEN, UPSTREAM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
STALL = sys.argv[4].split(",") if len(sys.argv) > 4 else []
HOLDS = [LOG + ".hold" + (f".{i}" if i else "") for i in range(len(STALL))]


def hold_of(path):
    """The file that holds a request for path while it exists, or None."""
    return next((h for s, h in zip(STALL, HOLDS) if s in path), None)
log = open(LOG, "a", buffering=1, encoding="utf-8")


async def client_to_server(reader, writer):
    """Relays requests, logging each one's request line."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = (lines[0].split(" ") + ["", ""])[:2]
            length = 0
            for h in lines[1:]:
                name, _, value = h.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            log.write(f"{time.time():.3f} {method} {path}\n")
            hold = hold_of(path)
            while hold and os.path.exists(hold):
                await asyncio.sleep(0.1)
            writer.write(head)
            while length > 0:
                chunk = await reader.read(min(length, 65536))
                if not chunk:
                    return
                writer.write(chunk)
                length -= len(chunk)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, OSError, ValueError):
        pass
    finally:
        writer.close()


async def serve(creader, cwriter):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(client_to_server(creader, swriter), pipe(sreader, cwriter))


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
