"""CORS in headless chromium (issue 18, item 6): a page served on a second origin reads
/v1/games and opens the SSE stream of the pipeline when its origin is in --cors-origins;
a page on a third origin, not listed, is refused by the browser (fetch rejects, the
EventSource errors without a message).

usage: test_browser_cors.py PIPELINE_URL ALLOWED_PORT REFUSED_PORT"""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from browser import chrome

PAGE = b"<!doctype html><html><head><meta charset=utf-8><title>elsewhere</title></head><body>elsewhere</body></html>"

# Reads the API from the page's origin: the games list through fetch, the first document
# through EventSource; resolves with what the page could read (or the error it met).
PROBE_JS = r"""
const [api, done] = [arguments[0], arguments[arguments.length - 1]];
const out = {origin: location.origin};
fetch(api + '/v1/games').then(r => r.json()).then(j => { out.games = j.games.map(g => g.game); },
                                                 e => { out.fetch_error = String(e); })
.then(() => new Promise(res => {
  const es = new EventSource(api + '/v1/games/game-1/events');
  es.addEventListener('boxscore', ev => { out.sse_game = JSON.parse(ev.data).game; es.close(); res(); });
  es.onerror = () => { out.sse_error = es.readyState; es.close(); res(); };
})).then(() => done(out));
"""


def serve(port):
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *a):
            pass
    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main():
    api, ok_port, bad_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    servers = [serve(ok_port), serve(bad_port)]
    driver = chrome()
    failed = []
    try:
        driver.set_script_timeout(60)
        driver.get("http://127.0.0.1:%d/" % ok_port)
        ok = driver.execute_async_script(PROBE_JS, api)
        print("allowed origin:", ok)
        if ok.get("games") != ["game-1"]:
            failed.append("a page on the allowed origin cannot read /v1/games: %r" % ok)
        if ok.get("sse_game") != "game-1":
            failed.append("a page on the allowed origin cannot read the SSE stream: %r" % ok)
        driver.get("http://127.0.0.1:%d/" % bad_port)
        bad = driver.execute_async_script(PROBE_JS, api)
        print("refused origin:", bad)
        if "games" in bad or "fetch_error" not in bad:
            failed.append("a page on an origin not listed read /v1/games: %r" % bad)
        if "sse_game" in bad or "sse_error" not in bad:
            failed.append("a page on an origin not listed read the SSE stream: %r" % bad)
    finally:
        driver.quit()
        for s in servers:
            s.shutdown()
    for f in failed:
        print("FAIL:", f)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
