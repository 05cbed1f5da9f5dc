// The builder: runs a Dockerfile's Plan against a store and a runtime and writes the image.
//
// For each stage the target needs: resolve the base, then for each step compute its cache key;
// on a hit reuse the recorded layer, otherwise run the step (RUN in a container, COPY/ADD and
// WORKDIR through an overlay in a private mount namespace), snapshot the upper dir into a layer
// and record it. The image config gets one history entry per instruction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/platform.h"
#include "builder/epoch.h"
#include "builder/fetch_url.h"
#include "builder/git_source.h"
#include "builder/named_contexts.h"
#include "builder/progress.h"
#include "builder/run_mounts.h"
#include "runtime/runtime.h"
#include "store/cache_manifest.h"
#include "store/cache_records.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::builder {

// A step cache imported with --cache-from: its records, read before the build, and the way to
// get a layer's blob when a later step or the image needs its files (fetched then, not before).
struct ImportedCache {
  std::string name;                                   // "type=registry,ref=R", for messages
  std::map<std::string, store::CacheRecord> records;  // step cache key -> record
  // Snapshots of cache mounts (--cache-to ...,cache-mounts=true): one seeds a RUN
  // --mount=type=cache of that id, in a stage of that platform, that this store does not have yet.
  std::map<store::CacheMountName, store::Layer> mounts;
  // Puts the blob into the store, verified against its digest. Throws Error when it cannot.
  std::function<void(const store::Descriptor& blob)> fetch_blob;
};

// A RUN step whose command failed (BuildOptions::on_failed_step).
struct FailedStep {
  std::string image;  // its filesystem when the command failed, tagged cairn-failed-step:<id>
  // The step's container as it ran (command, env with build args and secrets, user, working
  // directory, network, hosts, limits, RUN --mounts), for a shell in it (OpenFailedStepShell).
  runtime::ContainerSpec container;
  // Keeps what those mounts need (cache locks, ssh relays, secret files) until the last copy of
  // this FailedStep is gone.
  std::shared_ptr<void> resources;
};

