#include "cli/cache_transfer.h"

#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "base/csv_fields.h"
#include "base/error.h"
#include "base/fs.h"
#include "builder/cache_mount_snapshot.h"
#include "cli/verbs.h"
#include "store/cache_merge.h"
#include "store/oci_dir.h"
#include "store/registry/registry.h"

namespace cairn::cli {

namespace reg = store::registry;

namespace {

// The name a local cache directory's index.json gives the cache manifest.
constexpr const char* kLocalRefName = "cache";


// The records a local cache directory holds now; none when nothing was exported there yet.
std::vector<store::CacheEntry> LocalEntries(const store::OciDir& dir) {
  if (!PathExists(dir.IndexPath())) return {};
  std::string manifest = dir.ReadManifestNamed(kLocalRefName);
  return store::ParseCacheConfig(dir.ReadBlob(store::CacheConfigDescriptor(manifest).digest));
}

// The file of a local cache directory that says when each record was last exported (an export
// is a use), {"<key>": unix seconds}: how max-records/max-size find the least recently used.
// Readers never need it; a record it does not name counts as the oldest.
constexpr const char* kLocalUsedFile = "cache-used.json";

std::map<std::string, int64_t> ReadLocalUsed(const std::string& dir) {
  std::map<std::string, int64_t> used;
  std::string path = JoinPath(dir, kLocalUsedFile);
  if (!PathExists(path)) return used;
  nlohmann::json j = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (!j.is_object()) return used;  // torn by hand: every record is as old as can be
  for (auto& [key, time] : j.items())
    if (time.is_number_integer()) used[key] = time.get<int64_t>();
  return used;
}

std::vector<store::CacheEntry> Entries(const std::vector<store::MergedRecord>& merged) {
  std::vector<store::CacheEntry> out;
  for (auto& m : merged) out.push_back(m.entry);
  return out;
}

// Under DIR's lock: the records already there, united with `entries` (the new build's win for a
// key both hold, and count as used now), bounded by spec.bound to those used most recently,
// written as one manifest. Several builds exporting to one directory at once each add their
// records; none is lost but by the bound. Dropped records leave their blobs (an image layout
// copied from DIR, or a record kept, may share them).
CacheExport ExportLocal(store::Store& store, const CacheSpec& spec, const std::vector<store::CacheEntry>& entries) {
  const std::string& dir = spec.dir;
  MakeDirs(dir);
  store::OciDir out_dir(dir);
  store::OciDir::Lock lock(dir);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::map<std::string, int64_t> used = ReadLocalUsed(dir);
  std::map<std::string, store::MergedRecord> merged;
  for (auto& e : entries) merged.emplace(e.key, store::MergedRecord{e, now});
  for (auto& e : LocalEntries(out_dir)) {  // the layers are in DIR already
    auto t = used.find(e.key);
    merged.emplace(e.key, store::MergedRecord{e, t == used.end() ? 0 : t->second});
  }
  std::vector<store::MergedRecord> all;
  for (auto& [key, m] : merged) all.push_back(m);
  int dropped = 0;
  if (spec.bound.records || spec.bound.bytes) {
    std::vector<store::MergedRecord> kept = store::KeepMostRecent(all, spec.bound);
    dropped = static_cast<int>(all.size() - kept.size());
    all = std::move(kept);
  }
  store::Descriptor manifest = store::WriteCacheManifest(store, Entries(all));
  CacheExport out{manifest, static_cast<int>(all.size()), dropped};
  std::set<std::string> blobs = {store::CacheConfigDescriptor(store.ReadBlob(manifest.digest)).digest};
  nlohmann::json times = nlohmann::json::object();
  for (auto& m : all) times[m.entry.key] = m.last_used;
  for (auto& e : entries)  // every kept layer of this build (an earlier export's are there)
    if (e.layer && times.contains(e.key)) blobs.insert(e.layer->descriptor.digest);
  for (auto& digest : blobs) (out_dir.CopyBlobFrom(store, digest) ? out.uploaded : out.present)++;
  out_dir.CopyBlobFrom(store, manifest.digest);
  WriteFileAtomic(JoinPath(dir, kLocalUsedFile), times.dump());
  out_dir.WriteIndex(manifest, kLocalRefName);  // last: readers see the old cache or the new one
  return out;
}

// The manifest bytes index.json of a local cache directory names "cache".
std::string LocalManifest(const store::OciDir& dir) {
  if (!PathExists(dir.IndexPath())) throw Error(dir.IndexPath() + " does not exist (no cache was exported there)");
  return dir.ReadManifestNamed(kLocalRefName);
}

builder::ImportedCache Imported(const CacheSpec& spec, const std::vector<store::CacheEntry>& entries) {
  builder::ImportedCache cache;
  cache.name = spec.text;
  for (auto& e : entries) {
    if (e.mount) cache.mounts[*e.mount] = *e.layer;
    else cache.records[e.key] = store::CacheRecord{e.layer};
  }
  return cache;
}

builder::ImportedCache ImportLocal(store::Store& store, const CacheSpec& spec) {
  store::OciDir dir(spec.dir);
  std::string manifest = LocalManifest(dir);
  std::string config = dir.ReadBlob(store::CacheConfigDescriptor(manifest).digest);
  builder::ImportedCache cache = Imported(spec, store::ParseCacheConfig(config));
  cache.fetch_blob = [&store, dir](const store::Descriptor& blob) { dir.CopyBlobTo(store, blob); };
  return cache;
}

// The tag an export publishes its own records under: the ref's tag, "-", and 16 hex digits of
// the records' config digest. Only the records name it, so two exports of the same records
// write the same tag (the later one refreshes its time of use) and different records never
// share one.
constexpr size_t kRecordTagHex = 16;
std::string RecordTag(const std::string& tag, const store::Descriptor& manifest, const store::Store& store) {
  std::string config = store::CacheConfigDescriptor(store.ReadBlob(manifest.digest)).digest;
  return tag + "-" + config.substr(7, kRecordTagHex);
}

bool IsRecordTag(const std::string& tag, const std::string& candidate) {
  if (candidate.size() != tag.size() + 1 + kRecordTagHex || candidate.compare(0, tag.size(), tag) != 0 ||
      candidate[tag.size()] != '-')
    return false;
  return candidate.find_first_not_of("0123456789abcdef", tag.size() + 1) == std::string::npos;
}

reg::Reference WithTag(reg::Reference ref, const std::string& tag) {
  ref.tag = tag;
  ref.digest.clear();
  return ref;
}

// The entries a manifest's bytes (its config in the store) hold: a cairn cache manifest's
// records, or an image's inline cache (store::kInlineCacheKey). Throws Error saying why not.
std::vector<store::CacheEntry> EntriesOfManifest(const store::Store& store, const std::string& manifest_bytes) {
  nlohmann::json m = nlohmann::json::parse(manifest_bytes, nullptr, false);
  if (m.is_object() && m.contains("config") && m["config"].is_object() &&
      m["config"].value("mediaType", "") != store::kCacheConfigMediaType) {
    store::Descriptor config = store::DescriptorFromJson(m["config"]);
    if (config.media_type == store::media::kOciConfig || config.media_type == store::media::kDockerConfig) {
      auto inline_cache = store::InlineCacheOf(store.ReadBlob(config.digest));
      if (!inline_cache) throw Error("an image without an inline cache (build it with --cache-to type=inline)");
      return *inline_cache;
    }
  }
  return store::ParseCacheConfig(store.ReadBlob(store::CacheConfigDescriptor(manifest_bytes).digest));
}

// Every cairn cache manifest published for ref: its plain tag (the summary, which older cairns
// write and read) and every record tag. A tag deleted while we read (a bounded export dropped
// it) or one that is not a cairn cache is skipped, with a warning for the latter.
std::vector<store::PublishedCache> ReadPublished(store::Store& store, reg::Client& client, const reg::Reference& ref,
                                                 const Warn& warn) {
  std::vector<std::string> tags;
  try {
    for (auto& t : client.ListTags(ref))
      if (t == ref.tag || IsRecordTag(ref.tag, t)) tags.push_back(t);
  } catch (const std::exception& e) {
    warn(std::string(e.what()) + "; reading only the tag " + ref.tag);
    tags = {ref.tag};
  }
  std::vector<store::PublishedCache> out;
  for (auto& t : tags) {
    try {
      store::Descriptor m = client.PullManifestAndConfig(store, WithTag(ref, t));
      std::string bytes = store.ReadBlob(m.digest);
      store::PublishedCache p{t, m.digest, store::CacheExportedAt(bytes).value_or(0), t == ref.tag, {}};
      p.entries = EntriesOfManifest(store, bytes);
      out.push_back(std::move(p));
    } catch (const std::exception& e) {
      if (std::string(e.what()).find("not found") != std::string::npos) continue;
      warn("tag " + t + " skipped: " + e.what());
    }
  }
  return out;
}

builder::ImportedCache ImportRegistry(store::Store& store, const CacheSpec& spec, const Warn& warn) {
  reg::Reference ref = reg::ParseReference(spec.ref);
  auto client = std::make_shared<reg::Client>(reg::LoadRegistryConfig());
  std::vector<store::PublishedCache> published;
  if (!ref.digest.empty()) {  // one manifest, named by its digest: nothing to merge
    store::Descriptor m = client->PullManifestAndConfig(store, ref);
    std::string bytes = store.ReadBlob(m.digest);
    published.push_back({ref.String(), m.digest, 0, true, EntriesOfManifest(store, bytes)});
  } else {
    published = ReadPublished(store, *client, ref, warn);
  }
  if (published.empty()) throw Error(ref.String() + ": no cache manifest found (manifest " + ref.tag + " not found)");
  builder::ImportedCache cache = Imported(spec, Entries(store::MergeCaches(published)));
  cache.fetch_blob = [&store, client, ref](const store::Descriptor& blob) { client->PullBlob(store, ref, blob); };
  return cache;
}

// Counts each blob once over the several pushes of one export, by what happened to it first
// that moved bytes (an upload or a mount beats "already there").
class BlobTally {
 public:
  void Hear(const reg::TransferEvent& e) {
    int rank = e.kind == reg::TransferEvent::kBlobDone      ? 3
               : e.kind == reg::TransferEvent::kBlobMounted ? 2
               : e.kind == reg::TransferEvent::kBlobPresent ? 1
                                                            : 0;
    if (rank > 0) ranks_[e.digest] = std::max(ranks_[e.digest], rank);
  }
  void Into(CacheExport& out) const {
    for (auto& [digest, rank] : ranks_) (rank == 3 ? out.uploaded : rank == 2 ? out.mounted : out.present)++;
  }

