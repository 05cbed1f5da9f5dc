// Client::Pull: manifest (through an index when there is one), then the missing blobs, verified.
#include <set>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/platform.h"
#include "store/image.h"
#include "store/manifest.h"
#include "store/registry/download.h"
#include "store/registry/parallel.h"
#include "store/registry/registry.h"
#include "store/registry/session.h"

namespace cairn::store::registry {
namespace {

using nlohmann::json;

constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

struct Manifest {
  std::string bytes;
  std::string media_type;
  std::string digest;
};

bool IsIndexType(const std::string& media_type) {
  return media_type == media::kOciIndex || media_type == kDockerManifestList;
}

std::string AcceptHeader() {
  return std::string("Accept: ") + media::kOciIndex + ", " + media::kOciManifest + ", " + kDockerManifestList + ", " +
         media::kDockerManifest;
}

// The media type a manifest declares, else the Content-Type it was served with.
std::string MediaTypeOf(const std::string& bytes, const HttpResponse& resp) {
  json j = json::parse(bytes, nullptr, false);
  if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()) return j["mediaType"];
  std::string type = resp.Header("content-type");
  return type.substr(0, type.find(';'));
}

Manifest FetchManifest(Session& s, const std::string& name) {
  HttpRequest req;
  req.url = s.RepoUrl("/manifests/" + name);
  req.headers.push_back(AcceptHeader());
  HttpResponse resp = s.Send(req);
  if (resp.status == 404) throw Error("manifest " + name + " not found (" + Describe(resp) + ")");
  if (resp.status == 401 || resp.status == 403)
    throw Error("access to manifest " + name + " denied (" + Describe(resp) +
                "); log in with docker's config.json \"auths\" if the repository is private");
  if (resp.status != 200) throw Error("manifest " + name + ": " + Describe(resp));
  Manifest m{resp.body, MediaTypeOf(resp.body, resp), DigestOf(resp.body)};
  if (IsValidDigest(name) && m.digest != name)
    throw Error("manifest " + name + " arrived with digest " + m.digest + " (corrupted or tampered with)");
  std::string claimed = resp.Header("docker-content-digest");
  if (IsValidDigest(claimed) && claimed != m.digest)
    throw Error("manifest " + name + ": registry says digest " + claimed + " but the bytes hash to " + m.digest);
  return m;
}

// From an index, the manifest for `want`; without one, an error naming the platforms it has.
Descriptor PickPlatform(const Manifest& index, const Reference& ref, const Platform& want) {
  json j = json::parse(index.bytes, nullptr, false);
  if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
    throw Error("image index " + index.digest + " lists no manifests");
  std::string seen;
  for (auto& m : j["manifests"]) {
    Platform p = EntryPlatform(m);
    if (p == want) return DescriptorFromJson(m);
    if (!p.os.empty() && p.os != "unknown") seen += (seen.empty() ? "" : ", ") + ToString(p);  // attestations are "unknown/unknown"
  }
  throw Error(ref.String() + " has no " + ToString(want) + " image (it has " + (seen.empty() ? "none" : seen) +
              "); build for one of those with --platform");
}

// The config and layers of a manifest, each once.
std::vector<Descriptor> BlobsOf(const Manifest& m) {
  json j = json::parse(m.bytes, nullptr, false);
  if (!IsImageManifest(j))
    throw Error("manifest " + m.digest + " of type \"" + m.media_type +
                "\" has no config and layers (docker schema 1 and other formats are not supported)");
  std::vector<Descriptor> all{DescriptorFromJson(j["config"])};
  for (auto& l : j["layers"]) all.push_back(DescriptorFromJson(l));
  std::vector<Descriptor> unique;
  std::set<std::string> seen;
  for (auto& d : all) {
    if (!IsValidDigest(d.digest)) throw Error("manifest " + m.digest + " names blob \"" + d.digest + "\" (only sha256 is supported)");
    if (seen.insert(d.digest).second) unique.push_back(d);
  }
  return unique;
}

void FetchIfMissing(Session& s, Store& store, const Descriptor& d, const Reporter& report) {
  if (store.HasBlob(d.digest)) return report(TransferEvent::kBlobPresent, d);
  report(TransferEvent::kBlobStarted, d);
  try {
    DownloadBlob(s, store, d);
  } catch (const std::exception& e) {
    throw Error("blob " + d.digest + ": " + e.what());
  }
  report(TransferEvent::kBlobDone, d);
}

// The local tag: the full name with the tag, or with the digest when no tag was given.
std::string LocalName(const Reference& ref) {
  Reference local = ref;
  if (!local.tag.empty()) local.digest.clear();
  return local.String();
}

// A plain manifest must be for the platform asked (its config says which).
void CheckConfigPlatform(const Store& store, const Manifest& m, const Reference& ref, const Platform& want) {
  json j = json::parse(m.bytes, nullptr, false);
  json config = json::parse(store.ReadBlob(j["config"].value("digest", "")), nullptr, false);
  if (!config.is_object() || config.value("architecture", "").empty()) return;
  Platform is = PlatformOf(config);
  if (!PlatformServes(is, want))
    throw Error(ref.String() + " is for " + ToString(is) + " only, not " + ToString(want) + "; build for " + ToString(is) +
                " with --platform");
}

// An index is stored with the one manifest the platform needs (the others stay in the registry:
// only that platform's layers are fetched) and the tag names the index, so that a pull for
// another platform later adds its image under the same name.
Descriptor PullFrom(Session& s, Store& store, const Reference& ref, const Platform& platform, const Reporter& report) {
  Manifest top = FetchManifest(s, ref.ManifestRef());
  Manifest m = top;
  bool index = IsIndexType(top.media_type);
  if (index) m = FetchManifest(s, PickPlatform(top, ref, platform).digest);
  std::vector<Descriptor> blobs = BlobsOf(m);
  ParallelFor(blobs.size(), kTransferThreads, [&](size_t i) { FetchIfMissing(s, store, blobs[i], report); });
  if (!index) CheckConfigPlatform(store, m, ref, platform);
  // The manifest goes in last, so a tag never names an image whose blobs are not all here.
  Descriptor d = store.PutBlob(m.bytes, m.media_type);
  if (index) d = store.PutBlob(top.bytes, top.media_type);
  store.SetTag(LocalName(ref), d);
  report(TransferEvent::kManifestDone, d);
  return d;
}

// Tries each pull endpoint of ref's registry in turn (a mirror first); the last failure is thrown.
template <typename Fn>
auto FromEndpoints(const RegistryConfig& config, const Reference& ref, const std::string& what, Fn fn) {
  std::vector<std::string> endpoints = PullEndpoints(config, ref.registry);
  std::string failures;
  for (auto& endpoint : endpoints) {
    Session s(config, ref.registry, endpoint, ref.repository);
    try {
      return fn(s);
    } catch (const std::exception& e) {
      failures += (failures.empty() ? "" : "; ") + endpoint + ": " + e.what();
    }
  }
  throw Error(what + " failed: " + failures);
}

}  // namespace

