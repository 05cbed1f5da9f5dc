// Liveness, rmi and prune. See gc.h for what counts as live.
#include "store/gc.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/cache_records.h"
#include "store/manifest.h"

namespace cairn::store {

namespace {

using nlohmann::json;

void Walk(const Store& store, const std::string& digest, const std::string& from, LiveSet& live, int depth) {
  if (!IsValidDigest(digest)) {
    live.problems.push_back(from + ": invalid digest \"" + digest + "\"");
    return;
  }
  if (!live.blobs.insert(digest).second) return;
  if (!store.HasBlob(digest)) {
    live.problems.push_back(from + ": manifest " + store.BlobPath(digest) + " is missing");
    return;
  }
  json m;
  try {
    m = json::parse(store.ReadBlob(digest));
  } catch (const std::exception& e) {
    live.problems.push_back(from + ": manifest " + store.BlobPath(digest) + " is unreadable: " + e.what());
    return;
  }
  std::string where = "manifest " + digest;
  if (m.contains("manifests") && m["manifests"].is_array()) {
    if (depth > 3) return live.problems.push_back(where + ": index nesting too deep");
    bool any = false;
    for (auto& c : m["manifests"]) {
      std::string d = c.value("digest", "");
      // A pulled multi-platform index keeps only the platforms it needed: absent siblings are fine.
      if (!store.HasBlob(d)) continue;
      any = true;
      Walk(store, d, where, live, depth + 1);
    }
    if (!any) live.problems.push_back(where + ": an index none of whose manifests is in the store");
    return;
  }
  if (!IsImageManifest(m))
    return live.problems.push_back(where + ": neither an image manifest nor an index");
  std::string cfg = m["config"].value("digest", "");
  live.blobs.insert(cfg);
  json config;
  try {
    config = json::parse(store.ReadBlob(cfg));
  } catch (const std::exception& e) {
    live.problems.push_back(where + ": config " + cfg + ": " + e.what());
  }
  for (auto& l : m["layers"]) {
    std::string d = l.value("digest", "");
    live.blobs.insert(d);
    if (!store.HasBlob(d)) live.problems.push_back(where + ": layer blob " + store.BlobPath(d) + " is missing");
  }
  if (config.is_object() && config.contains("rootfs") && config["rootfs"].is_object()) {
    auto ids = config["rootfs"].value("diff_ids", json::array());
    if (ids.size() != m["layers"].size())
      live.problems.push_back(where + ": config lists " + std::to_string(ids.size()) + " diff_ids for " +
                              std::to_string(m["layers"].size()) + " layers");
    for (size_t i = 0; i < ids.size(); i++) {
      if (!ids[i].is_string()) continue;
      live.diff_ids.insert(ids[i].get<std::string>());
      if (i < m["layers"].size()) live.layer_of_diff_id.emplace(ids[i].get<std::string>(), m["layers"][i].value("digest", ""));
    }
  }
}

int64_t FileBytes(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// Removes a file, counting its bytes; a file that vanished meanwhile is not an error.
int64_t RemoveFile(const std::string& path) {
  int64_t n = FileBytes(path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw SysError("remove", path);
  return n;
}

// Unpacked layers and their l/ links, for diffIDs not in live.
void RemoveDeadLayers(Store& store, const LiveSet& live, PruneReport& r) {
  std::set<std::string> live_hex;
  for (auto& d : live.diff_ids)
    if (IsValidDigest(d)) live_hex.insert(DigestHex(d));
  std::string layers = JoinPath(store.root(), "layers");
  for (auto& name : ListDir(layers)) {
    std::string hex = name.substr(0, name.find('.'));
    if (live_hex.count(hex)) continue;
    std::string p = JoinPath(layers, name);
    r.bytes += TreeBytes(p);
    RemoveAll(p);
    if (name.find('.') == std::string::npos) r.layers++;
  }
  std::string links = JoinPath(store.root(), "l");
  for (auto& name : ListDir(links)) {
    std::string p = JoinPath(links, name);
    if (IsDirectory(p)) {  // follows the link: its layer is still there
      char buf[256];
      ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
      std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      if (live_hex.count(target.substr(target.rfind('/') + 1))) continue;
    }
    RemoveFile(p);
    r.links++;
  }
}

}  // namespace

void WalkImage(const Store& store, const std::string& digest, const std::string& from, LiveSet& live) {
  Walk(store, digest, from, live, 0);
}

std::vector<CacheRecordRef> ListCacheRecords(const Store& store) {
  // CacheRecords only reads here; it takes a Store& because it also writes records.
  CacheRecords records(const_cast<Store&>(store));
  std::vector<CacheRecordRef> out;
  for (auto& info : records.List()) {
    CacheRecordRef r;
    r.path = records.PathFor(info.key);
    r.mtime = info.last_used;
    r.readable = info.readable;
    if (info.layer) {
      r.layer = info.layer->descriptor;
      r.diff_id = info.layer->diff_id;
    }
    out.push_back(std::move(r));
  }
  return out;
}

LiveSet ComputeLive(const Store& store, bool with_cache) {
  LiveSet live;
  for (auto& [name, desc] : store.ListTags()) Walk(store, desc.digest, "tag " + name, live, 0);
  if (with_cache)
    for (auto& rec : ListCacheRecords(store))
      if (rec.layer) {
        live.blobs.insert(rec.layer->digest);
        live.diff_ids.insert(rec.diff_id);
      }
  return live;
}

int64_t TreeBytes(const std::string& path) {
  std::error_code ec;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? st.st_size : 0;
  int64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec); !ec && it != decltype(it)(); it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += static_cast<int64_t>(it->file_size(ec));
  return total;
}

std::vector<std::string> RemoveImages(Store& store, const std::vector<std::string>& names, bool force) {
  std::vector<std::string> lines;
  std::set<std::string> candidates;  // manifest digests whose tag went away
  for (const std::string& raw : names) {
    auto tags = store.ListTags();
    std::string want;
    std::string digest;
    if (IsValidDigest(raw)) {
      digest = raw;
    } else {
      want = NormalizeName(raw);
      auto it = std::find_if(tags.begin(), tags.end(), [&](auto& t) { return t.first == want; });
      if (it == tags.end())
        throw Error("rmi: image \"" + want + "\" not found in store " + store.root() + " (see `cairn images`)");
      digest = it->second.digest;
    }
    std::vector<std::string> others, all;
    for (auto& [n, d] : tags)
      if (d.digest == digest) {
        all.push_back(n);
        if (n != want) others.push_back(n);
      }
    if (want.empty() && all.empty() && !store.HasBlob(digest))
      throw Error("rmi: image " + digest + " not found in store " + store.root());
    if (!others.empty() && !force) {
      std::string list;
      for (auto& o : others) list += (list.empty() ? "" : ", ") + o;
      throw Error("rmi: image " + (want.empty() ? digest : want) + " (" + ShortId(digest) + ") is also tagged " + list +
                  "; remove those tags first or pass -f");
    }
    for (auto& n : want.empty() ? all : std::vector<std::string>{want}) {
      store.RemoveTag(n);
      lines.push_back("Untagged: " + n);
    }
    candidates.insert(digest);
  }
  auto lock = store.TryLockExclusive();
  if (!lock) {
    lines.push_back("(another cairn process is using the store: data left for `cairn prune`)");
    return lines;
  }
  {
    LiveSet live = ComputeLive(store, /*with_cache=*/true);
    LiveSet gone;
    for (auto& d : candidates)
      if (!live.blobs.count(d)) Walk(store, d, "rmi", gone, 0);
    PruneReport r;
    for (auto& d : gone.blobs) {
      if (live.blobs.count(d) || !IsValidDigest(d) || !store.HasBlob(d)) continue;
      store.RemoveBlob({d, store.BlobPath(d)});
      lines.push_back("Deleted: " + d);
    }
    LiveSet keep = live;
    // Only this image's trees: unrelated dead layers stay for prune, as docker's rmi does.
    for (auto& name : ListDir(JoinPath(store.root(), "layers"))) {
      std::string id = "sha256:" + name.substr(0, name.find('.'));
      if (!gone.diff_ids.count(id)) keep.diff_ids.insert(id);
    }
    RemoveDeadLayers(store, keep, r);
  }
  return lines;
}

PruneReport Prune(Store& store, std::optional<int64_t> keep_storage) {
  Store::ExclusiveLock lock = store.LockExclusive();
  PruneReport r;
  {
    // Broken records and records whose layer is gone first, then the budget (oldest used first).
    CacheRecords cache(store);
    for (auto& info : cache.List()) {
      if (info.readable && (!info.layer || store.HasBlob(info.layer->descriptor.digest))) continue;
      r.bytes += FileBytes(cache.PathFor(info.key));
      if (cache.Remove(info.key)) r.cache_records++;
    }
    if (keep_storage) {
      r.cache_records += static_cast<int>(cache.TrimToBudget(*keep_storage).size());
      // Hints (miss explanations, the context digest index) only save work later; a user trimming
      // the cache wants the space, and losing them costs one re-read of each context file.
      std::string hints = JoinPath(store.root(), "cache-hints");
      r.bytes += TreeBytes(hints);
      RemoveAll(hints);
    }
    LiveSet live = ComputeLive(store, /*with_cache=*/true);
    for (const Store::BlobFile& blob : store.ListBlobFiles()) {
      if (IsValidDigest(blob.digest) && live.blobs.count(blob.digest)) continue;
      r.bytes += store.RemoveBlob(blob);
      r.blobs++;
    }
    RemoveDeadLayers(store, live, r);
  }
  return r;
}

}  // namespace cairn::store
