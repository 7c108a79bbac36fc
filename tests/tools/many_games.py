#!/usr/bin/python3
"""Many small games under a folder and a large league's reference, fast (for the scale
smoke test and bench/memory.sh).

    many_games.py --dir DIR --games N --db SQLITE [--teams T] [--events K] [--final-every F]
                  [--seed S]

Writes the reference tables teams/players into SQLITE (T teams of 10 players each: team
ids 1000.., player ids 1..), and DIR/g00000 .. for N games: game i plays teams
1000 + 2i mod T and 1001 + 2i mod T (game.json), and its gamestream.txt holds 1..K events
(a random number, the same for the same seed; K=1: exactly one), every shooter on his
team's roster (an unknown jersey would make the pipeline read the reference again). Every F-th game (F > 0) ends with the clock at 00:00: it is
final. Prints "games N, final M, events E".
"""
import argparse
import os
import random
import sqlite3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--games", type=int, required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--teams", type=int, default=20000)
    ap.add_argument("--events", type=int, default=1)
    ap.add_argument("--final-every", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    db = sqlite3.connect(a.db)
    db.executescript("""DROP TABLE IF EXISTS players; DROP TABLE IF EXISTS teams;
CREATE TABLE teams (id int PRIMARY KEY, name varchar(50), conference varchar(50), wins int, losses int);
CREATE TABLE players (id int PRIMARY KEY, name varchar(50), number varchar(3), shots int, goals int,
                      teamid int REFERENCES teams(id));""")
    db.executemany("INSERT INTO teams VALUES (?, ?, ?, ?, ?)",
                   [(1000 + t, f"Team {t} University", f"Conference {t % 40}", t % 9, t % 7) for t in range(a.teams)])
    db.executemany("INSERT INTO players VALUES (?, ?, ?, ?, ?, ?)",
                   [(1 + t * 10 + p, f"Player {p} of Team {t}", str(p * 3 + 1), p, p // 2, 1000 + t)
                    for t in range(a.teams) for p in range(10)])
    db.commit()
    rng = random.Random(a.seed)
    finals = events = 0
    for i in range(a.games):
        g = os.path.join(a.dir, f"g{i:05d}")
        os.makedirs(g, exist_ok=True)
        home, away = 1000 + (2 * i) % a.teams, 1000 + (2 * i + 1) % a.teams
        with open(os.path.join(g, "game.json"), "w", encoding="utf-8") as f:
            f.write(f'{{"home": {home}, "away": {away}}}\n')
        n = 1 if a.events <= 1 else rng.randint(1, a.events)
        final = a.final_every > 0 and i % a.final_every == 0
        lines, clock = [], 3600
        for e in range(n):
            clock = max(clock - rng.randint(5, 3000 // n), 1)
            if final and e == n - 1:
                clock = 0
            team = home if rng.random() < 0.5 else away
            jersey = rng.randrange(10) * 3 + 1
            lines.append(f"{e} {clock // 60:02d}:{clock % 60:02d} {team} {jersey} {int(rng.random() < 0.3)}\n")
        with open(os.path.join(g, "gamestream.txt"), "w", encoding="utf-8") as f:
            f.write("".join(lines))
        finals += final
        events += n
    print(f"games {a.games}, final {finals}, events {events}")


if __name__ == "__main__":
    main()
