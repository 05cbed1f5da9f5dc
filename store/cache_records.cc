#include "store/cache_records.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"

namespace cairn::store {

using nlohmann::json;

namespace {

constexpr char kSuffix[] = ".json";

std::optional<Layer> LayerFromJson(const json& j) {
  if (!j.contains("layer") || j["layer"].is_null()) return std::nullopt;
  return Layer{DescriptorFromJson(j["layer"]["descriptor"]), j["layer"]["diff_id"].get<std::string>()};
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

CacheRecords::CacheRecords(Store& store) : dir_(JoinPath(store.root(), "cache")) { MakeDirs(dir_); }

std::string CacheRecords::PathFor(const std::string& key) const { return JoinPath(dir_, DigestHex(key) + kSuffix); }

std::optional<CacheRecord> CacheRecords::Get(const std::string& key) const {
  std::string path = PathFor(key);
  if (!PathExists(path)) return std::nullopt;
  try {
    json j = json::parse(ReadFile(path));
    if (!j.is_object()) return std::nullopt;
    CacheRecord rec{LayerFromJson(j)};
    // Last used = now. Best effort: a read-only store still hits.
    (void)utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
    return rec;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void CacheRecords::Put(const std::string& key, const CacheRecord& record) {
  json j = {{"layer", nullptr}};
  if (record.layer) j["layer"] = {{"descriptor", ToJson(record.layer->descriptor)}, {"diff_id", record.layer->diff_id}};
  WriteFileAtomic(PathFor(key), j.dump());
}

std::vector<CacheRecordInfo> CacheRecords::List() const {
  std::vector<CacheRecordInfo> out;
  for (const std::string& name : ListDir(dir_)) {
    if (name.size() <= sizeof(kSuffix) - 1 || !name.ends_with(kSuffix)) continue;  // temp files of WriteFileAtomic
    std::string hex = name.substr(0, name.size() - (sizeof(kSuffix) - 1));
    if (!IsHex64(hex)) continue;
    std::string path = JoinPath(dir_, name);
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) continue;  // removed meanwhile
    CacheRecordInfo info;
    info.key = "sha256:" + hex;
    info.file_size = st.st_size;
    info.last_used = st.st_mtim.tv_sec;
    try {
      json j = json::parse(ReadFile(path));
      if (!j.is_object() || !j.contains("layer")) throw Error("not a cache record");
      info.layer = LayerFromJson(j);
    } catch (const std::exception&) {
      info.readable = false;
    }
    out.push_back(std::move(info));
  }
  return out;
}

bool CacheRecords::Remove(const std::string& key) {
  std::string path = PathFor(key);
  if (unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw Error("cannot remove cache record " + path + ": " + strerror(errno));
}

std::vector<std::string> CacheRecords::TrimToBudget(int64_t budget_bytes) {
  std::vector<CacheRecordInfo> all = List();
  std::map<std::string, int> layer_refs;  // layer digest -> records naming it
  std::map<std::string, int64_t> layer_size;
  int64_t total = 0;
  for (auto& r : all) {
    total += r.file_size;
    if (r.layer && layer_refs[r.layer->descriptor.digest]++ == 0) {
      layer_size[r.layer->descriptor.digest] = r.layer->descriptor.size;
      total += r.layer->descriptor.size;
    }
  }
  // Oldest first; the key breaks ties so the order is the same on every run.
  std::sort(all.begin(), all.end(), [](const CacheRecordInfo& a, const CacheRecordInfo& b) {
    return a.last_used != b.last_used ? a.last_used < b.last_used : a.key < b.key;
  });
  std::vector<std::string> removed;
  for (auto& r : all) {
    if (total <= budget_bytes) break;
    Remove(r.key);
    removed.push_back(r.key);
    total -= r.file_size;
    if (r.layer && --layer_refs[r.layer->descriptor.digest] == 0) total -= layer_size[r.layer->descriptor.digest];
  }
  return removed;
}

}  // namespace cairn::store
