#!/usr/bin/python3
"""Checks that the Drill queries in sql/drill/ name only tables and fields the pipeline
really writes, by script rather than by eye.

    check_drill_queries.py SQLITE_DB BOXSCORE_JSON QUERY.sql...

SQLITE_DB holds teams, players, teams2, players2, game_teams and game_players as the
pipeline wrote them (the embedded backends have SQL Server's columns); a table the run
did not write is not one a query may name. BOXSCORE_JSON is a real box-score
document. Each query must alias its tables (FROM/JOIN <table> <alias>) and every
alias.field it uses must exist: a column for mssql.sidearmdb.dbo.<table>, a key path
of the document for mongo.sidearm.boxscores, columns[0..4] for the raw stream.
"""
import json
import re
import sqlite3
import sys

TABLE = re.compile(r"(?i)\b(?:FROM|JOIN)\s+([\w.`]+)\s+(?:AS\s+)?(\w+)")
REF = re.compile(r"\b(\w+)\.((?:`[^`]+`|\w+)(?:\[\d+\])?(?:\.(?:`[^`]+`|\w+))*)")
KEYWORDS = {"ON", "WHERE", "ORDER", "GROUP", "LIMIT", "JOIN", "LEFT", "INNER", "SELECT"}


def key_paths(doc, prefix=""):
    paths = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = prefix + k
            paths.add(p)
            paths |= key_paths(v, p + ".")
    elif isinstance(doc, list) and doc:
        paths |= key_paths(doc[0], prefix)
    return paths


def main():
    db = sqlite3.connect(sys.argv[1])
    doc_paths = key_paths(json.load(open(sys.argv[2], encoding="utf-8")))
    tables = ("teams", "players", "teams2", "players2", "game_teams", "game_players")
    columns = {t: {r[1] for r in db.execute(f"PRAGMA table_info({t})")} for t in tables}
    columns = {t: c for t, c in columns.items() if c}  # only what the run really wrote
    errors = []
    for path in sys.argv[3:]:
        text = re.sub(r"--[^\n]*", "", open(path, encoding="utf-8").read())
        aliases = {}
        for table, alias in TABLE.findall(text):
            if alias.upper() in KEYWORDS:
                errors.append(f"{path}: table {table} has no alias")
                continue
            parts = [p.strip("`") for p in re.findall(r"`[^`]+`|\w+", table)]
            if parts[:3] == ["mssql", "sidearmdb", "dbo"] and len(parts) == 4 and parts[3] in columns:
                aliases[alias] = ("sql", columns[parts[3]])
            elif parts == ["mongo", "sidearm", "boxscores"]:
                aliases[alias] = ("doc", doc_paths)
            elif parts == ["minio", "root", "gamestream.txt"]:
                aliases[alias] = ("stream", {f"columns[{i}]" for i in range(5)})
            else:
                errors.append(f"{path}: table {table} is not one the pipeline or the producer writes")
        if not aliases:
            errors.append(f"{path}: no tables found")
        for alias, field in REF.findall(text):
            if alias not in aliases:
                continue
            kind, known = aliases[alias]
            name = field.replace("`", "")
            if kind == "sql":
                name = name.split(".")[0]
            if name not in known:
                errors.append(f"{path}: {alias}.{name} is not a field of {kind} table (known: {sorted(known)[:12]}...)")
    for e in errors:
        print("MISMATCH " + e, file=sys.stderr)
    if not errors:
        print(f"ok: {len(sys.argv) - 3} Drill queries refer only to written tables and fields")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
