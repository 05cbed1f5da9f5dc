// Client::Push: blobs the registry lacks (mounted or uploaded), then the manifest.
#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/transfer.h"
#include "store/image.h"
#include "store/manifest.h"
#include "store/registry/parallel.h"
#include "store/registry/registry.h"
#include "store/registry/session.h"

namespace cairn::store::registry {
namespace {

// Blobs above this go up in PATCH chunks of this size, so one request never holds a huge body
// (proxies in front of registries often cap request sizes).
constexpr int64_t kChunkSize = int64_t{32} << 20;

// "<url>?digest=..." or "<url>&digest=..." when the upload URL already carries state.
std::string WithQuery(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

bool RegistryHasBlob(Session& s, const std::string& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = s.RepoUrl("/blobs/" + digest);
  HttpResponse resp = s.Send(req);
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  throw Error("checking blob " + digest + ": " + Describe(resp));
}

// Where an upload continues: the Location header, resolved against the request URL.
std::string UploadLocation(const HttpResponse& resp, const std::string& request_url, const std::string& what) {
  std::string location = resp.Header("location");
  if (location.empty()) throw Error(what + ": the registry gave no upload Location (" + Describe(resp) + ")");
  return ResolveUrl(resp.url.empty() ? request_url : resp.url, location);
}

// Starts an upload session, or mounts the blob from `from` (another repository of the same
// registry). Returns the upload URL, or "" when the mount made the blob present.
std::string StartUpload(Session& s, const std::string& digest, const std::string& from) {
  HttpRequest req;
  req.method = "POST";
  req.url = s.RepoUrl("/blobs/uploads/");
  if (!from.empty()) req.url += "?mount=" + UrlEncode(digest) + "&from=" + UrlEncode(from);
  HttpResponse resp = s.Send(req);
  if (resp.status == 201 && !from.empty()) return "";
  // A registry that cannot mount answers 202 with a fresh upload session, as for a plain POST.
  if (resp.status != 202) throw Error("starting the upload of blob " + digest + ": " + Describe(resp));
  return UploadLocation(resp, req.url, "starting the upload of blob " + digest);
}

HttpRequest BlobBody(const std::string& method, const std::string& url, const std::string& path, int64_t offset,
                     int64_t length, const Descriptor& blob) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.upload_path = path;
  req.upload_offset = offset;
  req.upload_length = length;
  req.headers.push_back("Content-Type: application/octet-stream");
  req.on_upload = [digest = blob.digest, offset, total = blob.size](int64_t sent) {
    ReportTransfer({"push " + digest, offset + sent, total, false});
  };
  return req;
}

// A failed step of an upload. A lost upload session (404, e.g. a registry restarted without
// shared state) or a server error is worth starting over (TransportError); anything else is not.
[[noreturn]] void UploadFailed(const std::string& what, const HttpResponse& resp) {
  if (resp.status == 404 || IsRetryable(resp.status)) throw TransportError(what + ": " + Describe(resp));
  throw Error(what + ": " + Describe(resp));
}

// PATCHes [0, size) in chunks; returns the upload URL for the closing PUT.
std::string UploadChunks(Session& s, std::string url, const std::string& path, const Descriptor& d) {
  for (int64_t off = 0; off < d.size; off += kChunkSize) {
    int64_t len = std::min(kChunkSize, d.size - off);
    HttpRequest req = BlobBody("PATCH", url, path, off, len, d);
    req.headers.push_back("Content-Range: " + std::to_string(off) + "-" + std::to_string(off + len - 1));
    HttpResponse resp = s.Send(req, /*retry=*/false);
    if (resp.status != 202) UploadFailed("uploading bytes " + std::to_string(off) + "+ of blob " + d.digest, resp);
    url = UploadLocation(resp, url, "uploading blob " + d.digest);
    ReportTransfer({"push " + d.digest, off + len, d.size, false});
  }
  return url;
}

// One upload from POST to the closing PUT. Returns false when the blob was mounted instead.
bool UploadOnce(Session& s, const Store& store, const Descriptor& d, const std::string& from) {
  std::string url = StartUpload(s, d.digest, from);
  if (url.empty()) return false;
  std::string path = store.BlobPath(d.digest);
  HttpRequest put;
  if (d.size > kChunkSize) {
    url = UploadChunks(s, url, path, d);
    put.method = "PUT";
    put.url = WithQuery(url, "digest=" + UrlEncode(d.digest));
    put.headers.push_back("Content-Type: application/octet-stream");
  } else {
    put = BlobBody("PUT", WithQuery(url, "digest=" + UrlEncode(d.digest)), path, 0, d.size, d);
  }
  HttpResponse resp = s.Send(put, /*retry=*/false);
  if (resp.status != 201) UploadFailed("finishing the upload of blob " + d.digest, resp);
  std::string echoed = resp.Header("docker-content-digest");
  if (!echoed.empty() && echoed != d.digest)
    throw Error("registry stored blob " + d.digest + " under digest " + echoed);
  ReportTransfer({"push " + d.digest, d.size, d.size, /*finished=*/true});
  return true;
}

// Uploads a blob unless the registry has it. An interrupted upload cannot be resumed safely at
// every registry, so a failed attempt starts over with a new session; the HEAD between attempts
// catches an upload that succeeded but whose answer was lost.
void PushBlob(Session& s, const Store& store, const Descriptor& d, const std::string& from, const Reporter& report) {
  if (RegistryHasBlob(s, d.digest)) return report(TransferEvent::kBlobPresent, d);
  report(TransferEvent::kBlobStarted, d);
  for (int attempt = 1;; ++attempt) {
    try {
      bool uploaded = UploadOnce(s, store, d, attempt == 1 ? from : "");
      return report(uploaded ? TransferEvent::kBlobDone : TransferEvent::kBlobMounted, d);
    } catch (const TransportError& e) {
      if (attempt >= kMaxAttempts) throw Error(std::string(e.what()) + " (gave up after " + std::to_string(attempt) + " tries)");
    }
    Backoff(attempt);
    if (RegistryHasBlob(s, d.digest)) return report(TransferEvent::kBlobDone, d);
  }
}

// Blob digest -> another repository of the same registry that a local tag says holds it: the
// registry can then link the blob instead of receiving it again (a cross-repository mount).
std::map<std::string, std::string> MountSources(const Store& store, const Reference& target) {
  std::map<std::string, std::string> sources;
  for (auto& [name, desc] : store.ListTags()) {
    // Only names that spell the registry out say where the image came from.
    if (name.rfind(target.registry + "/", 0) != 0) continue;
    try {
      Reference r = ParseReference(name);
      if (r.registry != target.registry || r.repository == target.repository) continue;
      Image img = LoadImage(store, desc.digest);
      sources.emplace(img.config_descriptor.digest, r.repository);
      for (auto& l : img.layers) sources.emplace(l.digest, r.repository);
    } catch (const Error&) {
      continue;  // a tag we cannot read is no mount source; the blob is simply uploaded
    }
  }
  return sources;
}

// Whether a refused manifest names a blob the registry does not see (MANIFEST_BLOB_UNKNOWN,
// BLOB_UNKNOWN, or a manifest of an index it lacks).
bool NamesAnUnknownBlob(const HttpResponse& resp) {
  return resp.status == 400 && (resp.body.find("BLOB_UNKNOWN") != std::string::npos ||
                                resp.body.find("MANIFEST_UNKNOWN") != std::string::npos);
}

// Sends the manifest; push_blobs (re)makes sure the registry has what it names, first.
// Rule: a manifest refused for naming an unknown blob is sent again, after push_blobs has looked
// again (HEAD) and uploaded what is missing, up to kMaxAttempts times. The blob may be there and
// still unseen: Distribution rewrites a blob's link file in place when another client finishes an
// upload of the same blob (its filesystem and Azure drivers), and storage behind some registries
// is only eventually consistent; writers exporting one cache ref at once hit both.
void UploadManifest(Session& s, const Reference& ref, const std::string& bytes, const Descriptor& d,
                    const std::function<void()>& push_blobs = [] {}) {
  HttpRequest req;
  req.method = "PUT";
  req.url = s.RepoUrl("/manifests/" + (ref.tag.empty() ? d.digest : ref.tag));
  req.body = bytes;
  req.headers.push_back("Content-Type: " + d.media_type);
  HttpResponse resp;
  for (int attempt = 1;; ++attempt) {
    push_blobs();
    resp = s.Send(req);
    if (attempt >= kMaxAttempts || !NamesAnUnknownBlob(resp)) break;
    Backoff(attempt);
  }
  if (resp.status != 201 && resp.status != 200) throw Error("uploading the manifest: " + Describe(resp));
  std::string echoed = resp.Header("docker-content-digest");
  if (echoed != d.digest)
    throw Error("the registry stored the manifest under digest \"" + echoed + "\", not " + d.digest);
}

void PushBlobs(Session& s, const Store& store, const std::vector<Descriptor>& blobs, const Reference& ref,
               const Reporter& report) {
  std::map<std::string, std::string> sources = MountSources(store, ref);
  // Every scope up front, so one token covers the whole push.
  for (auto& [digest, from] : sources) s.AddScope("repository:" + from + ":pull");
  ParallelFor(blobs.size(), kTransferThreads, [&](size_t i) {
    auto from = sources.find(blobs[i].digest);
    PushBlob(s, store, blobs[i], from == sources.end() ? "" : from->second, report);
  });
}

// The config and layers a manifest's JSON names, each once.
std::vector<Descriptor> BlobsNamedBy(const std::string& manifest_bytes, const std::string& digest) {
  nlohmann::json j = nlohmann::json::parse(manifest_bytes, nullptr, false);
  if (!IsImageManifest(j)) throw Error("manifest " + digest + " has no config and layers");
  std::vector<Descriptor> blobs;
  for (auto& l : j["layers"]) blobs.push_back(DescriptorFromJson(l));
  blobs.push_back(DescriptorFromJson(j["config"]));
  std::sort(blobs.begin(), blobs.end(), [](const Descriptor& a, const Descriptor& b) { return a.digest < b.digest; });
  blobs.erase(std::unique(blobs.begin(), blobs.end(),
                          [](const Descriptor& a, const Descriptor& b) { return a.digest == b.digest; }),
              blobs.end());
  return blobs;
}

}  // namespace

Descriptor Client::PushManifest(Store& store, const std::string& manifest_digest, const Reference& ref) {
  std::string endpoint = OriginEndpoint(config_, ref.registry);
  try {
    std::string bytes = store.ReadBlob(manifest_digest);
    nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
    std::string media_type = j.is_object() && j.value("mediaType", "").size() ? j.value("mediaType", "") : media::kOciManifest;
    Descriptor manifest{media_type, manifest_digest, static_cast<int64_t>(bytes.size()), {}};
    Session s(config_, ref.registry, endpoint, ref.repository);
    s.AddScope("repository:" + ref.repository + ":pull,push");
    std::vector<Descriptor> blobs = BlobsNamedBy(bytes, manifest_digest);
    UploadManifest(s, ref, bytes, manifest, [&] {
      PushBlobs(s, store, blobs, ref, [this](TransferEvent::Kind k, const Descriptor& d) { Report(k, d); });
    });
    Report(TransferEvent::kManifestDone, manifest);
    return manifest;
  } catch (const std::exception& e) {
    throw Error("push " + manifest_digest + " to " + ref.String() + " (" + endpoint + "): " + e.what());
  }
}

// A multi-platform image: every manifest the index lists (by digest, with its blobs), then the
// index under the tag, so the registry never holds an index naming what it lacks.
Descriptor Client::PushIndex(Store& store, const Descriptor& index, const nlohmann::json& j, const Reference& ref) {
  Reference by_digest = ref;
  by_digest.tag.clear();
  by_digest.digest.clear();
  for (auto& m : j.value("manifests", nlohmann::json::array())) {
    Descriptor d = DescriptorFromJson(m);
    if (!store.HasBlob(d.digest)) {
      throw Error("the index lists a " + ToString(EntryPlatform(m)) + " image " + d.digest +
                  " that is not in the store (a pull fetches one platform: pull the others with --platform first)");
    }
    PushManifest(store, d.digest, by_digest);
  }
  std::string bytes = store.ReadBlob(index.digest);
  Descriptor desc{media::kOciIndex, index.digest, static_cast<int64_t>(bytes.size()), {}};
  desc.media_type = j.value("mediaType", std::string(media::kOciIndex));
  std::string endpoint = OriginEndpoint(config_, ref.registry);
  Session s(config_, ref.registry, endpoint, ref.repository);
  s.AddScope("repository:" + ref.repository + ":pull,push");
  UploadManifest(s, ref, bytes, desc);
  Report(TransferEvent::kManifestDone, desc);
  return desc;
}

Descriptor Client::Push(Store& store, const std::string& local_name, const Reference& ref) {
  std::string endpoint = OriginEndpoint(config_, ref.registry);
  try {
    nlohmann::json index_json;
    if (auto index = ResolveIndex(store, local_name, &index_json)) {
      if (!ref.digest.empty() && ref.digest != index->digest)
        throw Error("the image's index is " + index->digest + ", not the digest the reference names");
      return PushIndex(store, *index, index_json, ref);
    }
    Image img = LoadImage(store, local_name);
    Descriptor manifest = img.manifest_descriptor;
    std::string bytes = store.ReadBlob(manifest.digest);
    manifest.size = static_cast<int64_t>(bytes.size());
    if (!ref.digest.empty() && ref.digest != manifest.digest)
      throw Error("the image's manifest is " + manifest.digest + ", not the digest the reference names");
    Session s(config_, ref.registry, endpoint, ref.repository);
    s.AddScope("repository:" + ref.repository + ":pull,push");
    std::vector<Descriptor> blobs = img.layers;
    blobs.push_back(img.config_descriptor);
    // The manifest goes last: a registry rejects one whose blobs it does not have.
    UploadManifest(s, ref, bytes, manifest, [&] {
      PushBlobs(s, store, blobs, ref, [this](TransferEvent::Kind k, const Descriptor& d) { Report(k, d); });
    });
    Report(TransferEvent::kManifestDone, manifest);
    return manifest;
  } catch (const std::exception& e) {
    throw Error("push " + local_name + " to " + ref.String() + " (" + endpoint + "): " + e.what());
  }
}

}  // namespace cairn::store::registry
