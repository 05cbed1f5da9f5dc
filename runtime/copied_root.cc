#include "runtime/copied_root.h"

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "runtime/upper_diff.h"

namespace cairn::runtime {

CopiedRoot::CopiedRoot(const ContainerSpec& spec) : upper_(AbsoluteHostPath(spec.upperdir)) {
  std::string work = AbsoluteHostPath(spec.workdir);
  // A constructor that throws runs no destructor: what it made so far is removed here.
  ScopeFail remove_made([&] { RemoveOwned(); });
  trees_.root = JoinPath(work, "root");
  owned_.push_back(trees_.root);
  made_ = MaterialiseMerged(spec.lowerdirs, trees_.root, FileCopies::kCopy);
  for (size_t i = 0; i < spec.layered.size(); ++i) {
    const LayeredMount& m = spec.layered[i];
    // One read-only directory (the build context) is mounted as it is, as overlay would show it.
    if (m.lowerdirs.size() == 1 && !m.writable) {
      trees_.layered.push_back(AbsoluteHostPath(m.lowerdirs[0]));
      continue;
    }
    std::vector<std::string> lowers;
    for (const auto& l : m.lowerdirs) lowers.push_back(AbsoluteHostPath(l));
    std::string dir = JoinPath(work, "layered-" + std::to_string(i));
    owned_.push_back(dir);
    // Read-only (the runtime mounts it so): links to the layers' files cost no copy. Writable:
    // copies, whose changes vanish with them as they would in overlay's throwaway upper dir.
    MaterialiseMerged(lowers, dir, m.writable ? FileCopies::kCopy : FileCopies::kHardLink);
    trees_.layered.push_back(dir);
  }
}

CopiedRoot::~CopiedRoot() { RemoveOwned(); }

// Best effort: what cannot be removed is in the step's scratch dir, swept when the store is next
// opened, and an error here would hide the one that ended the step.
void CopiedRoot::RemoveOwned() noexcept {
  for (const auto& d : owned_) {
    try {
      RemoveAll(d);
    } catch (const std::exception&) {
    }
  }
}

void CopiedRoot::WriteUpper() { WriteUpperDiff(trees_.root, made_, upper_); }

}  // namespace cairn::runtime
