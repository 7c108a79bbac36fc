#!/usr/bin/env bash
# cmake --install into a scratch prefix: the two programs, the SQL seeds, the Drill
# queries, the sample data and the two man pages, at their GNUInstallDirs places, and
# nothing of the service component (the unit, /etc) outside the package.
. "$SRC/tests/lib.sh"
BUILD=${1:?usage: test_install.sh BUILD_DIR}
cmake --install "$BUILD" --prefix "$WORK/inst" > "$WORK/install.log" || fail "cmake --install failed"
(cd "$WORK/inst" && find . -type f | sed 's#^\./##' | sort) > "$WORK/got"
{
  printf '%s\n' bin/pipeline bin/gamestream-sim \
    share/man/man1/pipeline.1.gz share/man/man1/gamestream-sim.1.gz
  (cd "$SRC/sql" && find . -name '*.sql' -not -path './data/*' | sed 's#^\./#share/sidearm/sql/#')
  (cd "$SRC/sql/data" && find . -type f | sed 's#^\./#share/sidearm/data/#')
} | sort > "$WORK/want"
grep -q '^share/sidearm/sql/drill/.*\.sql$' "$WORK/want" || fail "no Drill query expected: the sql/ layout changed"
diff -u "$WORK/want" "$WORK/got" > "$WORK/diff.log" || { cat "$WORK/diff.log" >&2; fail "installed files differ from the expected list"; }
for p in pipeline gamestream-sim; do
  [ -x "$WORK/inst/bin/$p" ] || fail "bin/$p is not executable"
  "$WORK/inst/bin/$p" --help > "$WORK/$p.help" || fail "installed $p --help failed"
done
pass "cmake --install puts $(wc -l < "$WORK/got") files where GNUInstallDirs says"

# the installed gamestream-sim finds the installed sample data on its own (not the source
# tree's): cut the installed game to its first 5 lines and replay it by default
head -n 5 "$WORK/inst/share/sidearm/data/game.txt" > "$WORK/five.txt"
cp "$WORK/five.txt" "$WORK/inst/share/sidearm/data/game.txt"
(cd "$WORK" && "$WORK/inst/bin/gamestream-sim" --delay 0 --target "file://$WORK/out/gamestream.txt") 2>"$WORK/sim.log" ||
  { cat "$WORK/sim.log" >&2; fail "the installed gamestream-sim could not replay its default game"; }
grep -q "replaying 5 lines" "$WORK/sim.log" || { cat "$WORK/sim.log" >&2; fail "the installed gamestream-sim did not read the installed sample game"; }
cmp -s "$WORK/five.txt" "$WORK/out/gamestream.txt" || fail "the replayed stream is not the installed sample game"
pass "the installed gamestream-sim replays the installed sample data by default"
