#!/usr/bin/python3
"""hold_relay.py LISTEN_PORT UPSTREAM_PORT HOLD: a TCP relay on 127.0.0.1 for any protocol
(TDS, say). While the file HOLD exists, what clients send is held, not forwarded (the
server's answers still pass): a query sent then waits, as on a server that has stopped
answering, until a test removes HOLD; then it goes through unchanged. Each connection
accepted appends a line "<unix time> connection" to HOLD + ".log", and each send held
"<unix time> held N bytes"."""
import asyncio
import sys
import time

from relay import pipe

LISTEN, UPSTREAM, HOLD = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
log = open(HOLD + ".log", "a", buffering=1, encoding="utf-8")


async def serve(creader, cwriter):
    log.write(f"{time.time():.3f} connection\n")
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        cwriter.close()
        return
    held = lambda n: log.write(f"{time.time():.3f} held {n} bytes\n")
    await asyncio.gather(pipe(creader, swriter, HOLD, held), pipe(sreader, cwriter))


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