struct BuildOptions {
  std::string context_dir;
  std::string dockerfile_path;  // empty = <context>/Dockerfile
  // What messages call the Dockerfile ("Dockerfile:3:1: ..."); empty = its path, relative to the
  // context when inside it. The CLI names a Dockerfile read from stdin "Dockerfile", as docker does.
  std::string dockerfile_name;
  std::vector<std::string> tags;
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> labels;  // --label
  // --annotation, -o annotation.K=V: the image manifest's annotations (none: no "annotations"
  // key). Not in any step's key: they are the manifest's, written after the last step.
  std::map<std::string, std::string> annotations;
  // --annotation index:K=V / manifest-descriptor:K=V, -o annotation-index.K=V /
  // annotation-manifest-descriptor.K=V: a multi-platform build's image index and each of its
  // manifest descriptors (builder/multi_platform.h); a single-platform build has no index, and
  // the CLI refuses them there, as buildx does.
  std::map<std::string, std::string> index_annotations;
  std::map<std::string, std::string> descriptor_annotations;
  // -o ...,oci-mediatypes=false: the image manifest in docker's media types (store/image.h).
  bool docker_media_types = false;
  std::string target;
  // The platform the image is for (TARGETPLATFORM, FROM without --platform) and the one this
  // machine is (BUILDPLATFORM). A stage for another architecture than the host's runs its RUN
  // steps through a binfmt_misc handler (runtime/emulation.h); the stage's platform is in every
  // step's cache key.
  Platform platform = HostPlatform();
  Platform build_platform = HostPlatform();
  bool no_cache = false;
  std::set<std::string> no_cache_filter;  // --no-cache-filter: stages (by name) not looked up in the cache
  // The explicit SOURCE_DATE_EPOCH (--source-date-epoch or the environment), if any. The builder
  // applies the two-epoch rule of builder/epoch.h with it (a --build-arg or a global ARG default
  // counts as explicit too).
  std::optional<SourceDateEpoch> source_date_epoch;
  std::string network = "default";  // default (outbound, runtime/network.h) | none | host: for every RUN
  std::map<std::string, SecretSource> secrets;  // --secret id -> source (for RUN --mount=type=secret)
  // --ssh id -> an ssh agent's socket or keys (for RUN --mount=type=ssh; builder/ssh_forward.h).
  // Never in a key, a layer or the history.
  std::map<std::string, SshAgentSource> ssh;
  store::Compression compression;    // of new layers (--compression); part of the step cache key
  // FROM / COPY --from of an image the store lacks: called with the name as written, must leave
  // it resolvable by that name (or throw). Unset: a missing image is an error. The CLI supplies
  // the registry client, so the builder never talks to the network itself.
  // The platform is the one the image is needed for (from an index, only its image is pulled).
  std::function<void(const std::string& ref, const Platform& platform)> pull_image;
  // --pull: every image named by reference (FROM, COPY --from, RUN --mount=from, a docker-image://
  // context) goes through pull_image once per build even when the store has it, so a moved tag is
  // seen; an image named by digest alone is the store's.
  bool pull = false;
  // ADD <http(s) url>: downloads a URL to a file (see UrlFetcher). Unset: such an ADD is an error.
  // The CLI supplies a libcurl download, for the same reason as pull_image.
  UrlFetcher fetch_url;
  // ADD <git url> (builder/git_source.h): clones and checks out. Unset: such an ADD is an error.
  GitFetcher fetch_git;
  // Set when context_dir is a checkout of a git URL (cairn build URL.git#ref): its files take
  // git's modes from the commit, and without an explicit epoch the image epoch is the commit's
  // time (as the HEAD commit's of a local checkout, builder/epoch.h).
  std::optional<GitCheckout> git_context;
  // How many stages may build at once (--jobs); 0 = the number of cores. The image does not
  // depend on it.
  int jobs = 0;
  // Looked up, in order, after the store's own step cache misses. A layer that cannot be fetched
  // (gone, corrupt) makes the build start again without these caches, with a warning.
  std::vector<ImportedCache> cache_from;
  // --cache-to type=inline (or --build-arg BUILDKIT_INLINE_CACHE=1): the image config carries the
  // records of the steps whose layers it holds under store::kInlineCacheKey. Off, the config is
  // what it always was (and so is the image ID).
  bool inline_cache = false;
  // Fetch every cached layer the build used, also those no step needed (--cache-to mode=max
  // exports them all).
  bool fetch_cached_layers = false;
  // --on-error: when set and a RUN command fails, its filesystem at that moment is kept as an
  // image (the stage's layers plus what the command wrote, the step's env, user and workdir),
  // tagged cairn-failed-step:<id>; this is called with it (FailedStep) before the build's error
  // is thrown, and the error names the image too.
  std::function<void(FailedStep failed)> on_failed_step;
  // --build-context: lower-cased NAME -> what it stands for (builder/named_contexts.h).
  std::map<std::string, NamedContext> named_contexts;
  // "K=V" proxy settings every RUN gets unless its env sets the name (cli/proxy_env.h): never in
  // a cache key, the history or the image config, as BuildKit's ProxyEnv.
  std::vector<std::string> proxy_env;
  // --allow: entitlements granted (only "network.host"; see frontend::Options::allow).
  std::set<std::string> allow;
  // --add-host HOST:IP, --shm-size, --ulimit NAME=S:H: how every RUN's container is set up
  // (runtime/resource_limits.h); never in the image, keyed as BuildKit keys them (plan/plan.h).
  std::vector<std::string> add_hosts;
  std::string shm_size;
  std::vector<std::string> ulimits;
  // --attest (builder/attestation.h): "" (no provenance), "min" or "max" SLSA provenance
  // (builder/provenance.h); sbom: an SPDX document of the image's packages (builder/sbom.h).
  // Either makes the image an index of the image manifest and its attestation manifest; off by
  // default, so every digest stays what it was.
  std::string provenance;
  bool sbom = false;
};

struct BuildResult {
  store::Descriptor manifest;
  std::string config_digest;  // the image ID
  // Step cache records of this build, to export (--cache-to): image_cache for the steps whose
  // layers the image holds (the target stage and the stages it is FROM; mode=min), all_cache for
  // every step of every stage built (mode=max). Each layer's blob is in the store, except, in
  // all_cache, layers of cache hits nothing needed unless fetch_cached_layers was set.
  std::vector<store::CacheEntry> image_cache, all_cache;
  // Every RUN --mount=type=cache without from= of the stages built (whether the step ran or hit),
  // with the stage's platform, sorted, each once: what --cache-to cache-mounts=true snapshots.
  std::vector<store::CacheMountName> cache_mounts;
  Epochs epochs;  // what the build used (builder/epoch.h)
  // With attestations: the image manifest (manifest is then the index holding it), and the
  // attestation manifest BuildImageManifest wrote, with its index annotations.
  store::Descriptor image_manifest;
  std::optional<store::Descriptor> attestation;
};

// Builds and tags. Every container and every write into a step's tree goes through rt (the CLI
// passes runtime::HostRuntime; unit tests a fake). Throws Error (a Dockerfile error names its
// line; a failed RUN names its line, exit status and last output lines).
// With attestations asked for, the result's manifest is the index of the image and its
// attestation manifest (tagged), and config_digest stays the image's config digest.
BuildResult Build(store::Store& store, Progress& progress, const BuildOptions& options, runtime::Runtime& rt);

// Build without that index: the image manifest (tagged only without attestations) and, when
// asked for, its attestation manifest in result.attestation for the caller to index
// (builder/multi_platform.h indexes every platform's).
BuildResult BuildImageManifest(store::Store& store, Progress& progress, const BuildOptions& options,
                               runtime::Runtime& rt);

}  // namespace cairn::builder
