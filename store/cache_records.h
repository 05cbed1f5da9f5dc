// Step-cache records in a store: <root>/cache/<key hex>.json, one file per cache key.
//
// A record says which layer a build step produced (or that it produced none). The builder's
// StepCache and `cairn prune` both go through this API; nothing else reads cache/*.json.
// A record's mtime is its "last used" time: Get touches it on every hit, so trimming removes
// the records no build has used for the longest time first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/layer.h"
#include "store/store.h"

namespace cairn::store {

struct CacheRecord {
  std::optional<Layer> layer;  // nullopt: the step changed nothing
};

struct CacheRecordInfo {
  std::string key;             // "sha256:<hex>"
  std::optional<Layer> layer;  // nullopt: no layer (or an unreadable record, see readable)
  int64_t file_size = 0;       // bytes of the record file itself
  int64_t last_used = 0;       // seconds since the epoch: mtime of the record file
  bool readable = true;        // false: not valid JSON or not a cache record (prune deletes it)
};

class CacheRecords {
 public:
  explicit CacheRecords(Store& store);

  // The record for key, or nullopt when there is none or it is damaged (a damaged record is a
  // miss, never a failed build). A found record's mtime is set to now (last used). Does not
  // check that the layer blob is present: callers decide (a remote cache may supply it).
  std::optional<CacheRecord> Get(const std::string& key) const;
  // Replaces the record for key atomically.
  void Put(const std::string& key, const CacheRecord& record);
  // Every record, sorted by key. Never throws for one bad file: it is listed with readable=false.
  std::vector<CacheRecordInfo> List() const;
  // Removes key's record; false if there was none.
  bool Remove(const std::string& key);
  // Removes records oldest-last-used first until the records' cost fits in budget_bytes.
  // Cost = every record file's size + the compressed size of each distinct layer blob that
  // records name (a layer shared by several records counts once, and stops counting when its
  // last record goes). Returns the keys removed. Callers holding blobs decide what to collect.
  std::vector<std::string> TrimToBudget(int64_t budget_bytes);

  std::string PathFor(const std::string& key) const;

 private:
  std::string dir_;
};

}  // namespace cairn::store
