#include "builder/layer_stack.h"

namespace cairn::builder {

std::vector<std::string> LowerDirsFor(store::Store& store, const std::vector<store::Descriptor>& layers,
                                      const std::vector<std::string>& diff_ids) {
  std::vector<std::string> dirs;
  for (size_t i = layers.size(); i-- > 0;) {
    store.UnpackedLayer(layers[i], diff_ids[i]);
    dirs.push_back(store.ShortLayerPath(diff_ids[i]));
  }
  return dirs;
}

}  // namespace cairn::builder
