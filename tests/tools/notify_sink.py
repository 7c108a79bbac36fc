#!/usr/bin/env python3
"""A webhook receiver for tests: answers every POST with STATUS (200 by default) and
appends one JSON line per request to OUT: {"path", "authorization", "body"}.

usage: notify_sink.py PORT OUT [STATUS]
"""
import http.server
import json
import sys

port, out = int(sys.argv[1]), sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else 200


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": self.path, "authorization": self.headers.get("Authorization"),
                                "body": body.decode("utf-8")}) + "\n")
        answer = b"recorded\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()
