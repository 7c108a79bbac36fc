#!/usr/bin/python3
"""The live page on the real pipeline, in headless chromium, while gamestream-sim plays.

    test_live_page.py URL DOCS_DIR EVENTS_FILE PAGE_FILE SCREENSHOT -- SIM COMMAND...

URL is the pipeline's HTTP server, DOCS_DIR its directory sink, EVENTS_FILE the game the
sim replays, PAGE_FILE pipeline/web/index.html. The page is opened before the first event;
then the sim is started, and the test checks that:
- GET / serves the embedded page, byte for byte;
- the score shown changes while the game is played, in the same window (no reload);
- it ends at the final score of the stream (goals summed per team, independently of the
  pipeline), the state shows Final, and every number of the page equals the final document.
"""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import WAIT, chrome, mismatches, shown, wait_until  # noqa: E402

# every score the page renders, recorded in the page itself so that none is missed between polls
RECORD_JS = r"""
window.__scores = window.__scores || [];
const note = () => {
  const s = document.getElementById('away-score').textContent + '-' + document.getElementById('home-score').textContent;
  if (window.__scores[window.__scores.length - 1] !== s) window.__scores.push(s);
};
note();
new MutationObserver(note).observe(document.getElementById('view'), {subtree: true, childList: true, characterData: true});
"""


def expected_final(events_file, home=101, away=205):
    """Goals per team, summed from the stream up to its end (event -1, team 0 or 00:00)."""
    score = {home: 0, away: 0}
    for line in open(events_file):
        f = line.split()
        if len(f) != 5:
            continue
        eid, clock, team, goal = int(f[0]), f[1], int(f[2]), int(f[4])
        if eid == -1 or team == 0:
            break
        if team in score:
            score[team] += goal
        if clock == "00:00":
            break
    return score[home], score[away]


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok - " + what)


def main():
    sep = sys.argv.index("--")
    url, docs_dir, events_file, page_file, screenshot = sys.argv[1:sep]
    sim = sys.argv[sep + 1:]
    served = urllib.request.urlopen(url, timeout=30).read()
    check(served == open(page_file, "rb").read(), "GET / serves the embedded page byte for byte")
    home, away = expected_final(events_file)

    driver = chrome()
    proc = None
    try:
        driver.get(url + "?game=game-1")
        wait_until(driver, "the page script", lambda d: shown(d)["loaded"] is not None)
        marker = shown(driver)["loaded"]
        driver.execute_script(RECORD_JS)
        proc = subprocess.Popen(sim, stdout=subprocess.DEVNULL)  # its log lines go to ours
        wait_until(driver, "the final score %d-%d" % (home, away),
                   lambda d: shown(d)["state"] == "final" and shown(d)["home_score"] == str(home)
                   and shown(d)["away_score"] == str(away), timeout=WAIT * 4)
        check(proc.wait(timeout=WAIT) == 0, "gamestream-sim played the game")
        page = shown(driver)
        scores = driver.execute_script("return window.__scores")
        check(page["loaded"] == marker, "the same page all along: never reloaded")
        check(len(scores) >= 3 and scores[-1] == "%d-%d" % (away, home),
              "the score shown changed live (%d scores, ending %s)" % (len(scores), scores[-1]))
        check(page["state"] == "final" and driver.find_element("id", "state").text.lower() == "final",
              "the state shows Final")
        final_id = max(int(f[:-5]) for f in os.listdir(docs_dir) if f[:-5].isdigit() and f.endswith(".json"))
        doc = json.load(open(os.path.join(docs_dir, "%d.json" % final_id)))
        bad = mismatches(page, doc)
        check(not bad, "the page equals the final document %d (players, line score, goals) %s" % (final_id, bad or ""))
        api = json.load(urllib.request.urlopen(url + "v1/games/game-1", timeout=30))
        check(api.get("_id") == doc["_id"], "the API's latest document is the sink's final one")
        driver.save_screenshot(screenshot)
        print("screenshot: " + screenshot)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
        driver.quit()


if __name__ == "__main__":
    main()
