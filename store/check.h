// `cairn check`: proves a store sound, or lists what is not.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace cairn::store {

struct CheckReport {
  std::vector<std::string> problems;  // one line each, naming the path
  std::vector<std::string> repaired;  // what --repair removed
};

// Verifies every blob's digest, every reference (index.json -> manifest -> config and layers,
// config diff_ids against the layer blobs' uncompressed digests), every cache record, every
// unpacked layer against its recorded tree digest (tree_sum.h says why that proves its diffID),
// and every l/ link. With repair (under the exclusive gc lock): deletes corrupt blobs, tags that
// reach something missing or corrupt, broken cache records, unpacked layers that do not match and
// dangling links; what remains is then checked again and reported in problems.
CheckReport CheckStore(Store& store, bool repair);

}  // namespace cairn::store