 private:
  std::map<std::string, int> ranks_;
};

// 1. The build's records under their own record tag (blobs first, the manifest last, so no
//    reader meets a record whose layer is missing). Nothing any other export wrote is touched:
//    concurrent exports cannot lose each other's records.
// 2. With max-records or max-size: the least recently used records beyond the bound are dropped (their
//    manifests deleted, the kept records among them published again first).
// 3. The summary: every record found, pushed to the plain tag for older readers. Two exports
//    racing here may leave a summary without the other's records; the record tags still hold them.
CacheExport ExportRegistry(store::Store& store, const CacheSpec& spec, const std::vector<store::CacheEntry>& entries,
                           const Warn& warn) {
  reg::Reference ref = reg::ParseReference(spec.ref);
  BlobTally tally;
  reg::Client client(reg::LoadRegistryConfig(), [&tally](const reg::TransferEvent& e) { tally.Hear(e); });
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  store::Descriptor own = store::WriteCacheManifest(store, entries, now);
  client.PushManifest(store, own.digest, WithTag(ref, RecordTag(ref.tag, own, store)));

  std::vector<store::PublishedCache> published = ReadPublished(store, client, ref, warn);
  std::vector<store::MergedRecord> merged = store::MergeCaches(published);
  int dropped = 0;
  if (spec.bound.records || spec.bound.bytes) {
    store::BoundPlan plan = store::PlanBound(published, spec.bound);
    for (auto& group : plan.republish) {
      store::Descriptor m = store::WriteCacheManifest(store, Entries(group), group.front().last_used);
      client.PushManifest(store, m.digest, WithTag(ref, RecordTag(ref.tag, m, store)));
    }
    for (auto& digest : plan.drop) client.DeleteManifest(ref, digest);
    dropped = static_cast<int>(merged.size() - plan.kept.size());
    merged = plan.kept;
  }
  store::Descriptor summary = store::WriteCacheManifest(store, Entries(merged));
  client.PushManifest(store, summary.digest, ref);
  CacheExport out{summary, static_cast<int>(merged.size()), dropped};
  tally.Into(out);
  return out;
}

// Cache backends of BuildKit that cairn does not have: named, so the error says so plainly.
bool IsBuildKitOnlyType(const std::string& type) {
  return type == "gha" || type == "s3" || type == "azblob";
}

std::optional<size_t> ParseMaxRecords(const std::string& flag, const std::string& text, const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos || std::stoul(value) == 0)
    throw Error(flag + " " + text + ": max-records=" + value + " is not a positive whole number of records");
  return std::stoul(value);
}

bool ParseBool(const std::string& flag, const std::string& text, const std::string& key, const std::string& value) {
  if (value.empty() || value == "false") return false;
  if (value == "true") return true;
  throw Error(flag + " " + text + ": " + key + "=" + value + " is true or false");
}

}  // namespace

