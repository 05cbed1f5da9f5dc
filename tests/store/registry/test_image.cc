#include "tests/store/registry/test_image.h"

#include <random>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "store/image.h"
#include "store/layer.h"

namespace cairn::store::registry::testing {

Descriptor MakeTestImage(Store& store, const std::string& name, size_t big_bytes, unsigned seed) {
  std::string dir = store.NewScratchDir("test-image-");
  MakeDirs(JoinPath(dir, "etc"));
  WriteFileAtomic(JoinPath(dir, "etc/motd"), "hello from cairn " + std::to_string(seed) + "\n");
  if (big_bytes > 0) {
    std::mt19937 gen(seed);
    std::string data(big_bytes, '\0');
    for (char& c : data) c = static_cast<char>(gen());
    WriteFileAtomic(JoinPath(dir, "big.bin"), data);
  }
  SnapshotOptions options;
  options.overlay_upper = false;
  std::optional<Layer> layer = CommitLayerFromDir(store, dir, options);
  RemoveAll(dir);
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "1970-01-01T00:00:00Z"},
      {"config", {{"Cmd", {"/bin/sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {layer->diff_id}}}},
  };
  Descriptor d = WriteImage(store, config, {layer->descriptor}).manifest;
  store.SetTag(name, d);
  return d;
}

bool HasWholeImage(const Store& store, const std::string& manifest_digest) {
  nlohmann::json m = nlohmann::json::parse(store.ReadBlob(manifest_digest));
  store.ReadBlob(m["config"]["digest"]);
  for (auto& l : m["layers"]) {
    std::string digest = l["digest"];
    if (!store.HasBlob(digest)) return false;
    if (DigestOfFile(store.BlobPath(digest)) != digest) return false;
  }
  return true;
}

}  // namespace cairn::store::registry::testing
