// Tags: org.opencontainers.image.ref.name annotations on index.json's manifests.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>

#include "base/error.h"
#include "base/fs.h"
#include "store/store.h"

namespace cairn::store {

namespace {

constexpr const char* kRefName = "org.opencontainers.image.ref.name";

// Holds <root>/lock exclusively: index.json read-modify-write cycles of several processes must
// not interleave (each replaces the file atomically, so readers need no lock).
class IndexLock {
 public:
  explicit IndexLock(const std::string& root) {
    std::string path = JoinPath(root, "lock");
    fd_.Reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_) throw SysError("open", path);
    while (::flock(fd_.get(), LOCK_EX) != 0)
      if (errno != EINTR) throw SysError("flock", path);
  }

 private:
  UniqueFd fd_;
};

nlohmann::json ReadIndex(const std::string& root) {
  std::string path = JoinPath(root, "index.json");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ReadFile(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON (" + e.what() + "); run `cairn check`");
  }
  if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
    throw Error(path + ": not an OCI image index (no manifests array); run `cairn check`");
  return j;
}

std::string RefName(const nlohmann::json& m) {
  if (!m.is_object() || !m.contains("annotations") || !m["annotations"].is_object()) return "";
  auto it = m["annotations"].find(kRefName);
  return it != m["annotations"].end() && it->is_string() ? it->get<std::string>() : "";
}

void WriteIndex(const std::string& root, nlohmann::json index) {
  // Sorted by name so the file itself is deterministic and diffs read well.
  auto& ms = index["manifests"];
  std::stable_sort(ms.begin(), ms.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return RefName(a) < RefName(b);
  });
  WriteFileAtomic(JoinPath(root, "index.json"), index.dump());
}

// Removes the entries named `name`; true if there were any.
bool EraseName(nlohmann::json& index, const std::string& name) {
  auto& ms = index["manifests"];
  size_t before = ms.size();
  nlohmann::json kept = nlohmann::json::array();
  for (auto& m : ms)
    if (RefName(m) != name) kept.push_back(m);
  ms = kept;
  return ms.size() != before;
}

// The manifest descriptor an index entry names, without the index's own ref.name annotation.
Descriptor ManifestOf(const nlohmann::json& m) {
  Descriptor d = DescriptorFromJson(m);
  d.annotations.erase(kRefName);
  return d;
}

}  // namespace

std::string NormalizeName(const std::string& name) {
  if (name.find('@') != std::string::npos) return name;
  // A ':' before the last '/' is a registry port ("localhost:5000/app"), not a tag.
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) return name;
  return name + ":latest";
}

std::optional<Descriptor> Store::ResolveTag(const std::string& name) const {
  std::string want = NormalizeName(name);
  nlohmann::json index = ReadIndex(root_);  // a local: ranging over a temporary's member dangles
  for (auto& m : index["manifests"])
    if (RefName(m) == want) return ManifestOf(m);
  return std::nullopt;
}

void Store::SetTag(const std::string& name, const Descriptor& manifest) {
  std::string n = NormalizeName(name);
  if (n.empty() || n.front() == ':') throw Error("invalid image name \"" + name + "\"");
  IndexLock lock(root_);
  nlohmann::json index = ReadIndex(root_);
  EraseName(index, n);
  Descriptor d = manifest;
  d.annotations[kRefName] = n;
  if (d.media_type.empty()) d.media_type = media::kOciManifest;
  index["manifests"].push_back(ToJson(d));
  WriteIndex(root_, index);
}

bool Store::RemoveTag(const std::string& name) {
  IndexLock lock(root_);
  nlohmann::json index = ReadIndex(root_);
  if (!EraseName(index, NormalizeName(name))) return false;
  WriteIndex(root_, index);
  return true;
}

std::vector<std::pair<std::string, Descriptor>> Store::ListTags() const {
  std::vector<std::pair<std::string, Descriptor>> out;
  nlohmann::json index = ReadIndex(root_);
  for (auto& m : index["manifests"]) {
    std::string name = RefName(m);
    if (!name.empty()) out.emplace_back(name, ManifestOf(m));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace cairn::store
