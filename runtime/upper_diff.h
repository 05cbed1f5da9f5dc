// The copying snapshotter's second half (runtime/snapshotter.h): what a step changed in a tree
// MaterialiseMerged made, written as the upper dir a kernel overlay would have left, so that
// store::CommitLayerFromDir(overlay_upper = true) makes the same layer from it byte for byte.
//
// The rules are overlay's copy-up rules, because the layer committer keeps whatever overlay put in
// the upper dir (store/layer_commit.cc drops only mount-point stubs):
//   - an entry the step made (not in the record, or another inode than the one made there) is
//     new, with everything below it; a new directory where the lowers had anything is opaque
//     (overlay sets the marker on a directory made over a whiteout);
//   - an entry made by MaterialiseMerged whose ctime moved was written to, chmod-ed, chown-ed,
//     touched or linked: overlay would have copied it up, so it is in the upper dir with its
//     current content and metadata, even when that equals the lower's (a touched file);
//   - a name the record has and the tree lacks is a whiteout (char device 0/0);
//   - a directory is in the upper dir when anything below it is or its own ctime moved (an entry
//     made and removed again, a chmod), with its current metadata, as overlay's copied-up
//     directories are.
// Overlay also copies up a file that was only opened for writing, and such an open leaves no
// trace in a copy; the layer committer leaves such unchanged copy-ups out (store/layer.h,
// SnapshotOptions::lowerdirs), so the layers agree. One difference remains: where overlay breaks
// a lower hard link on copy-up, here a write through one name shows through the others (both
// then are in the upper dir).
#pragma once

#include <string>

#include "runtime/merged_tree.h"

namespace cairn::runtime {

// Moves the changed entries of `merged` (renames on the same file system, copies otherwise) into
// `upper`, an existing empty directory, and adds whiteouts and opaque markers. `merged` is left
// partial: remove it afterwards. Throws cairn::Error naming the path.
void WriteUpperDiff(const std::string& merged, const MergedRecord& before, const std::string& upper);

}  // namespace cairn::runtime
