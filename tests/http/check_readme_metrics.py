#!/usr/bin/env python3
"""Hold the README's metric table against what /metrics emits (issue 18 item 5).

check_readme_metrics.py README METRICS_TEXT [FAMILY:LABEL ...]: every metric the table names
must be emitted; every sidearm_* family emitted must be in the table (by its name, or as a
`_suffix` of the row's metric); for each FAMILY:LABEL given (families whose every label value
is emitted from the start), the values the table lists in backquotes are exactly those emitted."""
import re
import sys

rows = [l for l in open(sys.argv[1]) if re.match(r"\| `(sidearm_|process_)", l)]
emitted, values = set(), {}
for l in open(sys.argv[2]):
    m = re.match(r"# TYPE (\S+) (\S+)", l)
    if m:
        emitted.add(m.group(1))
    m = re.match(r"([a-z_:]+)\{(.*)\} ", l)
    if m:
        for k, v in re.findall(r'(\w+)="([^"]*)"', m.group(2)):
            values.setdefault((m.group(1), k), set()).add(v)
bad, named = [], set()
for r in rows:
    cells = r.split("|")
    firsts = re.findall(r"`([a-z_]+)(?:\{[^}]*\})?`", cells[1])
    named.update(firsts)
    bad += [f"README names {n}, /metrics has no such family" for n in firsts if n not in emitted]
    for suffix in re.findall(r"`(_[a-z_]+)(?:\{[^}]*\})?`", cells[3]):
        base = firsts[0]
        stem = base[: base.rfind("_", 0, len(base) - len("_total")) if base.endswith("_total") else base.rfind("_")]
        cand = stem + suffix
        named.add(cand)
        if cand not in emitted:
            bad.append(f"README row {base} names {suffix} ({cand}), /metrics has no such family")
bad += [f"/metrics emits {f}, the README's metric table does not list it"
        for f in sorted(emitted) if f.startswith("sidearm_") and f not in named]
for arg in sys.argv[3:]:
    fam, label = arg.split(":")
    row = next((r for r in rows if f"`{fam}{{{label}}}`" in r), None)
    if row is None:
        bad.append(f"README has no row {fam}{{{label}}}")
        continue
    listed = set(re.findall(r"`([a-z_0-9]+)`", row.split("|")[3]))
    got = values.get((fam, label), set())
    if listed != got:
        bad.append(f"{fam}{{{label}}}: README lists {sorted(listed)}, /metrics emits {sorted(got)}")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
