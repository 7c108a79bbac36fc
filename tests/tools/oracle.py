#!/usr/bin/python3
"""An independent model of a finished game, for the end-to-end tests to check against.

It re-derives from the stream text and the reference rows what the pipeline must
produce: the final box score's numbers and the rows of teams2/players2. It shares no
code with the C implementation, so the two can disagree.

    oracle.py check --events F --reference R.json [--home 101 --away 205]
              [--doc final.json] [--docs-dir DIR] [--teams2 T.json --players2 P.json]
              [--sqlite DB]
    oracle.py season --reference R --game EVENTS:HOME:AWAY [--game ...]
              (--sqlite DB | --teams2 T.json --players2 P.json)
              (teams2/players2 after many games: the reference plus every game's result)
Prints what differs and exits 1 when anything does.
"""
import argparse
import json
import os
import re
import sqlite3
import sys

LINE = re.compile(r"^\s*(-?\d+)\s+(\d{1,2}):(\d\d)\s+(\d+)\s+(\d+)\s+([01])\s*$")


def fold(events_text, home, away):
    """Yields the state after each applied event (and after the -1 end line), in order:
    dict(last, clock, score, shots, per={(team, jersey): [shots, goals]}, final)."""
    st = dict(last=None, clock=None, score={home: 0, away: 0}, shots={home: 0, away: 0}, per={}, final=False)
    for raw in events_text.lstrip("\ufeff").splitlines():
        m = LINE.match(raw.rstrip("\r"))
        if not m:
            continue
        eid, mm, ss, team, jersey, goal = (int(x) for x in m.groups())
        c = mm * 60 + ss
        if c > 3600 or ss > 59 or team not in (0, home, away) or jersey > 999 or st["final"]:
            continue
        if eid == -1:
            st["final"] = True
            yield snapshot(st)
            continue
        if st["last"] is not None and eid <= st["last"]:
            continue
        st["last"], st["clock"] = eid, c
        if team:
            st["shots"][team] += 1
            st["score"][team] += goal
            ps = st["per"].setdefault((team, jersey), [0, 0])
            ps[0] += 1
            ps[1] += goal
        if team == 0 or c == 0:
            st["final"] = True
        yield snapshot(st)


def snapshot(st):
    return dict(last=st["last"], clock=st["clock"], score=dict(st["score"]), shots=dict(st["shots"]),
                per={k: list(v) for k, v in st["per"].items()}, final=st["final"])


def load_reference(args):
    if args.reference.endswith(".json"):
        return json.load(open(args.reference, encoding="utf-8"))
    db = sqlite3.connect(args.reference)
    teams = [dict(zip(("id", "name", "conference", "wins", "losses"), r))
             for r in db.execute("SELECT id, name, conference, wins, losses FROM teams")]
    players = [dict(zip(("id", "name", "number", "shots", "goals", "teamid"), r))
               for r in db.execute("SELECT id, name, number, shots, goals, teamid FROM players")]
    return dict(teams=teams, players=players)


def expected(args):
    """The state after every applied event (by _id), and the final tables."""
    ref = load_reference(args)
    text = open(args.events, encoding="utf-8", errors="replace").read()
    states = list(fold(text, args.home, args.away))
    end = states[-1]
    by_id = {s["last"]: s for s in states}   # a -1 line re-snapshots the same _id as final
    score = end["score"]
    teams2 = []
    winner = loser = None
    if score[args.home] != score[args.away]:
        winner, loser = (args.home, args.away) if score[args.home] > score[args.away] else (args.away, args.home)
    for t in sorted(ref["teams"], key=lambda t: t["id"]):
        teams2.append([t["id"], t["name"], t["conference"], t["wins"] + (t["id"] == winner),
                       t["losses"] + (t["id"] == loser)])
    players2 = []
    for p in sorted(ref["players"], key=lambda p: p["id"]):
        s, g = end["per"].get((p["teamid"], int(p["number"])), [0, 0])
        players2.append([p["id"], p["name"], p["number"], p["shots"] + s, p["goals"] + g, p["teamid"]])
    return dict(end, by_id=by_id, teams2=teams2, players2=players2)


