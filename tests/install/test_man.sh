#!/usr/bin/env bash
# The man pages the build writes (PROGRAM --man, from the option table --help is made
# from): they render without a warning at 80 columns, have the sections a reader looks
# for, give every option of --help an entry of its own (the option alone on its line,
# its help below: never "--mongo-write-concern VALUE MongoDB write concern"), and name
# every variable of --help under ENVIRONMENT. The installed copies are gzip'd.
. "$SRC/tests/lib.sh"
BUILD=${1:?usage: test_man.sh BUILD_DIR}
for p in pipeline gamestream-sim; do
  page=$BUILD/man/$p.1
  [ -s "$page" ] || fail "the build wrote no $page"
  gzip -dc "$page.gz" | cmp -s - "$page" || fail "$page.gz is not $page compressed"
  "$BIN/$p" --man | cmp -s - "$page" || fail "$page is not what $p --man prints now"
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" > /dev/null 2> "$WORK/$p.warn" \
    || fail "man -l $page failed"
  [ -s "$WORK/$p.warn" ] && { cat "$WORK/$p.warn" >&2; fail "$p.1 has warnings"; }
  LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | col -bx > "$WORK/$p.man"
  for s in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES "EXIT STATUS" "SEE ALSO"; do
    grep -qx "$s" "$WORK/$p.man" || fail "$p.1 has no $s section"
  done
  grep -qE "^ +$p - " "$WORK/$p.man" || fail "$p.1 has no NAME line"
  "$BIN/$p" --help > "$WORK/$p.help"
  n=0
  while read -r opt arg; do
    grep -qxE " +$opt( $arg)?" "$WORK/$p.man" || fail "$p.1: $opt is not an entry of its own (its help runs into it)"
    n=$((n + 1))
  done < <(sed -n '/^Options/,/^$/s/^  \(--[a-z0-9-]*\)\( VALUE\)\{0,1\} .*/\1\2/p' "$WORK/$p.help")
  [ $n -gt 10 ] || fail "found only $n options in $p --help"
  env_section=$(sed -n '/^ENVIRONMENT$/,/^FILES$/p' "$WORK/$p.man")
  mapfile -t vars < <(sed -n 's/^ *env \([A-Z0-9_]*\),.*/\1/p' "$WORK/$p.help")
  [ ${#vars[@]} -gt 10 ] || fail "found only ${#vars[@]} variables in $p --help"
  for v in "${vars[@]}" S3_SECRET_KEY PASSWORD; do
    grep -qxE " +$v" <<<"$env_section" || fail "$p.1's ENVIRONMENT does not name $v"
  done
  grep -qE "^ +2 +usage" "$WORK/$p.man" || fail "$p.1's EXIT STATUS does not give status 2"
done
grep -qx " *pipeline --source PREFIX/ .*" "$WORK/pipeline.man" || fail "pipeline.1's SYNOPSIS lacks the prefix form"
grep -qx "BACKENDS BY URI SCHEME" "$WORK/pipeline.man" || fail "pipeline.1 does not list the backends"
grep -qE "^ +gamestream-sim\(1\)" "$WORK/pipeline.man" || fail "pipeline.1's SEE ALSO lacks gamestream-sim(1)"
pass "pipeline(1) and gamestream-sim(1) have every section, every option as its own entry, every variable"
