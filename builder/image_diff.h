// `cairn diff A B`: a semantic comparison of two images, like diffoci: manifest and config
// fields, history, and for each layer every tar entry that differs, named by the Dockerfile step
// that made the layer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace cairn::builder {

// One entry of a layer tar, as far as an image's meaning goes.
struct TarEntry {
  std::string path;
  char type = '0';  // '0' file, '5' dir, '2' symlink, '1' hardlink, '3'/'4' devices, '6' fifo
  uint32_t mode = 0;
  int64_t uid = 0, gid = 0, size = 0, mtime = 0;
  std::string link;            // symlink or hardlink target
  std::string content_digest;  // regular files
  std::map<std::string, std::string> xattrs;  // values hex-encoded
};

// Streams a (compressed) layer blob and lists its entries in archive order.
std::vector<TarEntry> ReadLayerEntries(const std::string& blob_path);

struct Difference {
  std::string where;  // "config.Env", "history[3]", "layer 2 (RUN make): usr/bin/x"
  std::string what;   // "content", "mode 0644 -> 0755", "only in A", ...
  std::string a, b;   // the two values, when they are short
};

struct DiffReport {
  std::vector<Difference> differences;
  bool identical() const { return differences.empty(); }
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// Compares the image `ref_a` in store a with `ref_b` in store b (the stores may be the same).
DiffReport DiffImages(const store::Store& a, const std::string& ref_a, const store::Store& b, const std::string& ref_b);

}  // namespace cairn::builder