CacheSpec ParseCacheSpec(const std::string& text, bool exporting) {
  std::string flag = exporting ? "--cache-to" : "--cache-from";
  // docker's short form: a bare reference means type=registry,ref=<it>.
  auto kv = text.find('=') == std::string::npos ? KeyValueFields("type=registry,ref=" + text, flag) : KeyValueFields(text, flag);
  CacheSpec spec;
  spec.text = text;
  spec.type = kv.count("type") ? kv["type"] : "";
  kv.erase("type");
  auto take = [&](const std::string& key) {
    auto it = kv.find(key);
    if (it == kv.end()) return std::string();
    std::string v = it->second;
    kv.erase(it);
    return v;
  };
  std::string dir_key = exporting ? "dest" : "src";
  if (spec.type == "registry") {
    spec.ref = take("ref");
    if (spec.ref.empty()) throw Error(flag + " " + text + ": needs ref=REGISTRY/REPOSITORY:TAG");
    reg::Reference ref = reg::ParseReference(spec.ref);  // a bad reference is reported now, not after the build
    if (exporting && !ref.digest.empty())
      throw Error(flag + " " + text + ": ref= names a digest; a cache is exported to a tag (REPOSITORY:TAG)");
    if (exporting && ref.tag.size() + 1 + kRecordTagHex > 128)
      throw Error(flag + " " + text + ": the tag \"" + ref.tag + "\" is too long: each export adds \"-\" and " +
                  std::to_string(kRecordTagHex) + " hex digits to it and a tag has at most 128 characters; " +
                  "use a tag of at most " + std::to_string(128 - 1 - kRecordTagHex));
  } else if (spec.type == "local") {
    spec.dir = take(dir_key);
    if (spec.dir.empty()) throw Error(flag + " " + text + ": needs " + dir_key + "=DIR");
  } else if (spec.type == "inline") {
    if (!exporting)
      throw Error(flag + " " + text + ": an inline cache is read from its image: use --cache-from REGISTRY/REPOSITORY:TAG");
    std::string mode = take("mode");
    if (!mode.empty() && mode != "min")
      throw Error(flag + " " + text + ": an inline cache holds the image's own steps (mode=min); for mode=max use " +
                  "type=registry,ref=R,mode=max");
    if (!kv.empty())
      throw Error(flag + " " + text + ": type=inline takes no option \"" + kv.begin()->first + "\"");
    return spec;
  } else if (IsBuildKitOnlyType(spec.type)) {
    throw Error(flag + " " + text + ": cairn has no \"" + spec.type + "\" cache (a BuildKit backend); use " +
                "type=registry,ref=REGISTRY/REPOSITORY:TAG or type=local," + dir_key + "=DIR");
  } else {
    throw Error(flag + " " + text + ": unknown type \"" + spec.type + "\" (use type=registry,ref=R or type=local," +
                dir_key + "=DIR)");
  }
  if (exporting) {
    std::string mode = take("mode");
    if (!mode.empty() && mode != "min" && mode != "max") throw Error(flag + " " + text + ": mode is min or max");
    spec.max = mode == "max";
    std::string compression = take("compression");
    if (!compression.empty()) spec.compression = store::ParseCompression(compression).codec;
    spec.bound.records = ParseMaxRecords(flag, text, take("max-records"));
    std::string max_size = take("max-size");
    if (!max_size.empty()) {
      try {
        spec.bound.bytes = ParseSize(max_size);
      } catch (const Error& e) {
        throw Error(flag + " " + text + ": max-size: " + e.what());
      }
    }
    spec.ignore_error = ParseBool(flag, text, "ignore-error", take("ignore-error"));
    spec.cache_mounts = ParseBool(flag, text, "cache-mounts", take("cache-mounts"));
  }
  if (!kv.empty()) throw Error(flag + " " + text + ": unknown option \"" + kv.begin()->first + "\"");
  return spec;
}