Descriptor Client::PullManifestAndConfig(Store& store, const Reference& ref) {
  return FromEndpoints(config_, ref, "fetching " + ref.String(), [&](Session& s) {
    Manifest m = FetchManifest(s, ref.ManifestRef());
    if (IsIndexType(m.media_type)) throw Error("manifest " + m.digest + " is an index, not a single manifest");
    json j = json::parse(m.bytes, nullptr, false);
    if (!j.is_object() || !j.contains("config")) throw Error("manifest " + m.digest + " has no config");
    FetchIfMissing(s, store, DescriptorFromJson(j["config"]), [](TransferEvent::Kind, const Descriptor&) {});
    return store.PutBlob(m.bytes, m.media_type);
  });
}

void Client::PullBlob(Store& store, const Reference& ref, const Descriptor& blob) {
  FromEndpoints(config_, ref, "fetching blob " + blob.digest + " of " + ref.String(), [&](Session& s) {
    FetchIfMissing(s, store, blob, [this](TransferEvent::Kind k, const Descriptor& d) { Report(k, d); });
    return 0;
  });
}

Descriptor Client::Pull(Store& store, const Reference& ref) { return Pull(store, ref, HostPlatform()); }

Descriptor Client::Pull(Store& store, const Reference& ref, const Platform& platform) {
  std::vector<std::string> endpoints = PullEndpoints(config_, ref.registry);
  std::string failures;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    Session s(config_, ref.registry, endpoints[i], ref.repository);
    try {
      return PullFrom(s, store, ref, platform, [this](TransferEvent::Kind k, const Descriptor& d) { Report(k, d); });
    } catch (const std::exception& e) {
      // A mirror that fails is skipped: the registry itself is the authority.
      failures += (failures.empty() ? "" : "; ") + endpoints[i] + ": " + e.what();
    }
  }
  throw Error("pull " + ref.String() + " failed: " + failures);
}

}  // namespace cairn::store::registry
