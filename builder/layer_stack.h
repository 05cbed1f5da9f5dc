// An image's layers as overlay lowerdirs: the one place that turns store layers into mount paths.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace cairn::builder {

// Unpacks each layer on first use and returns their short paths, top-most first (overlay's
// lowerdir order). layers and diff_ids are bottom first, as in a manifest and config.
std::vector<std::string> LowerDirsFor(store::Store& store, const std::vector<store::Descriptor>& layers,
                                      const std::vector<std::string>& diff_ids);

}  // namespace cairn::builder
