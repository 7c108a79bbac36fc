#!/usr/bin/python3
"""The live page alone, in headless chromium, against tests/http/fake_api.py.

    test_page.py DOCS_DIR SCREENSHOT_DIR

DOCS_DIR holds the pipeline's documents of the sample game (N.json). Team and player names
are made hostile (markup, quotes, entities, RTL, emoji) before they are served, and the test
checks that the page:
- picks the first game in progress when no ?game= is given, and lists every game;
- follows the game through SSE without a reload, and shows every number of the document
  (score, clock, state, line score, shots, every player, every goal);
- shows hostile names as text: no script runs, no element is made from data;
- shows "reconnecting" while the stream is down, and comes back by itself with the latest;
- shows a stalled game as stalled, switches games from the scoreboard, and fits a phone;
- shows the quarter clock (time left in the quarter), in the header and for each goal, and
  says in the header pill Live, Final, Stalled or Pre-game as the game is.
"""
import glob
import json
import os
import sys

from selenium.common.exceptions import NoAlertPresentException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import chrome, click, mismatches, shown, wait_until  # noqa: E402
from fake_api import FakeApi  # noqa: E402

HOSTILE_TEAM = '<script>alert(1)</script> & "Herons"'
HOSTILE_PLAYER = "<img src=x onerror=alert(2)>O'Brien &amp; \u202eZo\u00eb \U0001F94D"


def load(docs_dir):
    docs = [json.load(open(f)) for f in glob.glob(os.path.join(docs_dir, "[0-9]*.json"))]
    docs.sort(key=lambda d: d["_id"])
    for d in docs:
        d["home"]["name"] = HOSTILE_TEAM
        d["home"]["players"][0]["name"] = HOSTILE_PLAYER
        for s in d["scoring"]:
            if s["player_id"] == d["home"]["players"][0]["id"]:
                s["name"] = HOSTILE_PLAYER
    # a shooter missing from the roster, as the pipeline lists one: after the rostered players
    away = docs[-1]["away"]
    away["players"].append({"id": None, "name": None, "number": "99", "shots": 1, "goals": 0, "pct": 0.0,
                            "rostered": False})
    away["shots"] += 1
    return docs


def no_alert(driver):
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    raise AssertionError("a script from the data ran: alert(%r)" % text)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok - " + what)


