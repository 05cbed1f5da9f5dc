// The OCI distribution client: pull images from a registry into a Store, push them back out.
// Start here; everything else in store/registry/ is private to this library.
//
//   Client client(LoadRegistryConfig());
//   Descriptor m = client.Pull(store, ParseReference("busybox"));          // tags docker.io/library/busybox:latest
//   client.Push(store, "app:1", ParseReference("localhost:5000/team/app:1"));
//
// Every blob that enters the store is streamed through Store::NewBlobWriter and committed against
// the digest the manifest names, so a registry (or a proxy in between) cannot hand us other bytes.
// Failures throw cairn::Error naming the reference and the registry; credentials never appear in
// an error or a log line.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/platform.h"
#include "store/store.h"

namespace cairn::store::registry {

// A parsed image reference, normalised the way docker normalises it:
//   "busybox"                  -> docker.io / library/busybox : latest
//   "localhost:5000/a/b:1"     -> localhost:5000 / a/b : 1
//   "x@sha256:<hex>"           -> docker.io / library/x, digest sha256:<hex> (tag empty)
//   "quay.io/a/b:t@sha256:..." -> tag and digest both kept; the digest wins when fetching.
struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "ghcr.io"
  std::string repository;  // "library/busybox"
  std::string tag;         // empty when only a digest was given
  std::string digest;      // "sha256:<hex>" or empty

  // The full name: "docker.io/library/busybox:latest", "r/a@sha256:..", "r/a:t@sha256:..".
  std::string String() const;
  // What the manifest endpoint is asked for: the digest when there is one, else the tag.
  std::string ManifestRef() const { return digest.empty() ? tag : digest; }
};

// Throws Error naming the reference when it is not a valid reference (bad characters, upper
// case repository, empty component, malformed digest).
Reference ParseReference(const std::string& text);

// The host the distribution API of `registry` is served on ("docker.io" -> "registry-1.docker.io").
std::string ApiHost(const std::string& registry);

struct RegistryConfig {
  // registry name -> mirror ("docker.io" -> "https://mirror.gcr.io" or "mirror.local:5000").
  // Pulls try the mirror first and fall back to the registry itself; pushes never use mirrors.
  std::map<std::string, std::string> mirrors;
  // Registries spoken to over plain http. localhost and 127.0.0.0/8 are plain http too, as in
  // docker, unless certs.d has a directory for them (tls.h).
  std::set<std::string> insecure;
  // docker's config.json (auths, credsStore, credHelpers; see credentials.h); empty =
  // $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json. A missing file, and no podman
  // auth file, means anonymous access.
  std::string docker_config_path;
};

// Reads the registry configuration, a JSON file:
//   { "mirrors": {"docker.io": "https://mirror.example"}, "insecure": ["reg.lan:5000"],
//     "docker_config": "/root/.docker/config.json" }
// from `path`, else $CAIRN_REGISTRIES_CONFIG, else /etc/cairn/registries.json. A missing default
// file gives the empty configuration; a missing explicit file, or a malformed one, throws Error
// naming it.
RegistryConfig LoadRegistryConfig(const std::string& path = "");

// True when `registry` ("host[:port]") is spoken to over plain http under `config`.
bool UsesPlainHttp(const RegistryConfig& config, const std::string& registry);

// What a pull or push is doing, for progress output. Reported from worker threads, one call at a
// time (the client serialises them).
struct TransferEvent {
  enum Kind {
    kBlobPresent,   // the destination already had the blob: nothing moved
    kBlobMounted,   // push: the registry linked it from another repository
    kBlobStarted,   // a download or upload began (size = the blob's size)
    kBlobDone,      // it finished and was verified
    kManifestDone,  // the manifest was stored (pull) or accepted (push): the image is complete
  };
  Kind kind;
  std::string digest;
  int64_t size = 0;
};
using ProgressFn = std::function<void(const TransferEvent&)>;

// One client serves any number of pulls and pushes, also from several threads at once. `progress`
// (optional) hears about every blob and manifest.
class Client {
 public:
  explicit Client(RegistryConfig config, ProgressFn progress = nullptr);
  ~Client();

  // Fetches the manifest `ref` names (from an index or manifest list: the host platform's one), its
  // config and the layers the store lacks (three at a time, each verified against its digest,
  // resumed with a Range request when a connection drops, retried with backoff on 5xx, 429 and
  // network errors), stores the manifest's exact bytes and tags it locally under its full name
  // (ref.String(), without the digest when a tag was given). A configured mirror is tried first.
  // Returns the manifest descriptor. Throws Error naming the reference on any failure; blobs
  // already committed stay in the store (they are valid content) but no tag is written.
  // When ref names an index, the index is stored too and the tag names it (a later pull for
  // another platform adds that platform's image under the same name); the index descriptor is
  // returned then.
  Descriptor Pull(Store& store, const Reference& ref);
  // The same for `platform`: from an index, that platform's manifest and only its layers (Error
  // naming the platforms the index has when it lacks it); a plain manifest must be for platform
  // (Error naming the one it is for).
  Descriptor Pull(Store& store, const Reference& ref, const Platform& platform);

  // Uploads the image tagged `local_name` (or a manifest digest) in `store` to `ref`: each layer
  // and the config unless the registry has it (HEAD), mounted from another repository of the same
  // registry when a local tag says it lives there, else uploaded (monolithic PUT, chunked PATCHes
  // above 32 MiB); then the manifest, with its exact bytes. Verifies the registry's
  // Docker-Content-Digest. Returns the manifest descriptor. Throws Error naming the reference.
  // An index (a multi-platform image) is pushed with every manifest it lists, each by digest
  // first; a listed manifest the store lacks is an Error naming its platform.
  Descriptor Push(Store& store, const std::string& local_name, const Reference& ref);

  // For artifacts that are not images (the exported step cache, store/cache_manifest.h):
  // the manifest `ref` names (an index is an error) and its config blob, both verified, into the
  // store; not its layers, and no tag. Returns the manifest descriptor. Throws Error naming ref.
  Descriptor PullManifestAndConfig(Store& store, const Reference& ref);
  // One blob of ref's repository into the store, verified against blob.digest (resumed and
  // retried as in Pull). Throws Error naming the blob and ref.
  void PullBlob(Store& store, const Reference& ref, const Descriptor& blob);
  // Pushes the manifest stored under manifest_digest, with the config and layers its JSON names,
  // as Push pushes an image (HEAD, cross-repository mount, upload; the manifest last).
  Descriptor PushManifest(Store& store, const std::string& manifest_digest, const Reference& ref);

  // Every tag of ref's repository (following the registry's pagination), asked of the registry
  // itself, never a mirror. A repository that does not exist has none. Throws Error naming it.
  std::vector<std::string> ListTags(const Reference& ref);
  // Deletes the manifest `digest` of ref's repository, and with it every tag that names it (its
  // blobs stay). A manifest already gone is no error; a registry that forbids deleting is
  // (Error naming the repository and what to change).
  void DeleteManifest(const Reference& ref, const std::string& digest);

 private:
  void Report(TransferEvent::Kind kind, const Descriptor& d);
  Descriptor PushIndex(Store& store, const Descriptor& index, const nlohmann::json& j, const Reference& ref);

  RegistryConfig config_;
  ProgressFn progress_;
  std::mutex progress_mu_;
};

}  // namespace cairn::store::registry
