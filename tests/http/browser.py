"""Shared by the page's browser tests: Debian's headless chromium through chromium-driver,
and a reading of what the live page shows, to compare with a box-score document."""
import os
import shutil
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from oracle import quarter_clock  # noqa: E402  (the independent model's clock)

WAIT = 60  # seconds: generous, the tests assert outcomes, not timings


def chrome(width=1280, height=1000):
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    # CI runs as root: no sandbox; no GPU; /dev/shm may be small in containers
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % (width, height), "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--disable-component-update"):
        opts.add_argument(a)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path, log_path=os.devnull), options=opts)


def wait_until(driver, what, fn, timeout=WAIT):
    """Waits until fn(driver) is truthy; fails naming `what` and the last reading."""
    last = {}

    def probe(d):
        last["v"] = shown(d)
        return fn(d)
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(probe)
    except Exception as e:
        raise AssertionError("timed out waiting for %s; the page shows %r" % (what, last.get("v"))) from e


def click(driver, css, timeout=10):
    """Clicks the element css names, as a person would. The page rebuilds the scoreboard
    when the game list changes, so an element found a moment ago may be gone: find it again."""
    end = time.time() + timeout
    while True:
        try:
            driver.find_element("css selector", css).click()
            return
        except StaleElementReferenceException:
            if time.time() > end:
                raise
            time.sleep(0.05)


SHOWN_JS = r"""
const t = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
const players = side => Array.from(document.querySelectorAll('#players-' + side + ' tbody tr[data-player-id]')).map(tr => {
  const v = f => tr.querySelector('[data-field="' + f + '"]').getAttribute('data-value');
  return {id: tr.getAttribute('data-player-id'), rostered: tr.getAttribute('data-rostered') === 'true',
          number: tr.getAttribute('data-number'), name: v('name'), shown_name: tr.querySelector('[data-field="name"]').textContent,
          shots: +v('shots'), goals: +v('goals'), pct: +v('pct')};
});
const line = side => Array.from(document.querySelectorAll('#line-' + side + ' td[data-q]')).map(td => td.textContent);
return {loaded: window.__loaded_once || null, game: document.getElementById('game').getAttribute('data-game-id'),
        event_id: document.getElementById('game').getAttribute('data-event-id'),
        home_name: t('home-name'), away_name: t('away-name'), home_score: t('home-score'), away_score: t('away-score'),
        state: document.getElementById('state').getAttribute('data-state'), state_text: t('state'),
        clock: t('clock'), period: t('period'), conn: document.getElementById('conn').getAttribute('data-status'),
        pill: t('conn'), pill_state: document.getElementById('conn').getAttribute('data-game-state'),
        line_home: line('home'), line_away: line('away'),
        home_shots: t('home-shots'), away_shots: t('away-shots'),
        scoring: Array.from(document.querySelectorAll('#scoring tr[data-event-id]')).map(tr => +tr.getAttribute('data-event-id')),
        scoring_times: Array.from(document.querySelectorAll('#scoring tr[data-event-id]')).map(tr => tr.cells[0].textContent),
        players_home: players('home'), players_away: players('away'),
        scoreboard: Array.from(document.querySelectorAll('#scoreboard [data-game-id]')).map(a => a.getAttribute('data-game-id'))};
"""


def shown(driver):
    return driver.execute_script(SHOWN_JS)


def quarter_of(timestamp):
    """The quarter clock a fan reads for a document's game clock ("51:18" -> "6:18")."""
    mm, ss = timestamp.split(":")
    return quarter_clock(int(mm) * 60 + int(ss))


def mismatches(page, doc):
    """What the page shows that differs from the document (an empty list when it all agrees)."""
    bad = []

    def eq(what, got, want):
        if got != want:
            bad.append("%s: page %r, document %r" % (what, got, want))
    eq("event id", page["event_id"], str(doc.get("event_id", doc["_id"])))
    eq("state", page["state"], doc["state"])
    eq("clock (the quarter's)", page["clock"], quarter_of(doc["timestamp"]))
    eq("period", page["period"], "Q%d" % doc["period"])
    eq("goal rows", page["scoring"], [s["event_id"] for s in doc["scoring"]])
    eq("goal times (the quarter's)", page["scoring_times"], [quarter_of(s["timestamp"]) for s in doc["scoring"]])
    for side in ("home", "away"):
        t = doc[side]
        eq(side + " name", page[side + "_name"], t["name"])
        eq(side + " score", page[side + "_score"], str(t["score"]))
        eq(side + " shots", page[side + "_shots"], str(t["shots"]))
        eq(side + " line score total", page["line_" + side][-1], str(t["score"]))
        played = [str(g) for g in t["line_score"][:doc["period"] if doc["state"] != "final" else 4]]
        eq(side + " line score", page["line_" + side][:len(played)], played)
        want = [{"id": "" if p["id"] is None else str(p["id"]), "rostered": p["rostered"],
                 "number": p["number"], "name": p["name"] or "", "shots": p["shots"], "goals": p["goals"],
                 "pct": p["pct"]} for p in t["players"]]
        got = [{k: v for k, v in p.items() if k != "shown_name"} for p in page["players_" + side]]
        eq(side + " players", got, want)
    return bad
