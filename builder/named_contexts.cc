#include "builder/named_contexts.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "builder/copy.h"
#include "builder/image_config.h"
#include "store/image.h"
#include "store/layer.h"
#include "store/oci_dir.h"

namespace cairn::builder {

namespace {

// Never a valid image reference ("://"), so no FROM can spell it by accident.
constexpr std::string_view kDirPrefix = "local-context://";

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

}  // namespace

std::pair<std::string, NamedContext> ParseBuildContextFlag(const std::string& text) {
  NamedContext c;
  c.flag = "--build-context " + RedactUrl(text);
  auto eq = text.find('=');
  if (eq == 0 || eq == std::string::npos || eq + 1 == text.size())
    throw Error(c.flag + ": want NAME=VALUE (VALUE: a directory, docker-image://REF or oci-layout://DIR[:TAG])");
  std::string name = text.substr(0, eq), value = text.substr(eq + 1);
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (IsGitUrl(value)) {
    try {
      ParseGitUrl(value);
    } catch (const Error& e) {
      throw Error(c.flag + ": " + e.what());
    }
    c.kind = NamedContext::Kind::kGit;
    c.value = value;
    return {name, c};
  }
  auto scheme_end = value.find("://");
  if (scheme_end == std::string::npos) {
    if (!IsDirectory(value))
      throw Error(c.flag + ": " + value + " is no directory (give a directory, docker-image://REF or oci-layout://DIR[:TAG])");
    c.kind = NamedContext::Kind::kDir;
    c.value = std::filesystem::absolute(value).lexically_normal().string();
    return {name, c};
  }
  std::string scheme = value.substr(0, scheme_end), rest = value.substr(scheme_end + 3);
  if (scheme == "docker-image") {
    if (rest.empty()) throw Error(c.flag + ": docker-image:// needs an image reference");
    c.kind = NamedContext::Kind::kImage;
    c.value = rest;
  } else if (scheme == "oci-layout") {
    // DIR[:TAG]: the manifest is named by its tag (org.opencontainers.image.ref.name).
    c.kind = NamedContext::Kind::kOciLayout;
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
      c.tag = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (!PathExists(JoinPath(rest, "index.json")))
      throw Error(c.flag + ": " + rest + " is no OCI image layout (no index.json; write one with skopeo copy ... oci:DIR:TAG)");
    c.value = std::filesystem::absolute(rest).lexically_normal().string();
  } else {
    throw Error(c.flag + ": unknown scheme \"" + scheme +
                "://\" (cairn reads a directory, docker-image://REF, oci-layout://DIR[:TAG] and git URLs)");
  }
  return {name, c};
}

NamedContexts::~NamedContexts() {
  for (auto& dir : scratch_) {
    try {
      RemoveAll(dir);
    } catch (...) {  // a leftover scratch dir is swept when the store is next opened
    }
  }
}

std::map<std::string, std::string> NamedContexts::References() {
  std::map<std::string, std::string> refs;
  for (auto& [name, c] : contexts_) {
    if (c.kind == NamedContext::Kind::kGit) {  // cloned now; from here on a directory with git's modes
      if (!fetch_git_) throw Error(c.flag + ": this build cannot clone (no git fetcher was given to the builder)");
      scratch_.push_back(store_.NewScratchDir("context-git-"));
      try {
        GitCheckout checkout = fetch_git_(ParseGitUrl(c.value), scratch_.back());
        c.value = checkout.dir;
        c.git_modes = checkout.modes;
      } catch (const Error& e) {
        throw Error(c.flag + ": " + e.what());
      }
      c.kind = NamedContext::Kind::kDir;
    }
    switch (c.kind) {
      case NamedContext::Kind::kImage:
        refs[name] = c.value;
        break;
      case NamedContext::Kind::kOciLayout:
        try {
          refs[name] = store::OciDir(c.value).ImportImage(store_, c.tag).digest;
        } catch (const Error& e) {
          throw Error(c.flag + ": " + e.what());
        }
        break;
      case NamedContext::Kind::kDir:
      case NamedContext::Kind::kGit:
        refs[name] = std::string(kDirPrefix) + name;
        break;
    }
  }
  return refs;
}

bool NamedContexts::IsDir(const std::string& ref) { return ref.rfind(kDirPrefix, 0) == 0; }

std::string NamedContexts::DirImage(const std::string& ref, int64_t layer_epoch, const store::Compression& compression) {
  std::lock_guard lock(mu_);
  if (auto it = made_.find(ref); it != made_.end()) return it->second;
  std::string name = ref.substr(kDirPrefix.size());
  const NamedContext& c = contexts_.at(name);
  if (!IsDirectory(c.value)) throw Error(c.flag + ": " + c.value + " is no directory any more");
  std::string scratch = store_.NewScratchDir("context-");
  ScopeExit remove_scratch([&] { RemoveAll(scratch); });
  std::string tree = JoinPath(scratch, "tree");
  MakeDirs(tree);
  CopyRequest copy;
  copy.src_root = c.value;
  copy.sources = MatchSources(c.value, {"."}, nullptr);
  copy.dst_root = tree;
  copy.dest = "/";
  copy.dest_is_dir = true;
  copy.fixed_mtime = layer_epoch;  // a checkout's file times are no input, as for the main context
  copy.git_modes = c.git_modes.get();
  ExecuteCopy(copy);
  store::SnapshotOptions snap;
  snap.source_date_epoch = layer_epoch;
  snap.overlay_upper = false;
  snap.compression = compression;
  std::optional<store::Layer> layer = store::CommitLayerFromDir(store_, tree, snap);
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", nlohmann::json::object()},
      {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}},
      {"history", {{{"created", Rfc3339(layer_epoch)}, {"created_by", "build context " + name}}}},
  };
  std::vector<store::Descriptor> layers;
  if (layer) {
    layers.push_back(layer->descriptor);
    config["rootfs"]["diff_ids"].push_back(layer->diff_id);
  } else {
    config["history"][0]["empty_layer"] = true;
  }
  std::string digest = store::WriteImage(store_, config, layers).manifest.digest;
  made_[ref] = digest;
  return digest;
}

}  // namespace cairn::builder
