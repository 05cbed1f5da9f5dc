#!/usr/bin/env bash
# Measures the layer-compressor candidates (issue 5) on a busybox layer (~2 MB) and a ~75 MB mix
# of shared libraries and /usr/share/doc. Needs libisal-dev, libdeflate-dev, libzstd-dev, zlib1g-dev.
#   bench/compress_bench.sh [WORKDIR]
# Numbers on the 2-core dev VM (AVX-512 host), 2026-11-28, MB/s of input / compressed:input ratio:
#   busybox.tar 2.1 MB          mix.tar 76.7 MB
#   zlib-1.2.13 level 6           16.5  0.484      24.1  0.549   (the old default)
#   zlib level 1                  46.3  0.514      43.9  0.572
#   isa-l 2.30 level 1           312.5  0.535     281.5  0.581   <- chosen (fixed 64 KiB feeding)
#   isa-l level 2                216.2  0.527     266.5  0.578
#   isa-l level 3                174.8  0.521     170.9  0.572
#   libdeflate 1.14 lvl 1 (1 MiB gzip members)  111.8  0.512   100.0  0.565
#   libdeflate 1.14 lvl 6 (1 MiB gzip members)   43.5  0.480    54.0  0.545
#   zstd-1.5.4 level 3           124.6  0.505     217.8  0.395
# ISA-L's output depends on the per-call input sizes ("chunking-independent: NO" below), which is
# why store/compressor.cc feeds every codec fixed 64 KiB blocks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
"$here/../tests/support/busybox-rootfs" "$work/bbroot" "$work/busybox.tar" >/dev/null
# head closes the pipe early: find's SIGPIPE is no failure here.
{ find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f -size -3M | sort | head -150 || true
  find /usr/share/doc -type f | sort | head -3000 || true; } > "$work/list"
tar -cf "$work/mix.tar" -T "$work/list" 2>/dev/null || true
src=$here/..
g++ -O2 -std=c++20 -I"$src" -o "$work/compress_bench" "$here/compress_bench.cc" "$src/base/error.cc" \
  "$src/store/compressor.cc" "$src/store/compressor_gzip.cc" "$src/store/compressor_zstd.cc" \
  -lisal -ldeflate -lz -lzstd -pthread
"$work/compress_bench" "$work/busybox.tar" "$work/mix.tar"
for f in /tmp/compress_bench_*.gz; do gzip -t < "$f" 2>/dev/null || zstd -t -q < "$f"; done && echo "all outputs decode"
