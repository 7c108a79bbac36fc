#!/usr/bin/python3
"""Every game under a prefix against the independent model (oracle.py), in one process.

    games_check.py --games DIR --reference R --docs DIR --game-teams ROWS.tsv
                   --teams2 T.json --players2 P.json [--log LOG]

DIR/<game>/ holds game.json and gamestream.txt; --docs DIR/<game>/<event_id>.json the
documents read back from the sink; ROWS.tsv the game_teams rows read back (game, teamid,
opponent, score, opponent_score, result, tab-separated); teams2/players2 as JSON lists of
lists by id. Checks each game's documents at every event (oracle.py check), its two
game_teams rows, and teams2/players2 as the reference plus every game (oracle.py season).
With --log, names the games the pipeline logged "final and written" whose data is wrong.
Prints a summary and what differs; exits 1 when anything does.
"""
import argparse
import contextlib
import io
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def run_oracle(argv):
    """oracle.py with these arguments: (exit status, what it printed on stderr)."""
    err = io.StringIO()
    saved = sys.argv
    sys.argv = ["oracle.py", *argv]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            rc = oracle.season(argv[1:]) if argv[0] == "season" else oracle.main()
    finally:
        sys.argv = saved
    return rc, err.getvalue()


def main():
    ap = argparse.ArgumentParser()
    for a in ("--games", "--reference", "--docs", "--game-teams", "--teams2", "--players2"):
        ap.add_argument(a, required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    rows = {}
    for line in open(args.game_teams, encoding="utf-8"):
        if line.strip():
            f = line.rstrip("\n").split("\t")
            rows.setdefault(f[0], []).append([int(f[1]), int(f[2]), int(f[3]), int(f[4]), f[5].strip()])
    written = set()
    if args.log:
        for line in open(args.log, encoding="utf-8", errors="replace"):
            m = re.search(r" (\S+): final and written", line)
            if m:
                written.add(m.group(1))
    games = sorted(g for g in os.listdir(args.games) if os.path.isfile(os.path.join(args.games, g, "game.json")))
    bad_docs, bad_rows, specs, problems = [], [], [], []
    for g in games:
        m = json.load(open(os.path.join(args.games, g, "game.json"), encoding="utf-8"))
        home, away = m["home"], m["away"]
        events = os.path.join(args.games, g, "gamestream.txt")
        specs += ["--game", f"{events}:{home}:{away}"]
        docs = os.path.join(args.docs, g)
        if not os.path.isdir(docs):
            bad_docs.append(g)
            problems.append(f"{g}: no documents")
        else:
            rc, err = run_oracle(["check", "--events", events, "--reference", args.reference, "--home", str(home),
                                  "--away", str(away), "--docs-dir", docs])
            if rc:
                bad_docs.append(g)
                problems.append(f"{g}: documents differ from the model: {err.splitlines()[0] if err else ''}")
        end = list(oracle.fold(open(events, encoding="utf-8").read(), home, away))[-1]
        sh, sa = end["score"][home], end["score"][away]
        res = "T" if sh == sa else "W" if sh > sa else "L"
        want = sorted([[home, away, sh, sa, res], [away, home, sa, sh, {"W": "L", "L": "W"}.get(res, "T")]])
        if sorted(rows.get(g, [])) != want:
            bad_rows.append(g)
            problems.append(f"{g}: game_teams rows {sorted(rows.get(g, []))}, expected {want}")
    rc, err = run_oracle(["season", "--reference", args.reference, *specs, "--teams2", args.teams2,
                          "--players2", args.players2])
    if rc:
        problems.append("teams2/players2 are not the reference plus every game: "
                        + "; ".join(err.splitlines()[:3]))
    stray = sorted(set(rows) - set(games))
    if stray:
        problems.append(f"game_teams holds games that are not under the prefix: {stray[:5]}")
    lied = sorted(set(bad_docs + bad_rows) & written)
    if lied:
        problems.append(f"{len(lied)} games logged \"final and written\" whose data is missing or wrong: {lied[:10]}")
    print(f"{len(games)} games: {len(games) - len(bad_docs)} with every document the model's, "
          f"{len(games) - len(bad_rows)} with their game_teams rows"
          + (f", {len(written)} logged final and written" if args.log else ""), file=sys.stderr)
    for p in problems[:15]:
        print(p, file=sys.stderr)
    if len(problems) > 15:
        print(f"... and {len(problems) - 15} more", file=sys.stderr)
    return 1 if problems or not games else 0


if __name__ == "__main__":
    sys.exit(main())
