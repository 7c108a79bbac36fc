#!/usr/bin/env bash
# The Debian package (cpack -G DEB) in a scratch root, never on this system: its control
# data (name, Depends), the installed pipeline --help, the man pages (man -l), the default
# environment file (a conffile), the systemd unit (systemd-analyze verify: no warning), and
# Debian policy as lintian checks it: no error and no warning (issue 18, 4).
. "$SRC/tests/lib.sh"
BUILD=${1:?usage: test_package.sh BUILD_DIR}
for tool in cpack dpkg-deb dpkg-shlibdeps man lintian; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run scripts/install-deps.sh --with-tests"
done
# the package goes to the scratch directory, not the build directory
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" > "$WORK/cpack.log" 2>&1 \
  || { cat "$WORK/cpack.log" >&2; fail "cpack -G DEB failed"; }
debs=("$WORK"/pkg/sidearm-pipeline_*.deb)
{ [ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ]; } || fail "no single sidearm-pipeline_*.deb in $WORK/pkg"
deb=${debs[0]}

# lintian: stripped programs, compressed man pages, the copyright file and the changelog,
# an extended description, a maintainer address that can be written to, deb-systemd-helper
# and deb-systemd-invoke in the maintainer scripts; the one override (the 0700 credentials
# directory) says why in packaging/lintian-overrides
lintian --fail-on error,warning --tag-display-limit 0 "$deb" > "$WORK/lintian.log" 2>&1 ||
  { cat "$WORK/lintian.log" >&2; fail "lintian finds errors or warnings in $(basename "$deb")"; }
grep -E '^[EW]: ' "$WORK/lintian.log" >&2 && fail "lintian finds errors or warnings (exit 0 nevertheless)"
lintian --show-overrides --tag-display-limit 0 "$deb" > "$WORK/lintian-overrides.log" 2>&1 || true
grep -q '^O: .* non-standard-dir-perm ' "$WORK/lintian-overrides.log" || fail "lintian did not use the package's override"
grep -E '^O: ' "$WORK/lintian-overrides.log" | grep -v ' non-standard-dir-perm 0700 != 0755 \[etc/sidearm/credentials/\]$' >&2 &&
  fail "lintian overrides a tag that packaging/lintian-overrides gives no reason for"
for s in postinst prerm postrm; do
  shellcheck -s sh "$SRC/packaging/$s" || fail "packaging/$s: shellcheck"
done
# the copyright file carries the project's LICENSE: the same permission text, word for word
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/sidearm-pipeline/copyright > "$WORK/copyright" \
  || fail "the package has no /usr/share/doc/sidearm-pipeline/copyright"
"$PYTHON" - "$SRC/LICENSE" "$WORK/copyright" <<'PY' || fail "the copyright file's license text is not LICENSE's"
import re, sys
lic = open(sys.argv[1]).read()
cp = open(sys.argv[2]).read()
assert lic.startswith("MIT License"), "LICENSE is not the MIT license"
body = lic[lic.index("Permission is hereby"):]
block = cp[cp.index("License: Expat\n Permission"):].split("\n", 1)[1]
text = "\n".join("" if l == " ." else l[1:] for l in block.splitlines() if l.startswith(" "))
norm = lambda t: " ".join(t.split())
assert norm(body) == norm(text), "differ"
holder = re.search(r"^Copyright \(c\) (.*)$", lic, re.M).group(1)
assert f"Copyright: {holder}" in cp, f"copyright holder {holder!r} of LICENSE not in the copyright file"
PY

# control: the name, and Depends with every linked library's package and the runtime-loaded
# libuv event library of libwebsockets
dpkg-deb -I "$deb" > "$WORK/control.log"
[ "$(dpkg-deb -f "$deb" Package)" = sidearm-pipeline ] || fail "package name is not sidearm-pipeline"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for want in libwebsockets-evlib-uv libwebsockets17 libuv1 libjansson4 libsqlite3-0 libcurl4 libc6; do
  grep -qE "(^|, )$want( |,|$)" <<<"$depends" || fail "Depends lacks $want: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null | grep -qx /etc/default/sidearm-pipeline \
  || fail "/etc/default/sidearm-pipeline is not a conffile"

ROOT=$WORK/root
dpkg-deb -x "$deb" "$ROOT"
for f in usr/bin/pipeline usr/bin/gamestream-sim usr/share/man/man1/pipeline.1.gz usr/share/man/man1/gamestream-sim.1.gz \
         usr/lib/systemd/system/sidearm-pipeline.service etc/default/sidearm-pipeline \
         usr/share/sidearm/data/game.txt usr/share/sidearm/sql/sqlite/seed.sql usr/share/sidearm/sql/mssql/seed.sql; do
  [ -e "$ROOT/$f" ] || fail "the package does not install /$f"
