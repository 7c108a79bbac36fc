#!/usr/bin/python3
"""A stand-in for the pipeline's read API (issue 9), for testing the live page alone.

It serves what the real server serves to the page, from documents it is handed:
    GET /                       the page (pipeline/web/index.html)
    GET /favicon.ico            its icon (pipeline/web/favicon.svg)
    GET /v1/games               {"games": [summary, ...]}
    GET /v1/games/{id}          the latest document of a game (ETag: its event id)
    GET /v1/games/{id}/events   Server-Sent Events: `event: boxscore`, `id:`, `data:` one line;
                                the latest document at once, heartbeats as comment lines
Tests drive it in-process (FakeApi.push, drop_streams, refuse_streams). By hand, it replays
box-score documents written by the pipeline's directory sink:

    python3 tests/http/fake_api.py --port 18300 --docs var/boxscores --delay 0.5
"""
import argparse
import glob
import json
import os
import queue
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pipeline", "web")
PAGE = os.path.join(WEB, "index.html")


def summary(doc):
    """The /v1/games entry of a document, as the real server lists it."""
    side = lambda t: {"teamid": t.get("teamid"), "name": t.get("name"), "score": t.get("score")}
    return {"game": doc["game"], "state": doc["state"], "home": side(doc["home"]), "away": side(doc["away"]),
            "period": doc.get("period"), "timestamp": doc.get("timestamp"), "quarter_clock": doc.get("quarter_clock"),
            "event_id": doc.get("event_id", doc.get("_id")), "updated_at": doc.get("updated_at")}


class FakeApi:
    def __init__(self, page=PAGE, host="127.0.0.1", port=0, heartbeat=2.0):
        self.page = open(page, "rb").read()
        self.icon = open(os.path.join(WEB, "favicon.svg"), "rb").read()
        self.lock = threading.Lock()
        self.order = []          # game ids, in the order /v1/games lists them
        self.latest = {}         # game id -> latest document
        self.scheduled = {}      # game id -> summary of a game with no document yet
        self.clients = []        # one queue per open SSE stream
        self.refusing = False
        self.heartbeat = heartbeat
        self.requests = []       # paths asked for, in order
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                api.requests.append(self.path)
                path = urlsplit(self.path).path
                if path == "/":
                    return self.reply(200, api.page, "text/html; charset=utf-8")
                if path == "/favicon.ico":
                    return self.reply(200, api.icon, "image/svg+xml")
                if path == "/v1/games":
                    return self.reply(200, json.dumps({"games": api.games()}).encode(), "application/json")
                m = re.fullmatch(r"/v1/games/([^/]+)(/events)?", path)
                if not m:
                    return self.reply(404, b'{"status":404,"message":"not found"}', "application/json")
                game = unquote(m.group(1))
                if m.group(2):
                    return self.stream(game)
                with api.lock:
                    doc = api.latest.get(game)
                if doc is None:
                    return self.reply(404, b'{"status":404,"message":"no such game"}', "application/json")
                self.reply(200, json.dumps(doc).encode(), "application/json", {"ETag": '"%s"' % doc["_id"]})

            def reply(self, status, body, ctype, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def stream(self, game):
                if api.refusing:
                    return self.reply(503, b'{"status":503,"message":"unavailable"}', "application/json")
                q = queue.Queue()
                with api.lock:
                    doc = api.latest.get(game)
                    api.clients.append((game, q))
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-store")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    if doc is not None:
                        self.event(doc)
                    while True:
                        try:
                            item = q.get(timeout=api.heartbeat)
                        except queue.Empty:
                            self.wfile.write(b": heartbeat\n\n")
                            self.wfile.flush()
                            continue
                        if item is None:
                            return
                        self.event(item)
                except OSError:
                    return
                finally:
                    with api.lock:
                        api.clients = [c for c in api.clients if c[1] is not q]

            def event(self, doc):
                line = json.dumps(doc, separators=(",", ":"))
                self.wfile.write(("event: boxscore\nid: %s\ndata: %s\n\n" % (doc["_id"], line)).encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d/" % (host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.drop_streams()
        self.server.shutdown()
        self.server.server_close()

    def games(self):
        with self.lock:
            return [summary(self.latest[g]) if g in self.latest else self.scheduled[g] for g in self.order]

    def schedule(self, game, home, away):
        """A game with no document yet: listed as scheduled."""
        with self.lock:
            if game not in self.order:
                self.order.append(game)
            self.scheduled[game] = {"game": game, "state": "scheduled", "home": dict(home, score=0),
                                    "away": dict(away, score=0), "period": None, "timestamp": None, "quarter_clock": None,
                                    "event_id": None, "updated_at": None}

    def push(self, doc):
        """A new document: it becomes the game's latest and goes to every stream of the game."""
        with self.lock:
            game = doc["game"]
            if game not in self.order:
                self.order.append(game)
            self.latest[game] = doc
            for g, q in self.clients:
                if g == game:
                    q.put(doc)

    def drop_streams(self):
        with self.lock:
            for _, q in self.clients:
                q.put(None)

    def refuse_streams(self, refuse):
        """While refusing, every new stream is answered 503 (the browser keeps retrying)."""
        self.refusing = refuse

    def open_streams(self):
        with self.lock:
            return len(self.clients)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=18300)
    ap.add_argument("--docs", required=True, help="a directory sink's folder: N.json, or GAME/N.json")
    ap.add_argument("--delay", type=float, default=0.5, help="seconds between documents")
    ap.add_argument("--page", default=PAGE)
    a = ap.parse_args()
    files = glob.glob(os.path.join(a.docs, "[0-9]*.json")) + glob.glob(os.path.join(a.docs, "*", "[0-9]*.json"))
    docs = sorted((json.load(open(f)) for f in files), key=lambda d: (d.get("event_id", d["_id"]), d["game"]))
    api = FakeApi(a.page, port=a.port).start()
    print("serving %s (%d documents)" % (api.url, len(docs)), file=sys.stderr)
    for d in docs:
        api.push(d)
        time.sleep(a.delay)
    print("all documents sent; Ctrl-C to stop", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