def main():
    docs_dir, shots_dir = sys.argv[1], sys.argv[2]
    docs = load(docs_dir)
    assert len(docs) > 20 and docs[-1]["state"] == "final", "expected the sample game's documents"
    game = docs[0]["game"]
    api = FakeApi().start()
    # a scheduled game listed first: the page must still open the game in progress
    api.schedule("game-0-sched", {"teamid": 301, "name": "Lakeside Loons"}, {"teamid": 302, "name": "Summit Goats"})
    api.push(docs[9])
    driver = chrome()
    try:
        driver.get(api.url)
        wait_until(driver, "the game in progress", lambda d: shown(d)["event_id"] == str(docs[9]["_id"]))
        first = shown(driver)
        marker = first["loaded"]
        check(marker is not None, "the page sets its load marker")
        check(first["game"] == game, "with no ?game= the first game in progress is shown")
        check(first["scoreboard"] == ["game-0-sched", game], "the scoreboard lists every game")
        check(first["conn"] == "live" and first["pill"] == "Live", "the stream of a game in play is shown Live")

        # live: every later document replaces what is shown, without a reload
        for i in (25, 50, len(docs) - 1):
            api.push(docs[i])
            wait_until(driver, "document %d" % docs[i]["_id"], lambda d: shown(d)["event_id"] == str(docs[i]["_id"]))
            bad = mismatches(shown(driver), docs[i])
            check(not bad, "document %d shown exactly %s" % (docs[i]["_id"], bad or ""))
        final = shown(driver)
        check(final["loaded"] == marker, "the score changed without a reload")
        check(final["home_score"] != first["home_score"] or final["away_score"] != first["away_score"],
              "the score shown changed")
        check(final["state"] == "final" and driver.find_element("id", "state").text.lower() == "final",
              "the final game shows Final")
        check(final["pill"] == "Final" and final["pill_state"] == "final",
              "the header pill of a final game says Final, not Live (%r)" % final["pill"])

        # hostile names are text
        no_alert(driver)
        check(final["home_name"] == HOSTILE_TEAM, "a team name with markup is shown as text")
        names = [p["shown_name"] for p in final["players_home"]]
        check(HOSTILE_PLAYER in names, "a player name with markup is shown as text")
        made = driver.execute_script(
            "return document.querySelectorAll('main script, main img, nav script, nav img, [onerror]').length")
        check(made == 0, "no element was made from the data")
        check(HOSTILE_TEAM in driver.title, "the title holds the name as text")
        unrostered = [p for p in final["players_away"] if not p["rostered"]]
        check(len(unrostered) == 1 and unrostered[0]["number"] == "99" and unrostered[0]["id"] == ""
              and "99" in unrostered[0]["shown_name"], "an unrostered shooter is listed after the roster")
        goal_names = driver.execute_script(
            "return Array.from(document.querySelectorAll('#scoring .pname')).map(e => e.textContent)")
        check(any(HOSTILE_PLAYER in n for n in goal_names) or
              not any(s["name"] == HOSTILE_PLAYER for s in docs[-1]["scoring"]),
              "the scoring summary shows the name as text")

        # the stream goes down: "reconnecting", then back by itself with the newest document
        api.refuse_streams(True)
        api.drop_streams()
        wait_until(driver, "the reconnecting indicator", lambda d: shown(d)["conn"] == "reconnecting")
        check(True, "a dropped stream shows reconnecting")
        stalled = dict(docs[-1], state="stalled", _id=docs[-1]["_id"] + 1, event_id=docs[-1]["_id"] + 1)
        api.push(stalled)
        api.refuse_streams(False)
        wait_until(driver, "the stream back", lambda d: shown(d)["conn"] == "live" and shown(d)["state"] == "stalled")
        check(driver.find_element("id", "state").text.lower() == "stalled", "a stalled game shows Stalled")
        check(shown(driver)["pill"] == "Stalled", "the header pill of a stalled game says Stalled")
        check(shown(driver)["loaded"] == marker, "reconnected without a reload")

        # another game from the scoreboard, without a reload, and back
        click(driver, '#scoreboard [data-game-id="game-0-sched"]')
        wait_until(driver, "the scheduled game", lambda d: shown(d)["game"] == "game-0-sched" and
                   shown(d)["state"] == "scheduled" and shown(d)["home_name"] == "Lakeside Loons")
        check("game=game-0-sched" in driver.current_url, "the chosen game is in the address")
        wait_until(driver, "the pill of a game not started", lambda d: shown(d)["pill"] == "Pre-game")
        check(True, "the header pill of a scheduled game says Pre-game")
        driver.back()
        wait_until(driver, "the first game again", lambda d: shown(d)["game"] == game and shown(d)["state"] == "stalled")
        check(shown(driver)["loaded"] == marker, "switched games without a reload")
        api.push(docs[-1])  # final again, for the screenshots
        wait_until(driver, "the final", lambda d: shown(d)["state"] == "final")
        no_alert(driver)
        driver.save_screenshot(os.path.join(shots_dir, "page-fake-desktop.png"))

        # a phone: nothing wider than the screen (tables scroll inside their cards)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        wait_until(driver, "the phone layout", lambda d: d.execute_script("return window.innerWidth") == 390)
        wide = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        check(wide <= 0, "fits a 390 px wide phone (overflow %d px)" % wide)
        driver.save_screenshot(os.path.join(shots_dir, "page-fake-phone.png"))
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # ?game= names the game: a fresh load opens it directly
        driver.get(api.url + "?game=" + game)
        # wait for the whole page to show it (the header can say final before the tables are drawn)
        wait_until(driver, "the named game", lambda d: shown(d)["game"] == game and not mismatches(shown(d), docs[-1]))
        check(not mismatches(shown(driver), docs[-1]), "?game= opens the named game with its latest document")
    finally:
        driver.quit()
        api.stop()
    print("ok - live page against the fake API")


if __name__ == "__main__":
    main()