def period(clock):
    """The quarter of a game clock (seconds left of 60:00): 60:00-45:00 is Q1, 00:00 Q4."""
    return max(1, 4 - clock // 900)


def quarter_clock(clock):
    """The time left in the quarter, "m:ss": 51:18 is Q1 6:18, 45:00 the end of Q1 (0:00)."""
    left = clock - (4 - period(clock)) * 900
    return f"{left // 60}:{left % 60:02d}"


def check_doc(doc, exp, args, errors, where=""):
    def want(what, got, should):
        if got != should:
            errors.append(f"{where}{what}: got {got!r}, expected {should!r}")
    want("_id", doc.get("_id"), exp["last"])
    want("timestamp", doc.get("timestamp"), f"{exp['clock'] // 60:02d}:{exp['clock'] % 60:02d}")
    want("period", doc.get("period"), period(exp["clock"]))
    want("quarter_clock", doc.get("quarter_clock"), quarter_clock(exp["clock"]))
    want("state", doc.get("state"), "final" if exp["final"] else "in_progress")
    for side, team in (("home", args.home), ("away", args.away)):
        d = doc.get(side, {})
        want(f"{side}.teamid", d.get("teamid"), team)
        want(f"{side}.score", d.get("score"), exp["score"][team])
        want(f"{side}.shots", d.get("shots"), exp["shots"][team])
        for p in d.get("players", []):
            s, g = exp["per"].get((team, int(p["number"])), [0, 0])
            want(f"{side} #{p['number']} shots", p["shots"], s)
            want(f"{side} #{p['number']} goals", p["goals"], g)
            pct = round(g / s + 1e-9, 2) if s else 0
            want(f"{side} #{p['number']} pct", p["pct"], pct)
        want(f"{side} goals add up", sum(p["goals"] for p in d.get("players", [])), exp["score"][team])


def report(errors, ok):
    """Prints what differs (or ok) and gives the exit status."""
    for e in errors:
        print("MISMATCH " + e, file=sys.stderr)
    if not errors:
        print(ok)
    return 1 if errors else 0


def read_tables(path):
    """The rows of teams2 and players2 in a SQLite file, by id."""
    db = sqlite3.connect(path)
    teams2 = [list(r) for r in db.execute("SELECT id, name, conference, wins, losses FROM teams2 ORDER BY id")]
    players2 = [list(r) for r in db.execute("SELECT id, name, number, shots, goals, teamid FROM players2 ORDER BY id")]
    return teams2, players2


def season(argv):
    """teams2/players2 = the reference plus the sum over every final game given."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--game", action="append", default=[], help="EVENTS:HOME:AWAY")
    ap.add_argument("--sqlite")
    ap.add_argument("--teams2", help="rows as a JSON list of lists by id, instead of --sqlite")
    ap.add_argument("--players2")
    args = ap.parse_args(argv)
    if not args.sqlite and not (args.teams2 and args.players2):
        ap.error("give --sqlite, or --teams2 and --players2")
    ref = load_reference(args)
    wins, losses, shots, goals = {}, {}, {}, {}
    for spec in args.game:
        path, home, away = spec.rsplit(":", 2)
        home, away = int(home), int(away)
        end = list(fold(open(path, encoding="utf-8", errors="replace").read(), home, away))[-1]
        if not end["final"]:
            continue
        sh, sa = end["score"][home], end["score"][away]
        if sh != sa:
            w, l = (home, away) if sh > sa else (away, home)
            wins[w] = wins.get(w, 0) + 1
            losses[l] = losses.get(l, 0) + 1
        for (team, jersey), (s, g) in end["per"].items():
            shots[(team, jersey)] = shots.get((team, jersey), 0) + s
            goals[(team, jersey)] = goals.get((team, jersey), 0) + g
    teams2 = [[t["id"], t["name"], t["conference"], t["wins"] + wins.get(t["id"], 0),
               t["losses"] + losses.get(t["id"], 0)] for t in sorted(ref["teams"], key=lambda t: t["id"])]
    players2 = []
    for p in sorted(ref["players"], key=lambda p: p["id"]):
        k = (p["teamid"], int(p["number"]))
        players2.append([p["id"], p["name"], p["number"], p["shots"] + shots.get(k, 0), p["goals"] + goals.get(k, 0),
                         p["teamid"]])
    if args.sqlite:
        got_t, got_p = read_tables(args.sqlite)
    else:
        got_t, got_p = (json.load(open(f, encoding="utf-8")) for f in (args.teams2, args.players2))
    errors = [f"teams2 row: got {g}, expected {w}" for g, w in zip(got_t, teams2) if g != w]
    errors += [f"players2 row: got {g}, expected {w}" for g, w in zip(got_p, players2) if g != w]
    if len(got_t) != len(teams2) or len(got_p) != len(players2):
        errors.append(f"{len(got_t)} teams2 and {len(got_p)} players2 rows, expected {len(teams2)} and {len(players2)}")
    return report(errors, f"ok: season of {len(args.game)} games")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "season":
        return season(sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["check"])
    ap.add_argument("--events", required=True)
    ap.add_argument("--reference", required=True, help="reference.json, or a SQLite file with teams/players")
    ap.add_argument("--home", type=int, default=101)
    ap.add_argument("--away", type=int, default=205)
    ap.add_argument("--doc")
    ap.add_argument("--docs-dir")
    ap.add_argument("--teams2")
    ap.add_argument("--players2")
    ap.add_argument("--sqlite")
    args = ap.parse_args()
    exp = expected(args)
    errors = []
    doc = None
    if args.docs_dir:
        ids = sorted(int(f[:-5]) for f in os.listdir(args.docs_dir) if re.match(r"^\d+\.json$", f))
        if not ids:
            errors.append(f"no documents in {args.docs_dir}")
        else:
            doc = json.load(open(os.path.join(args.docs_dir, f"{ids[-1]}.json"), encoding="utf-8"))
            if ids != sorted(exp["by_id"]):
                errors.append(f"documents {ids[0]}..{ids[-1]} ({len(ids)}), expected one per applied event")
            for i in ids[:-1]:
                if i in exp["by_id"]:
                    check_doc(json.load(open(os.path.join(args.docs_dir, f"{i}.json"), encoding="utf-8")),
                              exp["by_id"][i], args, errors, f"document {i}: ")
    if args.doc:
        doc = json.load(open(args.doc, encoding="utf-8"))
    if doc is not None:
        check_doc(doc, exp, args, errors)
    teams2 = players2 = None
    if args.sqlite:
        teams2, players2 = read_tables(args.sqlite)
    if args.teams2:
        teams2 = json.load(open(args.teams2, encoding="utf-8"))
    if args.players2:
        players2 = json.load(open(args.players2, encoding="utf-8"))
    if teams2 is not None and teams2 != exp["teams2"]:
        errors.append(f"teams2: got {teams2}, expected {exp['teams2']}")
    if players2 is not None and players2 != exp["players2"]:
        for got, want in zip(players2, exp["players2"]):
            if got != want:
                errors.append(f"players2 row: got {got}, expected {want}")
        if len(players2) != len(exp["players2"]):
            errors.append(f"players2: {len(players2)} rows, expected {len(exp['players2'])}")
    return report(errors, f"ok: final {exp['score']} after event {exp['last']}")


if __name__ == "__main__":
    sys.exit(main())
