#!/usr/bin/env python3
"""Writes a long stream for the reliability tests: N shots between teams 101 and 205
by rostered jerseys of the sample rosters, one in GOAL_EVERY a goal, the clock running
down from 59:59 without reaching 00:00, then the end-of-game line.

usage: big_stream.py OUT N [GOAL_EVERY]"""
import sys

out, n = sys.argv[1], int(sys.argv[2])
goal_every = int(sys.argv[3]) if len(sys.argv) > 3 else 1
jerseys = {101: [2, 7, 15, 22, 33], 205: [3, 5, 9, 12, 30]}
with open(out, "w") as f:
    for i in range(n):
        team = 101 if i % 2 == 0 else 205
        clock = 3599 - (i * 3598) // max(n, 1)
        goal = 1 if i % goal_every == 0 else 0
        f.write(f"{i} {clock // 60:02d}:{clock % 60:02d} {team} {jerseys[team][i % 5]} {goal}\n")
    f.write(f"{n} 00:00 0 0 0\n")
