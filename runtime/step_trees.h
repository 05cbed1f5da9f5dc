// Runs a piece of builder code against a step's trees (mounted layer stacks), without a container.
//
// COPY, ADD and WORKDIR write into a step's upper dir through an overlay mount, so that
// copy-up, existing directories, symlinks in the destination and whiteouts behave exactly as
// they do for RUN. The mounts live in a forked child's private mount namespace: when the child
// exits they are gone, whatever happened, and the builder process itself never mounts anything.
// With the copying snapshotter (runtime/snapshotter.h) a writable stack is a copy of its merged
// lowers instead, and its change reaches upperdir, in overlay's form, when fn has returned.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cairn::runtime {

struct OverlayDirs {
  std::vector<std::string> lowerdirs;  // top-most first; may be empty
  std::string upperdir;                // empty = read-only view
  std::string workdir;                 // required with upperdir
};

// Forks; the child unshares its mount namespace, mounts each stack on a fresh directory under
// `scratch` and calls fn with those directories (same order as `stacks`). An exception thrown by
// fn in the child comes back as a cairn::Error with the same message in the parent.
void WithMountedStacks(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                       const std::function<void(const std::vector<std::string>& roots)>& fn);

// The same where no mount namespace can be made (a CI container without CAP_SYS_ADMIN) and for
// tests without root: still in a forked child, but nothing is mounted. A writable stack is a copy
// of its merged lowers whose change reaches upperdir, in overlay's form, when fn has returned (as
// with the copying snapshotter); a read-only stack of several layers is links to their files; a
// read-only stack of one layer is that layer's own directory, which fn must only read.
void WithCopiedStacks(const std::string& scratch, const std::vector<OverlayDirs>& stacks,
                      const std::function<void(const std::vector<std::string>& roots)>& fn);

// The overlay mount options for a stack, shortest form: relative lowerdir names when all share a
// parent (returned in `chdir_to`), so that 128 layers fit in one page. Exposed for tests.
std::string OverlayOptions(const OverlayDirs& dirs, std::string* chdir_to);

}  // namespace cairn::runtime
