#!/usr/bin/env bash
# The full stack cannot be started here (no container engine), so this checks what can
# be checked without one: compose accepts the files, the two project images build from
# this checkout (build contexts and Dockerfile targets exist), every variable the two programs
# read is wired, every JSON configuration parses, the shell scripts pass shellcheck,
# the images build with the README's build script and run as non-root, and the Drill
# queries name only tables and fields the pipeline really writes.
. "$SRC/tests/lib.sh"
cd "$SRC"
# docker-compose.yaml is the base; every other docker-compose.*.yaml is an overlay on it
# (docker-compose.instances.yaml: three pipelines in one Kafka group), checked together
mapfile -t overlays < <(git ls-files 'docker-compose.*.yaml' 'docker-compose.*.yml' 2>/dev/null || ls docker-compose.*.y*ml)
stacks=("docker-compose.yaml")
for f in "${overlays[@]}"; do stacks+=("docker-compose.yaml $f"); done
compose() { local f args=(); for f in $1; do args+=(-f "$f"); done; shift; docker-compose "${args[@]}" "$@"; }
for st in "${stacks[@]}"; do
  compose "$st" config -q || fail "docker-compose rejects $st"
done
[ ${#overlays[@]} -gt 0 ] || fail "no overlay (docker-compose.instances.yaml)"
docker-compose -f docker-compose.yaml config > "$WORK/config.yaml"
compose "docker-compose.yaml docker-compose.instances.yaml" config > "$WORK/instances.yaml"
"$PYTHON" - "$WORK/instances.yaml" <<'PY' || fail "the instances overlay is not three pipelines of one Kafka group"
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))["services"]
members = [n for n in cfg if n.startswith("pipeline-")]
assert len(members) == 3, members
envs = [cfg[m]["environment"] for m in members]
assert len({e["KAFKA_GROUP"] for e in envs}) == 1 and all(e["KAFKA_BROKERS"] == "kafka:9092" for e in envs), envs
assert all(e["PIPELINE_SOURCE"].endswith("/") for e in envs), "a member does not follow a prefix"
assert cfg["pipeline"].get("profiles") == ["single"], "the single pipeline still starts with the group"
assert cfg["minio"]["environment"]["MINIO_NOTIFY_KAFKA_BROKERS_PRIMARY"] == "kafka:9092"
assert cfg["gamestream"]["environment"]["SIM_TARGET"] == envs[0]["PIPELINE_SOURCE"]
PY

# `docker compose up -d --build` from a checkout needs no registry: the project's services
# build from a context that exists, with a Dockerfile and a target (FROM ... AS name) it has,
# and their image names default to local ones
for st in "${stacks[@]}"; do
  compose "$st" config > "$WORK/config-build.yaml"
  "$PYTHON" - "$WORK/config-build.yaml" "$st" <<'PY' || fail "$st: a project service cannot be built from this checkout"
import os, re, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
ok = True
project = {"pipeline": "pipeline", "gamestream": "gamestream-sim"}
for name, target in project.items():
    svc = cfg["services"].get(name)
    if svc is None:
        print(f"MISMATCH {sys.argv[2]}: no service {name}", file=sys.stderr); ok = False; continue
    b = svc.get("build")
    if not isinstance(b, dict) or "context" not in b:
        print(f"MISMATCH {name}: no build context", file=sys.stderr); ok = False; continue
    ctx = b["context"]
    dockerfile = os.path.join(ctx, b.get("dockerfile", "Dockerfile"))
    if not os.path.isdir(ctx) or not os.path.isfile(dockerfile):
        print(f"MISMATCH {name}: build context {ctx} or {dockerfile} does not exist", file=sys.stderr); ok = False; continue
    stages = re.findall(r"^FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)\s*$", open(dockerfile).read(), re.M | re.I)
    if b.get("target") != target or target not in stages:
        print(f"MISMATCH {name}: target {b.get('target')!r}, want {target!r} among {dockerfile}'s stages {stages}", file=sys.stderr); ok = False
    if not str(svc.get("image", "")).endswith(":local"):
        print(f"MISMATCH {name}: image {svc.get('image')!r} is not a local name by default", file=sys.stderr); ok = False
