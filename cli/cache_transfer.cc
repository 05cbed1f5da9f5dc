#include "cli/cache_transfer.h"

#include <map>
#include <memory>
#include <set>

#include "base/error.h"
#include "base/fs.h"
#include "store/oci_dir.h"
#include "store/registry/registry.h"

namespace cairn::cli {

namespace reg = store::registry;

namespace {

// The name a local cache directory's index.json gives the cache manifest.
constexpr const char* kLocalRefName = "cache";

std::map<std::string, std::string> Fields(const std::string& text, const std::string& flag) {
  std::map<std::string, std::string> kv;
  for (size_t at = 0; at <= text.size();) {
    size_t comma = std::min(text.find(',', at), text.size());
    std::string field = text.substr(at, comma - at);
    size_t eq = field.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(flag + " " + text + ": \"" + field + "\" is not KEY=VALUE");
    kv[field.substr(0, eq)] = field.substr(eq + 1);
    at = comma + 1;
  }
  return kv;
}

CacheExport ExportLocal(store::Store& store, const std::string& dir, const store::Descriptor& manifest,
                        const std::vector<store::CacheEntry>& entries) {
  store::OciDir out_dir(dir);
  CacheExport out{manifest};
  std::set<std::string> blobs = {store::CacheConfigDescriptor(store.ReadBlob(manifest.digest)).digest};
  for (auto& e : entries)
    if (e.layer) blobs.insert(e.layer->descriptor.digest);
  for (auto& digest : blobs) (out_dir.CopyBlobFrom(store, digest) ? out.uploaded : out.present)++;
  out_dir.CopyBlobFrom(store, manifest.digest);
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
  for (auto& e : entries) cache.records[e.key] = store::CacheRecord{e.layer};
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

builder::ImportedCache ImportRegistry(store::Store& store, const CacheSpec& spec) {
  reg::Reference ref = reg::ParseReference(spec.ref);
  auto client = std::make_shared<reg::Client>(reg::LoadRegistryConfig());
  store::Descriptor manifest = client->PullManifestAndConfig(store, ref);
  std::string bytes = store.ReadBlob(manifest.digest);
  builder::ImportedCache cache =
      Imported(spec, store::ParseCacheConfig(store.ReadBlob(store::CacheConfigDescriptor(bytes).digest)));
  cache.fetch_blob = [&store, client, ref](const store::Descriptor& blob) { client->PullBlob(store, ref, blob); };
  return cache;
}

}  // namespace

CacheSpec ParseCacheSpec(const std::string& text, bool exporting) {
  std::string flag = exporting ? "--cache-to" : "--cache-from";
  // docker's short form: a bare reference means type=registry,ref=<it>.
  auto kv = text.find('=') == std::string::npos ? Fields("type=registry,ref=" + text, flag) : Fields(text, flag);
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
  if (spec.type == "registry") {
    spec.ref = take("ref");
    if (spec.ref.empty()) throw Error(flag + " " + text + ": needs ref=REGISTRY/REPOSITORY:TAG");
    reg::ParseReference(spec.ref);  // a bad reference is reported now, not after the build
  } else if (spec.type == "local") {
    spec.dir = take(exporting ? "dest" : "src");
    if (spec.dir.empty()) throw Error(flag + " " + text + ": needs " + (exporting ? "dest" : "src") + "=DIR");
  } else {
    throw Error(flag + " " + text + ": unknown type \"" + spec.type + "\" (use type=registry,ref=R or type=local," +
                (exporting ? "dest" : "src") + "=DIR)");
  }
  if (exporting) {
    std::string mode = take("mode");
    if (!mode.empty() && mode != "min" && mode != "max") throw Error(flag + " " + text + ": mode is min or max");
    spec.max = mode == "max";
    std::string compression = take("compression");
    if (!compression.empty()) spec.compression = store::ParseCompression(compression).codec;
  }
  if (!kv.empty()) throw Error(flag + " " + text + ": unknown option \"" + kv.begin()->first + "\"");
  return spec;
}

std::optional<builder::ImportedCache> ImportCache(store::Store& store, const CacheSpec& spec,
                                                  const std::function<void(const std::string&)>& warn) {
  try {
    return spec.type == "local" ? ImportLocal(store, spec) : ImportRegistry(store, spec);
  } catch (const std::exception& e) {
    warn("warning: --cache-from " + spec.text + ": " + e.what() + "; building without it");
    return std::nullopt;
  }
}

CacheExport ExportCache(store::Store& store, const CacheSpec& spec, const std::vector<store::CacheEntry>& entries) {
  try {
    store::Descriptor manifest = store::WriteCacheManifest(store, entries);
    if (spec.type == "local") return ExportLocal(store, spec.dir, manifest, entries);
    CacheExport out{manifest};
    reg::Client client(reg::LoadRegistryConfig(), [&out](const reg::TransferEvent& e) {
      if (e.kind == reg::TransferEvent::kBlobDone) out.uploaded++;
      if (e.kind == reg::TransferEvent::kBlobMounted) out.mounted++;
      if (e.kind == reg::TransferEvent::kBlobPresent) out.present++;
    });
    client.PushManifest(store, manifest.digest, reg::ParseReference(spec.ref));
    return out;
  } catch (const std::exception& e) {
    throw Error("--cache-to " + spec.text + ": " + e.what());
  }
}

}  // namespace cairn::cli
