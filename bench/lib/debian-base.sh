# Sourced by bench scripts: the Debian 12 base tree they build FROM, made once and kept.
#   debian_base_tree CACHE   makes CACHE/rootfs when it is missing: debootstrap --variant=minbase
#                            bookworm with perl and python3 (216 MB as a tar, 10,000 files), apt's
#                            caches and logs removed. A tree left half-made by an interrupted run
#                            (CACHE/rootfs.partial) is redone.
debian_base_tree() {
  local cache=$1
  [ -d "$cache/rootfs" ] && return 0
  command -v debootstrap >/dev/null || { echo "debootstrap missing; run scripts/bootstrap" >&2; return 1; }
  mkdir -p "$cache" && rm -rf "$cache/rootfs.partial"
  echo "bench: debootstrap bookworm (minbase + perl, python3) into $cache, once" >&2
  debootstrap --variant=minbase --include=perl,python3 bookworm "$cache/rootfs.partial" http://deb.debian.org/debian \
    >"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; return 1; }
  rm -rf "$cache"/rootfs.partial/var/cache/apt/archives/*.deb "$cache"/rootfs.partial/var/cache/apt/*.bin \
         "$cache"/rootfs.partial/var/lib/apt/lists/* "$cache"/rootfs.partial/var/log/*
  mv "$cache/rootfs.partial" "$cache/rootfs"
}
