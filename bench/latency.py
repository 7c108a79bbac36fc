#!/usr/bin/python3
"""Latency from the producer's write to the document being written, from two logs.

    latency.py GAME.txt SIM.log PIPELINE.log      (pipeline run with --verbose)

The sim logs "Wrote ... at mm:ss" when it rewrites the object with every event up to
that clock; the pipeline logs "document N written" when the sink has it. For each
event: latency = document written - object written. Prints median, p95 and max.
"""
import re
import sys
from datetime import datetime

def ts(line):
    return datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f")

clock_of = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 5 and f[0].lstrip("-").isdigit():
        mm, ss = f[1].split(":")
        clock_of[int(f[0])] = int(mm) * 60 + int(ss)
wrote = {}
for line in open(sys.argv[2]):
    m = re.search(r"Wrote .* at (\d\d):(\d\d)$", line.strip())
    if m:
        wrote.setdefault(int(m.group(1)) * 60 + int(m.group(2)), ts(line))
lat = []
for line in open(sys.argv[3]):
    m = re.search(r"document (\d+) written", line)
    if m and int(m.group(1)) in clock_of and clock_of[int(m.group(1))] in wrote:
        lat.append((ts(line) - wrote[clock_of[int(m.group(1))]]).total_seconds() * 1000)
lat.sort()
if not lat:
    sys.exit("no matching events")
print(f"{len(lat)} events: median {lat[len(lat) // 2]:.1f} ms, p95 {lat[int(len(lat) * 0.95)]:.1f} ms, "
      f"max {lat[-1]:.1f} ms from the producer's write to the document written")
