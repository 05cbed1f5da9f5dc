#!/usr/bin/env bash
# Proves both ways a conformance test meets a missing corpus (tests/frontend/conformance_corpus.h):
# a plain clone skips it with a message naming the directory; CAIRN_REQUIRE_CONFORMANCE=1 (what
# .ci/run sets) fails it.   usage: conformance_skip_test.sh TEST-BINARY...
set -u
missing=$(mktemp -d)/no-conformance-corpus
status=0
for bin in "$@"; do
  name=$(basename "$bin")
  out=$(env -u CAIRN_REQUIRE_CONFORMANCE CAIRN_CONFORMANCE_DIR="$missing" "$bin" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] || ! grep -q "SKIPPED" <<<"$out" || ! grep -q "$missing is missing" <<<"$out" \
     || grep -q "^\[  FAILED  \]" <<<"$out"; then
    echo "$name: without the corpus it should skip every test and name $missing (exit $rc):"
    echo "$out" | tail -20
    status=1
  fi
  out=$(CAIRN_REQUIRE_CONFORMANCE=1 CAIRN_CONFORMANCE_DIR="$missing" "$bin" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] || ! grep -q "CAIRN_REQUIRE_CONFORMANCE=1 says it must be there" <<<"$out"; then
    echo "$name: with CAIRN_REQUIRE_CONFORMANCE=1 a missing corpus should fail (exit $rc):"
    echo "$out" | tail -20
    status=1
  fi
done
rm -rf "$(dirname "$missing")"
[ $status -eq 0 ] && echo "conformance skip check: $# test binaries skip without the corpus and fail when it is required"
exit $status