done
ls "$ROOT"/usr/share/sidearm/sql/drill/*.sql > /dev/null 2>&1 || fail "the package has no Drill queries"
[ "$(stat -c %a "$ROOT/etc/sidearm/credentials")" = 700 ] || fail "/etc/sidearm/credentials is not 0700"

# the installed program runs (its libraries are this system's, as the Depends say)
"$ROOT/usr/bin/pipeline" --help > "$WORK/help.txt" || fail "installed pipeline --help failed"
"$ROOT/usr/bin/gamestream-sim" --help > "$WORK/sim-help.txt" || fail "installed gamestream-sim --help failed"

# the man pages render and say what --help says: every option of --help is in its page
for p in pipeline gamestream-sim; do
  help=$WORK/help.txt; [ $p = pipeline ] || help=$WORK/sim-help.txt
  LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$ROOT/usr/share/man/man1/$p.1.gz" 2> "$WORK/man-$p.log" | col -b > "$WORK/$p.man" \
    || fail "man -l $p.1 failed"
  [ -s "$WORK/man-$p.log" ] && { cat "$WORK/man-$p.log" >&2; fail "man -l $p.1 warns"; }
  grep -q "^ *$p - " "$WORK/$p.man" || fail "$p.1 has no NAME line"
  n=0
  mapfile -t opts < <(grep -oE '^  --[a-z0-9-]+' "$help")
  for opt in "${opts[@]}"; do
    grep -qe "$opt" "$WORK/$p.man" || fail "$p.1 does not mention $opt of --help"
    n=$((n + 1))
  done
  [ $n -gt 3 ] || fail "found only $n options in $p --help"
done
grep -q -- --poll-ms "$WORK/pipeline.man" || fail "pipeline.1 does not mention --poll-ms"

# the unit: hardened as promised, and accepted by systemd without a single warning.
# systemd-analyze checks that ExecStart exists and that man:pipeline(1) resolves, so it
# reads a copy whose ExecStart is the scratch root's binary, with MANPATH on the scratch pages.
unit=$ROOT/usr/lib/systemd/system/sidearm-pipeline.service
for line in ExecStart=/usr/bin/pipeline DynamicUser=yes User=sidearm ProtectSystem=strict NoNewPrivileges=yes \
            ProtectHome=yes PrivateTmp=yes StateDirectory=sidearm EnvironmentFile=/etc/default/sidearm-pipeline \
            LoadCredential=sidearm:/etc/sidearm/credentials; do
  grep -qxF "$line" "$unit" || fail "sidearm-pipeline.service lacks $line"
done
# the credentials are read as sidearm_NAME by the pipeline itself: a *_FILE variable pointing
# at one would make a credential left out (a missing file) a fatal error (issue 17, 5)
grep -q '^Environment=[A-Z_]*_FILE=' "$unit" && fail "sidearm-pipeline.service points a *_FILE variable at a credential"
# every credential file the unit names is a secret the pipeline reads (NAME of --help)
mapfile -t creds < <(sed -n 's/^#   //p' "$unit" | tr ' ' '\n' | sed '/^$/d')
[ ${#creds[@]} -ge 4 ] || fail "sidearm-pipeline.service names no credential files"
for c in "${creds[@]}"; do
  v=$(tr 'a-z-' 'A-Z_' <<<"$c")
  grep -qw "$v" "$WORK/help.txt" || fail "sidearm-pipeline.service names the credential $c but pipeline --help names no $v"
done
grep -q "sidearm_NAME" "$WORK/help.txt" || fail "pipeline --help does not say it reads the systemd credentials"
# every variable of the default environment file is one of --help's
mapfile -t vars < <(sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$ROOT/etc/default/sidearm-pipeline")
[ ${#vars[@]} -ge 4 ] || fail "/etc/default/sidearm-pipeline names no variables"
for v in "${vars[@]}"; do
  grep -q "env $v," "$WORK/help.txt" || fail "/etc/default/sidearm-pipeline sets $v, which pipeline --help does not list"
done
if command -v systemd-analyze > /dev/null; then
  mkdir -p "$WORK/unit"
  sed "s#^ExecStart=/usr/bin/#ExecStart=$ROOT/usr/bin/#" "$unit" > "$WORK/unit/sidearm-pipeline.service"
  MANPATH=$ROOT/usr/share/man systemd-analyze verify "$WORK/unit/sidearm-pipeline.service" > "$WORK/verify.log" 2>&1 \
    || { cat "$WORK/verify.log" >&2; fail "systemd-analyze verify rejects sidearm-pipeline.service"; }
  [ -s "$WORK/verify.log" ] && { cat "$WORK/verify.log" >&2; fail "systemd-analyze verify warns about sidearm-pipeline.service"; }
  systemd-analyze security --offline=yes --threshold=30 "$WORK/unit/sidearm-pipeline.service" > "$WORK/security.log" 2>&1 \
    || { tail -n 5 "$WORK/security.log" >&2; fail "sidearm-pipeline.service exposure is above 3.0 (systemd-analyze security)"; }
  echo "systemd-analyze: $(grep -o 'Overall exposure level.*' "$WORK/security.log")"
else
  fail "systemd-analyze is missing: run scripts/install-deps.sh --with-tests (package systemd)"
fi
pass "sidearm-pipeline.deb installs the programs, man pages, data and a unit systemd accepts"

# The packaged service keeps serving (issue 18, 2). The installed pipeline runs with the unit's
# environment: its Environment= lines, then /etc/default/sidearm-pipeline (EnvironmentFile=
# wins, as in systemd), /var/lib/sidearm moved into a scratch directory, HTTP off. It must
# follow a game to its final and still run, then follow the next game. And should an operator
# name one stream there instead of the prefix, it still runs after that game's final: before,
# the program exited 0 at the final whistle and, Restart=on-failure, the unit went inactive.
[ "$(grep -c '^Restart=on-failure$' "$unit")" = 1 ] || fail "the unit's Restart= changed: revisit this test"
STATE=$WORK/state; mkdir -p "$STATE"; seed_sqlite "$STATE/sidearm.db"
mapfile -t unit_env < <({ sed -n 's/^Environment=//p' "$unit"
  grep -E '^[A-Z][A-Z0-9_]*=' "$ROOT/etc/default/sidearm-pipeline"; } | sed "s#/var/lib/sidearm#$STATE#g")
echo "the unit's environment: ${unit_env[*]}"
service() { # VAR=VALUE...: the installed pipeline as the unit starts it, these set last
  (cd "$STATE" && exec env -i PATH=/usr/bin:/bin "${unit_env[@]}" HTTP_LISTEN=off "$@" "$ROOT/usr/bin/pipeline") \
    2>>"$WORK/service.log" &
  svc=$!; PIDS+=("$svc")
}
is_final() { "$PYTHON" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["state"] != "final")' "$1"; }
# play WHERE: the sample game into the stream WHERE, whole (the producer's last rewrite)
play() { mkdir -p "$(dirname "$1")"; cp "$SRC/sql/data/game.txt" "$1.tmp" && mv "$1.tmp" "$1"; }
still_serving() { # NAME DOC: DOC becomes final, and the service still runs 3 s later
  wait_for 60 is_final "$2" || { gone "$svc" && fail "$1: the service exited before its final"; fail "$1: no final $2"; }
  sleep 3
  gone "$svc" && { wait "$svc"; fail "$1: the service exited ($?) after the final: the next game would be missed"; }
  return 0
}
src=
for e in "${unit_env[@]}"; do case $e in PIPELINE_SOURCE=*) src=${e#PIPELINE_SOURCE=} ;; esac; done
case $src in
  file://*/) ;;
  *) fail "the packaged PIPELINE_SOURCE is '$src', not a file:// prefix of the state directory: a fresh install serves one game" ;;
esac
G=${src#file://}
service
for g in game-a game-b; do
  echo '{"home": 101, "away": 205}' > "$WORK/game.json"; mkdir -p "$G/$g"; mv "$WORK/game.json" "$G/$g/game.json"
  play "$G/$g/gamestream.txt"
  still_serving "the packaged prefix, $g" "$STATE/boxscores/$g/76.json"
done
stops_on TERM "$svc" "the packaged service"
pass "the packaged service follows one game after another under its prefix, and stops on SIGTERM with 0"
service PIPELINE_SOURCE="file://$STATE/one/gamestream.txt" PIPELINE_BOXSCORES="file://$STATE/one-box"
play "$STATE/one/gamestream.txt"
still_serving "one stream in the packaged settings" "$STATE/one-box/76.json"
stops_on TERM "$svc" "the packaged service with one stream"
pass "with one stream in its settings the packaged service still runs after the final (PIPELINE_FOLLOW=1)"
