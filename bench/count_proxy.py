#!/usr/bin/env python3
"""bench/count_proxy.py PORT UPSTREAM_PORT OUT: a pass-through TCP proxy from 127.0.0.1:PORT to
127.0.0.1:UPSTREAM_PORT that appends "<time> <method> <path>" to OUT for every request line the
client sends (bench/games.sh and bench/push.sh count the pipeline's S3 requests with it; the
pipeline sends no request bodies, so every line that looks like a request line is one)."""
import asyncio, re, sys, time
port, upstream, out = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "a", buffering=1)
REQ = re.compile(rb"^(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP/1\.[01]$")
async def pipe(r, w, count):
    buf = b""
    try:
        while data := await r.read(65536):
            if count:
                buf += data
                *lines, buf = buf.split(b"\r\n")
                for l in lines:
                    m = REQ.match(l)
                    if m:
                        out.write(f"{time.time():.3f} {m.group(1).decode()} {m.group(2).decode()}\n")
            w.write(data)
            await w.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        w.close()
async def client(cr, cw):
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", upstream)
    except OSError:
        cw.close()
        return
    await asyncio.gather(pipe(cr, uw, True), pipe(ur, cw, False))
async def main():
    srv = await asyncio.start_server(client, "127.0.0.1", port)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
