// `cairn diff A B`: a semantic comparison of two images, like diffoci: manifest and config
// fields, history, and for each layer every tar entry that differs, named by the Dockerfile step
// that made the layer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/known_causes.h"
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
  bool mentions_needle = false;  // a regular file whose content contains one of the needles
};

// Streams a (compressed) layer blob and lists its entries in archive order. needles: strings to
// look for in file contents (e.g. host names), reported as mentions_needle.
std::vector<TarEntry> ReadLayerEntries(const std::string& blob_path, const std::vector<std::string>& needles = {});

struct Difference {
  std::string where;  // "config.Env", "history[3]", "layer 2 (RUN make): usr/bin/x"
  std::string what;   // "content", "mode 0644 -> 0755", "only in A", ...
  std::string a, b;   // the two values, when they are short
  // For a file in a layer: the layer (1-based; 0 = not a file), the step that made it (history
  // created_by), its path in the tar, and whether either side's content names a needle.
  int layer = 0;
  std::string step, path;
  bool mentions_needle = false;
};

struct DiffReport {
  std::vector<Difference> differences;
  bool identical() const { return differences.empty(); }
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// Compares the image `ref_a` in store a with `ref_b` in store b (the stores may be the same).
// needles: see ReadLayerEntries (verify passes the build hosts' names).
DiffReport DiffImages(const store::Store& a, const std::string& ref_a, const store::Store& b, const std::string& ref_b,
                      const std::vector<std::string>& needles = {});

// verify's comparison of two builds that should give one manifest (digests a and b): nothing when
// they do; else DiffImages, and when that finds no difference in files or config, the manifest
// digests themselves as the one difference (e.g. the layers were compressed otherwise).
DiffReport DiffBuilds(const store::Store& a, const std::string& digest_a, const store::Store& b,
                      const std::string& digest_b, const std::vector<std::string>& needles = {});

// One differing file of a layer, every way it differs, and its known cause (builder/known_causes.h).
struct FileDifference {
  std::string path;  // "/var/log/dpkg.log"
  int layer = 0;
  std::string step;               // created_by of the step that made the layer
  std::vector<std::string> what;  // "content", "mtime 0 -> 5", ...
  std::optional<KnownCause> cause;
};

// The files among a report's differences, each once, in layer then path order.
std::vector<FileDifference> DifferingFiles(const DiffReport& report);

}  // namespace cairn::builder