for name, svc in cfg["services"].items():
    if name not in project and "build" in svc:
        b = svc["build"]; ctx = b["context"] if isinstance(b, dict) else b
        if not os.path.isdir(ctx):
            print(f"MISMATCH {name}: build context {ctx} does not exist", file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY
done

# every environment variable in --help is set for its service (and PASSWORD for secrets)
"$BIN/pipeline" --help | sed -n 's/.*env \([A-Z0-9_]*\),.*/\1/p' > "$WORK/pipeline.vars"
"$BIN/gamestream-sim" --help | sed -n 's/.*env \([A-Z0-9_]*\),.*/\1/p' > "$WORK/sim.vars"
echo PASSWORD | tee -a "$WORK/pipeline.vars" >> "$WORK/sim.vars"
"$PYTHON" - "$WORK/config.yaml" "$WORK/pipeline.vars" "$WORK/sim.vars" <<'PY' || fail "compose does not wire every variable"
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
ok = True
for service, varfile in (("pipeline", sys.argv[2]), ("gamestream", sys.argv[3])):
    env = cfg["services"][service].get("environment", {})
    for var in open(varfile).read().split():
        if var not in env:
            print(f"MISMATCH {service}: {var} is not wired", file=sys.stderr); ok = False
for name, svc in cfg["services"].items():
    if not name.endswith("-setup") and "healthcheck" not in svc:  # *-setup: one-shot services
        print(f"MISMATCH {name}: no healthcheck", file=sys.stderr); ok = False
    for dep, how in (svc.get("depends_on") or {}).items():
        if how.get("condition") not in ("service_healthy", "service_started"):
            print(f"MISMATCH {name}: depends_on {dep} without a condition", file=sys.stderr); ok = False
want = {"mssql", "minio", "mongo", "drill", "gamestream", "pipeline"}
if not want <= set(cfg["services"]):
    print(f"MISMATCH services missing: {want - set(cfg['services'])}", file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY

# Drill loads the SQL Server JDBC driver that the README has the user put into drill/jars/
# (issue 18, 7). No engine runs here, so this holds the compose file to the class path that
# Drill's own bin/drill-config.sh builds (apache/drill, tag drill-1.21.1, lines 363-473;
# sqlline and drill-embedded source it): Drill's one-level wildcards under DRILL_HOME
# (/opt/drill in the image), $DRILL_CONF_DIR/jars/* (/opt/drill/conf unless /etc/drill/conf
# exists), then DRILL_CLASSPATH. A Java class-path wildcard DIR/* takes the jars of DIR and
# never those of a subdirectory: ./drill/jars mounted at jars/3rdparty/sidearm was not on it.
"$PYTHON" - "$WORK/config.yaml" "$SRC/drill/jars" <<'PY' || fail "Drill would not load the jars of drill/jars/"
import os, sys, yaml
drill = yaml.safe_load(open(sys.argv[1]))["services"]["drill"]
home, conf = "/opt/drill", "/opt/drill/conf"
own = [f"{home}/jars/*", f"{home}/jars/ext/*", f"{home}/jars/3rdparty/*", f"{home}/jars/classb/*",
       f"{home}/jars/3rdparty/linux/*", f"{conf}/jars/*"]
extra = str((drill.get("environment") or {}).get("DRILL_CLASSPATH", "")).split(":")
wild = {e[:-2] for e in own + extra if e.endswith("/*")}  # directories whose jars are loaded
exact = {e for e in own + extra if e and not e.endswith("/*")}
src = os.path.realpath(sys.argv[2])
mounts = [v for v in drill.get("volumes") or []
          if os.path.realpath(v["source"] if isinstance(v, dict) else v.split(":")[0]) == src]
assert len(mounts) == 1, f"drill/jars is mounted {len(mounts)} times into the drill service"
m = mounts[0]
target = (m["target"] if isinstance(m, dict) else m.split(":")[1]).rstrip("/")
assert target in wild or target in exact, (
    f"drill/jars is mounted at {target}, which is not on Drill's class path: only the jars directly in "
    f"{sorted(wild)} (and {sorted(exact) or 'no single file'}) are")
# a mount over one of Drill's own directories would hide the jars Drill ships there
for d in (f"{home}/jars", f"{home}/jars/ext", f"{home}/jars/3rdparty", f"{home}/jars/classb", f"{home}/conf"):
    assert target != d and not d.startswith(target + "/"), f"drill/jars at {target} hides Drill's own {d}"
print(f"drill/jars -> {target}: on Drill's class path")
PY
for f in drill/plugins/*.json sql/data/reference.json; do
  "$PYTHON" -m json.tool "$f" > /dev/null || fail "$f is not valid JSON"
done

# the plugin loader posts every plugin, with PASSWORD filled in as valid JSON, to a stand-in
# of Drill's REST API (POST /storage/<name>.json)
DRILL_PORT=$(free_ports 1)
"$PYTHON" - "$DRILL_PORT" "$WORK/posted" <<'PY' &
import http.server, json, os, sys
out = sys.argv[2]; os.makedirs(out, exist_ok=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        name = self.path.rsplit("/", 1)[-1]
        ok = self.path.startswith("/storage/") and name.endswith(".json")
        if ok:
            open(os.path.join(out, name), "wb").write(body)
        self.send_response(200 if ok else 404); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
wait_for 10 port_open "$DRILL_PORT" || fail "Drill REST stand-in did not start"
PASSWORD='p"w\&/x' DRILL_URL="http://127.0.0.1:$DRILL_PORT" sh drill/load-plugins.sh > "$WORK/load.log" || fail "load-plugins.sh failed"
for f in drill/plugins/*.json; do
  "$PYTHON" - "$WORK/posted/$(basename "$f")" <<'PY' || fail "plugin $(basename "$f") was not posted with its password"
import json, sys
d = json.load(open(sys.argv[1]))
def strings(v):
    if isinstance(v, dict):
        for x in v.values(): yield from strings(x)
    elif isinstance(v, list):
        for x in v: yield from strings(x)
    elif isinstance(v, str):
        yield v
values = list(strings(d))
assert not any("${PASSWORD}" in v for v in values) and d["config"]["enabled"] is True, values
assert any('p"w\\&/x' in v for v in values), values
PY
done

mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null || find . -name '*.sh' -not -path './build*')
shellcheck -x "${scripts[@]}" || fail "shellcheck"

grep -q "scripts/build.sh" Dockerfile || fail "the images do not use the README's build"
[ "$(grep -c '^USER sidearm' Dockerfile)" = 2 ] || fail "both runtime images must run as the sidearm user"

# the runtime image installs the Debian package of every library the binaries need
runtime_pkgs=$(sed -n '/^FROM debian:12-slim AS runtime/,/^FROM/p' Dockerfile | tr -cs 'a-z0-9.+-' '\n' | grep -E '^lib' || true)
owner() { # the package that installed a library file, trying its merged-/usr spellings
  local real; real=$(readlink -f "$1")
  for f in "$1" "$real" "${real#/usr}" "/usr$1"; do
    dpkg -S "$f" 2>/dev/null | sed -n '1s/:.*//p' | grep . && return 0
  done
  echo "unknown"
}
for bin in "$BIN/pipeline" "$BIN/gamestream-sim"; do
  for lib in $(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')
    pkg=$(owner "$path")
    case $pkg in libc6|libasan*|libubsan*|libgcc-s1|libstdc++*) continue ;; esac # base image, or this test build's sanitizers
    grep -qx "$pkg" <<<"$runtime_pkgs" || fail "$(basename "$bin") needs $lib from $pkg, which the runtime image does not install"
  done
done

# the queries against what a real run writes
D=$WORK/run; mkdir -p "$D"; seed_sqlite "$D/sidearm.db"; cp sql/data/game.txt "$D/gamestream.txt"
"$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/pipeline.log" || fail "pipeline run failed"
"$PYTHON" tests/compose/check_drill_queries.py "$D/sidearm.db" "$D/boxscores/76.json" sql/drill/*.sql \
  || fail "Drill queries refer to tables or fields the pipeline does not write"
pass "compose stack, images, Drill plugins and queries check out"
