// SLSA provenance v1 of one image manifest, as an in-toto statement (--attest type=provenance).
//
// Contract (README "Provenance"): the statement is a pure function of the build's inputs, so a
// warm build's equals a cold one's and two machines' agree: no wall-clock time, host name,
// random id, cache-hit state or host path. It never holds a secret's value, an ssh agent, a
// registry credential or a URL's userinfo (every recorded text goes through RedactUserinfo and
// the build's secret values are masked). What it records is enough for `cairn verify IMAGE`
// to rebuild: build args (minus proxy args), target, platform, Dockerfile path and digest, the
// explicit epoch, compression, bases by manifest digest, the context's files by content digest,
// ADD URLs and git sources with their digests.
#pragma once

#include <map>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/epoch.h"
#include "store/store.h"

namespace cairn::builder {

inline constexpr const char* kInTotoStatement = "https://in-toto.io/Statement/v0.1";
inline constexpr const char* kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
inline constexpr const char* kSpdxDocument = "https://spdx.dev/Document";
inline constexpr const char* kCairnBuildType = "https://cairn.invalid/build/dockerfile/v1";
inline constexpr const char* kCairnBuilderId = "https://cairn.invalid/builder";
// The version written into the builder id and the SBOM's creator (CMake's project version).
std::string CairnVersion();

// What a build read, collected while it runs (a step's cache key reads the same inputs on a hit
// as on a miss, so a warm build collects the same).
struct BuildMaterials {
  struct Base {
    std::string ref;       // as the Dockerfile (or --build-context) names it
    std::string platform;  // the platform it was loaded for
    std::string digest;    // its manifest digest
    bool operator<(const Base& o) const {
      return std::tie(ref, platform, digest) < std::tie(o.ref, o.platform, o.digest);
    }
  };
  std::set<Base> bases;
  // Context path -> "MODE SIZE CONTENT" (DigestSources' entries: content digest of a regular
  // file, a symlink's target, "" for a directory).
  std::map<std::string, std::string> context_files;
  std::map<std::string, std::string> urls;  // ADD source (userinfo removed) -> digest or "git <commit>"
  struct Step {
    std::string stage, instruction, network;  // network: RUN's mode, "" for other steps
  };
  std::vector<Step> steps;  // in build order
  std::string dockerfile_digest;
};

// What the statement describes and how the build was asked for.
struct ProvenanceRequest {
  std::string mode = "min";  // min | max
  store::Descriptor subject;   // the image manifest
  std::string dockerfile;      // path relative to the context ("Dockerfile"), or the display name
  std::string target, platform, network, compression;
  std::map<std::string, std::string> build_args, labels, annotations;  // proxy args already removed
  std::vector<std::string> add_hosts, ulimits, named_contexts, allow;
  std::string shm_size;
  bool docker_media_types = false;
  Epochs epochs;
  bool explicit_epoch_flag = false;  // the epoch came from --source-date-epoch or $SOURCE_DATE_EPOCH
  // Set for a git build context: its remote (userinfo removed), commit and subdir.
  std::string git_remote, git_commit, git_subdir;
  std::vector<std::string> secret_values;  // masked wherever they might appear
};

// An in-toto Statement v0.1 of predicate_type about one image manifest (subject name "_", as
// buildx writes it): the envelope every attestation of a build shares.
nlohmann::json InTotoStatement(const std::string& predicate_type, const store::Descriptor& subject,
                               nlohmann::json predicate);

// The in-toto statement with its SLSA v1 predicate.
nlohmann::json ProvenanceStatement(const ProvenanceRequest& request, const BuildMaterials& materials);

// The context's content digest as the statement records it: over every regular file's and
// symlink's "path mode content" line, in path order (directories' sizes differ by filesystem).
std::string ContextDigest(const std::map<std::string, std::string>& context_files);

// text with the userinfo of every URL in it ("https://user:token@host/...") removed.
std::string RedactUserinfo(const std::string& text);

// The proxy build args (BuildKit's predefined ones, both spellings): never recorded.
bool IsProxyArg(const std::string& name);

}  // namespace cairn::builder
