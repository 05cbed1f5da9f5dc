#include "cli/cache_transfer.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/registry/registry.h"

namespace cairn::cli {

namespace reg = store::registry;
using nlohmann::json;

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

std::string BlobPathIn(const std::string& dir, const std::string& digest) {
  return JoinPath(dir, "blobs/sha256/" + DigestHex(digest));
}

// Streams a file through a callback in blocks: layers are never held in memory.
void ForEachBlock(const std::string& path, const std::function<void(const char*, size_t)>& fn) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw SysError("open", path);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", path);
    if (n == 0) return;
    fn(buf.data(), static_cast<size_t>(n));
  }
}

// Copies a store blob into DIR/blobs/sha256/ unless it is there (temp file, fsync, rename).
// Returns whether it copied.
bool CopyBlobOut(const store::Store& store, const std::string& digest, const std::string& dir) {
  std::string dst = BlobPathIn(dir, digest);
  if (PathExists(dst)) return false;
  std::string tmp = dst + ".tmp-" + std::to_string(::getpid());
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) throw SysError("create", tmp);
  ForEachBlock(store.BlobPath(digest), [&](const char* p, size_t n) { WriteAll(out.get(), p, n, tmp); });
  if (::fsync(out.get()) != 0) throw SysError("fsync", tmp);
  out.Reset();
  if (::rename(tmp.c_str(), dst.c_str()) != 0) throw SysError("rename", tmp);
  return true;
}

// A blob of a local cache directory, read whole (manifests and configs) and checked.
std::string ReadVerifiedBlob(const std::string& dir, const std::string& digest) {
  std::string bytes = ReadFile(BlobPathIn(dir, digest));
  if (DigestOf(bytes) != digest) throw Error(BlobPathIn(dir, digest) + " does not hash to " + digest + " (corrupt)");
  return bytes;
}

CacheExport ExportLocal(store::Store& store, const std::string& dir, const store::Descriptor& manifest,
                        const std::vector<store::CacheEntry>& entries) {
  MakeDirs(JoinPath(dir, "blobs/sha256"));
  CacheExport out{manifest};
  std::set<std::string> blobs = {store::CacheConfigDescriptor(store.ReadBlob(manifest.digest)).digest};
  for (auto& e : entries)
    if (e.layer) blobs.insert(e.layer->descriptor.digest);
  for (auto& digest : blobs) (CopyBlobOut(store, digest, dir) ? out.uploaded : out.present)++;
  CopyBlobOut(store, manifest.digest, dir);
  WriteFileAtomic(JoinPath(dir, "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  store::Descriptor named = manifest;
  named.annotations["org.opencontainers.image.ref.name"] = kLocalRefName;
  json index = {{"schemaVersion", 2}, {"mediaType", store::media::kOciIndex}, {"manifests", {store::ToJson(named)}}};
  WriteFileAtomic(JoinPath(dir, "index.json"), index.dump());  // last: readers see the old cache or the new one
  return out;
}

// The manifest bytes index.json of a local cache directory names "cache".
std::string LocalManifest(const std::string& dir) {
  std::string index_path = JoinPath(dir, "index.json");
  if (!PathExists(index_path)) throw Error(index_path + " does not exist (no cache was exported there)");
  json index = json::parse(ReadFile(index_path), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw Error(index_path + " is not an OCI index");
  for (auto& m : index["manifests"]) {
    store::Descriptor d = store::DescriptorFromJson(m);
    auto name = d.annotations.find("org.opencontainers.image.ref.name");
    if (name != d.annotations.end() && name->second == kLocalRefName) return ReadVerifiedBlob(dir, d.digest);
  }
  throw Error(index_path + " names no manifest \"" + kLocalRefName + "\"");
}

builder::ImportedCache Imported(const CacheSpec& spec, const std::vector<store::CacheEntry>& entries) {
  builder::ImportedCache cache;
  cache.name = spec.text;
  for (auto& e : entries) cache.records[e.key] = store::CacheRecord{e.layer};
  return cache;
}

builder::ImportedCache ImportLocal(store::Store& store, const CacheSpec& spec) {
  std::string manifest = LocalManifest(spec.dir);
  std::string config = ReadVerifiedBlob(spec.dir, store::CacheConfigDescriptor(manifest).digest);
  builder::ImportedCache cache = Imported(spec, store::ParseCacheConfig(config));
  std::string dir = spec.dir;
  cache.fetch_blob = [&store, dir](const store::Descriptor& blob) {
    auto writer = store.NewBlobWriter();
    ForEachBlock(BlobPathIn(dir, blob.digest), [&](const char* p, size_t n) { writer->Write(p, n); });
    writer->Commit(blob.media_type, blob.digest);  // checks the digest: a corrupt copy throws
  };
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
