#!/usr/bin/env bash
# Runs the s3:// source unit tests against Swift s3api started on free ports.
. "$SRC/tests/lib.sh"
start_s3; server_env
"$BIN/test_s3_source" || fail "s3 source tests"
