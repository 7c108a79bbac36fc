#!/usr/bin/env bash
# Runs the s3:// source and lister unit tests against Swift s3api started on free ports:
# signed with V4 (libcurl) and with V2 (libs3) over HTTP, then V4 over TLS (a stunnel4
# front with a CA made by the test) verified with --s3-ca-file, and without verification.
. "$SRC/tests/lib.sh"
start_s3; server_env; start_s3_tls
S3_SIGNATURE=v4 "$BIN/test_s3_source" || fail "s3 source tests, Signature V4"
S3_SIGNATURE=v2 "$BIN/test_s3_source" || fail "s3 source tests, Signature V2"
S3_SIGNATURE=v4 S3_ENDPOINT=127.0.0.1:$S3_TLS_PORT S3_HTTPS=1 S3_CA_FILE=$S3_CA "$BIN/test_s3_source" \
  || fail "s3 source tests, Signature V4 over TLS with the test's CA"
S3_SIGNATURE=v4 S3_ENDPOINT=127.0.0.1:$S3_TLS_PORT S3_HTTPS=1 S3_INSECURE=1 "$BIN/test_s3_source" \
  || fail "s3 source tests, Signature V4 over TLS unverified"
pass "s3 source and lister: V4 and V2, HTTP and TLS"