std::optional<builder::ImportedCache> ImportCache(store::Store& store, const CacheSpec& spec, const Warn& warn) {
  try {
    auto note = [&](const std::string& why) { warn("warning: --cache-from " + spec.text + ": " + why); };
    return spec.type == "local" ? ImportLocal(store, spec) : ImportRegistry(store, spec, note);
  } catch (const std::exception& e) {
    warn("warning: --cache-from " + spec.text + ": " + e.what() + "; building without it");
    return std::nullopt;
  }
}

std::vector<store::CacheEntry> SnapshotCacheMounts(store::Store& store, const std::vector<store::CacheMountName>& used,
                                                   const store::Compression& compression, const Warn& note) {
  std::vector<store::CacheEntry> out;
  for (auto& name : used) {
    std::optional<store::Layer> layer = builder::SnapshotCacheMount(store, name.id, compression);
    if (!layer) continue;
    note("cache mount id=" + name.id + " (" + name.platform + "): snapshot " + layer->descriptor.digest + ", " +
         std::to_string(layer->descriptor.size) + " bytes");
    out.push_back({store::CacheMountKey(name), layer, name});
  }
  return out;
}

CacheExport ExportCache(store::Store& store, const CacheSpec& spec, const std::vector<store::CacheEntry>& entries,
                        const Warn& warn) {
  try {
    if (spec.type == "local") return ExportLocal(store, spec, entries);
    auto note = [&](const std::string& why) { warn("warning: --cache-to " + spec.text + ": " + why); };
    return ExportRegistry(store, spec, entries, note);
  } catch (const std::exception& e) {
    throw Error("--cache-to " + spec.text + ": " + e.what());
  }
}

}  // namespace cairn::cli
