#!/usr/bin/env bash
# The layer compressors' bytes do not depend on the CPU (issue 17): the same tars go through
# compress_tool natively, under qemu-x86_64 as -cpu qemu64 (the x86-64 baseline, no SSE4.2: what
# kvm64/qemu64 virtual machines expose), Nehalem (SSE4.2) and Haswell (AVX2), and, cross-built, under
# qemu-aarch64; every run must give the same sha256 per (tar, spec). Each run also uses another
# thread count and read size, which must not matter either. Without qemu-user (or the arm64 cross
# build) it skips (exit 77) or leaves arm64 out, saying so; with CAIRN_REQUIRE_QEMU=1 (scripts/test,
# after bootstrap installed them) either is a failure instead.
#   compress_cpus_test.sh COMPRESS_TOOL [COMPRESS_TOOL_ARM64]
set -euo pipefail
tool=$1
arm64=${2:-}
require=${CAIRN_REQUIRE_QEMU:-0}
if ! command -v qemu-x86_64 >/dev/null; then
  echo "SKIP: qemu-x86_64 not found (apt-get install qemu-user; scripts/bootstrap does)"
  [ "$require" = 1 ] && { echo "FAIL: CAIRN_REQUIRE_QEMU=1"; exit 1; }
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# small: ~10 KB of small files, like the COPY layer whose digest once varied; large: ~4 MiB of
# shared libraries and text (four gzip members, several zstd blocks).
mkdir -p "$work/small" "$work/large"
for i in $(seq 12); do head -c $((300 + 41 * i)) /usr/share/common-licenses/GPL-3 > "$work/small/f$i"; done
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name 'libstdc++.so*' -type f | head -1 | xargs -r cp -t "$work/large"
cp /usr/share/common-licenses/GPL-3 /usr/share/common-licenses/Apache-2.0 "$work/large"
tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$work" -cf "$work/small.tar" small
tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$work" -cf "$work/large.tar" large
head -c $((4 << 20)) "$work/large.tar" > "$work/large4.tar"
mv "$work/large4.tar" "$work/large.tar"

# name | command prefix | threads | read size
runs=("native||1|65536" "qemu64|qemu-x86_64 -cpu qemu64|2|4099" "Nehalem|qemu-x86_64 -cpu Nehalem|3|777"
      "Haswell|qemu-x86_64 -cpu Haswell|4|1048576")
if [ -n "$arm64" ] && [ -x "$arm64" ] && command -v qemu-aarch64 >/dev/null; then
  runs+=("arm64|qemu-aarch64|2|65539")
else
  echo "NOTE: arm64 not checked: needs qemu-aarch64 and compress_tool-arm64 (g++-aarch64-linux-gnu, libdeflate-dev:arm64, libzstd-dev:arm64; scripts/bootstrap installs them, then re-run cmake)"
  [ "$require" = 1 ] && { echo "FAIL: CAIRN_REQUIRE_QEMU=1"; exit 1; }
fi

specs=(gzip gzip,level=6 gzip,level=12 zstd zstd,level=7 zstd,level=12)
fail=0
start=$SECONDS
for t in small large; do
  for spec in "${specs[@]}"; do
    want=
    for r in "${runs[@]}"; do
      IFS='|' read -r name prefix threads rsize <<<"$r"
      bin=$tool
      [ "$name" = arm64 ] && bin=$arm64
      # shellcheck disable=SC2086
      got=$($prefix "$bin" "$spec" "$threads" "$rsize" < "$work/$t.tar" 2>"$work/err" | sha256sum | cut -c1-64) || true
      if ! grep -q . "$work/err" || grep -q "compress_tool:" "$work/err"; then
        echo "FAIL: $t.tar $spec on $name: compress_tool failed: $(cat "$work/err")"; fail=1; continue
      fi
      desc=$(grep -v -i "warning" "$work/err" | tail -1)
      if [ -z "$want" ]; then
        want=$got
        printf '%-10s %-14s %s  (%s)\n' "$t.tar" "$spec" "$got" "$desc"
      elif [ "$got" != "$want" ]; then
        echo "FAIL: $t.tar $spec on $name ($threads threads, reads of $rsize): sha256 $got, natively $want"
        fail=1
      fi
    done
  done
done
names=$(for r in "${runs[@]}"; do printf '%s ' "${r%%|*}"; done)
echo "checked on: $names($((SECONDS - start)) s)"
[ $fail -eq 0 ] && echo "same bytes on every CPU"
exit $fail
