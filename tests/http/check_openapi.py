#!/usr/bin/env python3
"""Hold the server's real answers against its OpenAPI document (issue 18 item 5).

check_openapi.py SPEC PROBES [--partial]: each line of PROBES is "DOC_PATH METHOD STATUS BODY_FILE CONTENT_TYPE".
Every probed answer's status must be documented for its operation, and a JSON body must
validate (python3-jsonschema, Draft 2020-12 as OAS 3.1 says) against the schema the document
gives for that status. Every documented path must be probed, every operation must have an
operationId, and the statuses named in the document's error responses share one shape."""
import json
import os
import sys

from jsonschema import Draft202012Validator

spec = json.load(open(sys.argv[1]))
assert spec["openapi"].startswith("3.1"), spec["openapi"]
paths, bad, seen = spec["paths"], [], set()
for line in open(sys.argv[2]):
    path, method, status, body_file, ctype = (line.rstrip("\n").split(" ", 4) + [""] * 5)[:5]
    seen.add(path)
    op = paths.get(path, {}).get(method.lower())
    if op is None and status == "405":  # a method the path lacks: held against the 405 its operations document
        op = next((o for o in paths.get(path, {}).values() if isinstance(o, dict) and "405" in o.get("responses", {})), None)
    if op is None:
        bad.append(f"{method} {path} is served but not in openapi.json")
        continue
    resp = op["responses"].get(status)
    if resp is None:
        bad.append(f"{method} {path} answered {status}, documented: {sorted(op['responses'])}")
        continue
    content = resp.get("content")
    body = open(body_file, "rb").read() if os.path.exists(body_file) else b""  # curl writes no file for no body
    if not content:
        if body:
            bad.append(f"{method} {path} {status}: a body where the document gives none")
        continue
    mtype = ctype.split(";")[0].strip().lower()
    media = next((v for k, v in content.items() if k.split(";")[0].strip().lower() == mtype), None)
    if media is None:
        bad.append(f"{method} {path} {status}: Content-Type {ctype!r}, documented: {sorted(content)}")
        continue
    if mtype != "application/json" or method == "HEAD":
        continue
    try:
        doc = json.loads(body)
    except ValueError as e:
        bad.append(f"{method} {path} {status}: not JSON ({e}): {body[:200]!r}")
        continue
    schema = {"$ref": "#/x", "x": media["schema"], "components": spec.get("components", {})}
    for err in Draft202012Validator(schema).iter_errors(doc):
        loc = "/".join(str(p) for p in err.absolute_path)
        bad.append(f"{method} {path} {status}: at /{loc}: {err.message[:300]}")
if "--partial" not in sys.argv[3:]:  # --partial: only some answers are probed (one state of a game)
    bad += [f"{p} is documented but not probed" for p in paths if p not in seen]
for p, item in paths.items():
    for m, op in item.items():
        if isinstance(op, dict) and "responses" in op and "operationId" not in op:
            bad.append(f"{m.upper()} {p} has no operationId")
        for st, r in (op.get("responses", {}).items() if isinstance(op, dict) else ()):
            for media in (r.get("content", {}).values() if st >= "400" else ()):
                if media.get("schema") not in ({"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/Ready"}):  # one shape for every error (a 503 /readyz says what it waits for)
                    bad.append(f"{m.upper()} {p} {st}: an error body not of #/components/schemas/Error")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
