// How a step's changes are captured: the one place that chooses.
//
// kOverlay: a kernel overlay (lowerdirs = unpacked layers, upperdir = fresh) is mounted for each
// RUN container (runtime/container.h) and for COPY/ADD/WORKDIR (runtime/step_trees.h); the
// upper dir is the change.
// kCopy: where overlay cannot be mounted (rootless on a kernel without userxattr, a store on a file
// system overlay cannot use as upper), the merged view is copied into a plain directory
// (runtime/merged_tree.h), the step works on that, and the change is written afterwards as the
// upper dir overlay would have left (runtime/upper_diff.h). Same layers, byte for byte; slower by
// one copy of the parent's tree per step.
//
// The rule, in order:
//   1. CAIRN_SNAPSHOTTER=copy or =overlay forces one (tests use copy on machines where overlay
//      works); any other value is an error;
//   2. otherwise overlay if a tiny overlay mounts and works in a scratch directory of the store,
//      with the options every step uses (userxattr when rootless) and a whiteout and an opaque
//      directory made through it; probed once per process, in a throwaway mount namespace;
//   3. otherwise copy.
// Mounting is probed rather than the kernel version checked because what fails is not only the
// kernel: the store's file system must take overlay's xattrs and whiteouts.
#pragma once

#include <string>

namespace cairn::runtime {

enum class Snapshotter { kOverlay, kCopy };

inline constexpr const char* kSnapshotterEnv = "CAIRN_SNAPSHOTTER";

// The rule above. scratch_dir: an existing directory on the store's file system where the probe
// may make and remove its own subdirectory. Thread-safe; the probe runs at most once per process.
// Throws cairn::Error for an unknown CAIRN_SNAPSHOTTER value.
Snapshotter ChooseSnapshotter(const std::string& scratch_dir);

// Whether CAIRN_SNAPSHOTTER chooses (step 1), so that a fallback is worth telling the user about.
bool SnapshotterForced();

// Why the copying snapshotter was chosen, for a note to the user, naming what to change; "" when
// the isolation level (runtime/isolation.h) already said it (no mount namespace at all).
std::string CopyingSnapshotterReason(const std::string& store_dir);

// Step 2 alone: whether overlay mounts and makes whiteouts and opaque directories under dir.
bool OverlayWorksIn(const std::string& dir);

}  // namespace cairn::runtime
