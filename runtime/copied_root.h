// Run()'s side of the copying snapshotter (runtime/snapshotter.h): before the container starts,
// the merged lowers are copied into a directory that becomes its root, and each layered mount's
// stack into one of its own; after it ends, the change is written into spec.upperdir as overlay
// would have left it (runtime/upper_diff.h). Everything lives in spec.workdir (overlay's work
// dir, unused without overlay: the caller's scratch space on the upper dir's file system).
#pragma once

#include "runtime/child_plan.h"
#include "runtime/container.h"
#include "runtime/merged_tree.h"

namespace cairn::runtime {

class CopiedRoot {
 public:
  // Makes the trees. Throws cairn::Error naming the path that could not be copied.
  explicit CopiedRoot(const ContainerSpec& spec);
  // Removes what it made (best effort: the caller's scratch is swept after a crash anyway).
  ~CopiedRoot();
  CopiedRoot(const CopiedRoot&) = delete;
  CopiedRoot& operator=(const CopiedRoot&) = delete;

  const CopiedTrees& trees() const { return trees_; }
  // After the container ended: its change, into spec.upperdir.
  void WriteUpper();

 private:
  std::string upper_;
  CopiedTrees trees_;
  MergedRecord made_;
  std::vector<std::string> owned_;  // directories this object made and removes

  void RemoveOwned() noexcept;
};

}  // namespace cairn::runtime
